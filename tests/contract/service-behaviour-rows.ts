/**
 * The behaviour table every backend must satisfy: a ProxyState, and rows telling the fate of a
 * new connection's first packet (which endpoints it may reach and whether it is masqueraded, or
 * rejected, dropped or left alone). Rows that differ between modes by design say so and why.
 *
 * One table, three runners: each backend's fake with its tracer (IPv4: `BEHAVIOUR_ROWS`), and
 * the real kernel (`kernel-behaviour.test.ts`: the compiled proxy in a netns lab, both families
 * from `behaviourRows(family)`). Every source address is a place of the lab (`sender`): a pod,
 * the node, the client on the node network, or the outside host beyond it, so the kernel run
 * can send each row's packets from where the row says they come from.
 */
import type { ProxyMode } from "../../src/backends/backend.ts";
import type { LocalDetector, ProxyState } from "../../src/model/proxy-state.ts";
import * as A from "../support/addresses.ts";

export type Family = "IPv4" | "IPv6";

export const POD_A = A.podIP(0);
export const POD_B = A.podIP(1);
/** A pod of the node that is no endpoint of any Service below: the usual in-cluster client. */
export const POD_C = A.podIP(2);
export const OUTSIDER = A.OUTSIDE_IP;

/** Where a row's packets come from: a place of the lab (pods by name; see `addresses.ts`). */
export type Sender = "client" | "outside" | "node" | "pod-a" | "pod-b" | "pod-c";

/** Every address a row may name, per family, from the one address plan. */
export function behaviourAddresses(family: Family = "IPv4") {
  const v4 = family === "IPv4";
  const ep = (ip: string, port: number) => (v4 ? `${ip}:${port}` : `[${ip}]:${port}`);
  return {
    family,
    ep,
    /** The ClusterIP of web (TCP 80) and dns (UDP 53): one VIP, two ServicePorts. */
    vip: v4 ? A.DNS_CLUSTER_IP : A.DNS_CLUSTER_IP6,
    emptyVIP: v4 ? "10.96.0.20" : "fd00:10:96::14",
    sctpVIP: v4 ? "10.96.0.30" : "fd00:10:96::1e",
    externalIP: v4 ? A.externalIP(0) : A.externalIP6(0),
    emptyExternalIP: v4 ? A.externalIP(10) : A.externalIP6(10),
    lbIP: v4 ? A.loadBalancerIP(0) : A.loadBalancerIP6(0),
    /** web's loadBalancerSourceRanges: the node network, which holds the client but not the outside host. */
    sourceRange: v4 ? A.CLIENT_SOURCE_RANGE : A.NODE_NETWORK_CIDR6,
    clusterCIDR: v4 ? A.CLUSTER_CIDR : A.CLUSTER_CIDR6,
    /** The node's address on every pod link: what an endpoint sees as the source of masqueraded traffic. */
    podGateway: v4 ? A.POD_GATEWAY_IP : A.POD_GATEWAY_IP6,
    sender: {
      client: v4 ? A.CLIENT_IP : A.CLIENT_IP6,
      outside: v4 ? A.OUTSIDE_IP : A.OUTSIDE_IP6,
      node: v4 ? A.NODE_IP : A.NODE_IP6,
      "pod-a": v4 ? A.podIP(0) : A.podIP6(0),
      "pod-b": v4 ? A.podIP(1) : A.podIP6(1),
      "pod-c": v4 ? A.podIP(2) : A.podIP6(2),
    } satisfies Record<Sender, string>,
  };
}

/**
 * The state of the table: web (TCP, two endpoints, NodePort, externalIP, LoadBalancer IP with
 * source ranges), dns (UDP on web's VIP, one endpoint, NodePort), empty (no endpoints, with NodePort and
 * externalIP), sctp. `detector` defaults to ClusterCIDR with the family's cluster CIDR.
 */
export function behaviourState(detector?: LocalDetector, masqueradeAll = false, family: Family = "IPv4"): ProxyState {
  const a = behaviourAddresses(family);
  const [podA, podB] = [a.sender["pod-a"], a.sender["pod-b"]];
  const node = a.sender.node;
  return {
    family,
    node: {
      nodeIP: node,
      nodePorts: { matchAll: false, cidrs: [`${node}/${family === "IPv4" ? 32 : 128}`] },
      masqueradeAll,
      localDetector: detector ?? { kind: "cidr", cidr: a.clusterCIDR },
    },
    servicePorts: [
      {
        id: "demo/web:http/TCP", namespace: "demo", name: "web", portName: "http", protocol: "TCP", clusterIP: a.vip, port: 80,
        endpoints: [{ ip: podA, port: 8080 }, { ip: podB, port: 8080 }],
        nodePort: 30080, externalIPs: [a.externalIP], loadBalancerIPs: [a.lbIP], loadBalancerSourceRanges: [a.sourceRange],
      },
      { id: "demo/dns:dns/UDP", namespace: "demo", name: "dns", portName: "dns", protocol: "UDP", clusterIP: a.vip, port: 53, endpoints: [{ ip: podB, port: 5353 }], nodePort: 30053 },
      { id: "demo/empty:/TCP", namespace: "demo", name: "empty", portName: "", protocol: "TCP", clusterIP: a.emptyVIP, port: 80, endpoints: [], nodePort: 30081, externalIPs: [a.emptyExternalIP] },
      { id: "demo/sctp:s/SCTP", namespace: "demo", name: "sctp", portName: "s", protocol: "SCTP", clusterIP: a.sctpVIP, port: 9000, endpoints: [{ ip: podA, port: 9000 }] },
    ],
  };
}

export interface BehaviourRow {
  name: string;
  /** For the tracers: where the packet enters (prerouting from another host, or output from the node). */
  from: "outside" | "node";
  /** The lab place that sends; `src` is its address. */
  sender: Sender;
  src: string;
  proto: "tcp" | "udp" | "sctp";
  dst: string;
  dport: number;
  /** `ip:port` endpoints reachable, or the single fate. */
  want: string[] | "reject" | "drop" | "pass";
  /** Masqueraded (true) or source kept (false), the same for every endpoint. */
  masq?: boolean;
  /** When it differs per endpoint (hairpin): masqueraded or not, by `ip:port`. */
  masqByEndpoint?: Record<string, boolean>;
  /** Where a mode differs by design: its own expectation and why. */
  modes?: Partial<Record<ProxyMode, { want: BehaviourRow["want"]; masq?: boolean; why: string }>>;
}

type RowSpec = Omit<BehaviourRow, "from" | "src">;

/** The rows for `family`, every address from `behaviourAddresses(family)`. */
export function behaviourRows(family: Family = "IPv4"): BehaviourRow[] {
  const a = behaviourAddresses(family);
  const web = [a.ep(a.sender["pod-a"], 8080), a.ep(a.sender["pod-b"], 8080)];
  const dns = [a.ep(a.sender["pod-b"], 5353)];
  const specs: RowSpec[] = [
    { name: "pod to ClusterIP: any endpoint, source kept", sender: "pod-c", proto: "tcp", dst: a.vip, dport: 80, want: web, masq: false },
    { name: "off-cluster client to ClusterIP: masqueraded", sender: "client", proto: "tcp", dst: a.vip, dport: 80, want: web, masq: true },
    { name: "node itself to ClusterIP: masqueraded", sender: "node", proto: "tcp", dst: a.vip, dport: 80, want: web, masq: true },
    { name: "UDP port of the same address is its own ServicePort", sender: "pod-c", proto: "udp", dst: a.vip, dport: 53, want: dns, masq: false },
    { name: "UDP from an off-cluster client to ClusterIP: masqueraded", sender: "client", proto: "udp", dst: a.vip, dport: 53, want: dns, masq: true },
    {
      name: "UDP to a live ClusterIP on a port it lacks",
      sender: "pod-c", proto: "udp", dst: a.vip, dport: 54, want: "reject",
      modes: { iptables: { want: "pass", masq: false, why: "upstream's iptables mode has no cluster-ips check (upstream.md row 30)" } },
    },
    { name: "SCTP ClusterIP", sender: "pod-c", proto: "sctp", dst: a.sctpVIP, dport: 9000, want: [a.ep(a.sender["pod-a"], 9000)], masq: false },
    {
      name: "wrong port on a live ClusterIP",
      sender: "pod-c", proto: "tcp", dst: a.vip, dport: 81, want: "reject",
      modes: { iptables: { want: "pass", masq: false, why: "upstream's iptables mode has no cluster-ips check (upstream.md row 30)" } },
    },
    { name: "ClusterIP without endpoints: rejected", sender: "pod-c", proto: "tcp", dst: a.emptyVIP, dport: 80, want: "reject" },
    { name: "NodePort from outside: masqueraded", sender: "client", proto: "tcp", dst: a.sender.node, dport: 30080, want: web, masq: true },
    { name: "NodePort from the outside host: masqueraded", sender: "outside", proto: "tcp", dst: a.sender.node, dport: 30080, want: web, masq: true },
    { name: "NodePort from a pod: masqueraded (externalTrafficPolicy Cluster)", sender: "pod-c", proto: "tcp", dst: a.sender.node, dport: 30080, want: web, masq: true },
    { name: "NodePort from the node to its own address: masqueraded", sender: "node", proto: "tcp", dst: a.sender.node, dport: 30080, want: web, masq: true },
    { name: "UDP NodePort from outside: masqueraded", sender: "client", proto: "udp", dst: a.sender.node, dport: 30053, want: dns, masq: true },
    { name: "NodePort without endpoints: rejected", sender: "client", proto: "tcp", dst: a.sender.node, dport: 30081, want: "reject" },
    { name: "externalIP: masqueraded", sender: "outside", proto: "tcp", dst: a.externalIP, dport: 80, want: web, masq: true },
    { name: "externalIP from a pod: masqueraded too", sender: "pod-c", proto: "tcp", dst: a.externalIP, dport: 80, want: web, masq: true },
    { name: "externalIP from the node: masqueraded", sender: "node", proto: "tcp", dst: a.externalIP, dport: 80, want: web, masq: true },
    { name: "externalIP without endpoints: rejected", sender: "outside", proto: "tcp", dst: a.emptyExternalIP, dport: 80, want: "reject" },
    { name: "load balancer IP from an allowed range", sender: "client", proto: "tcp", dst: a.lbIP, dport: 80, want: web, masq: true },
    { name: "load balancer IP from outside the source ranges: dropped", sender: "outside", proto: "tcp", dst: a.lbIP, dport: 80, want: "drop" },
    { name: "load balancer IP from the node, whose address is in a source range: masqueraded", sender: "node", proto: "tcp", dst: a.lbIP, dport: 80, want: web, masq: true },
    { name: "a pod reaching another pod through a Service keeps its source", sender: "pod-a", proto: "udp", dst: a.vip, dport: 53, want: dns, masq: false },
    {
      name: "hairpin: a pod reaching itself through its Service is masqueraded, the other endpoint sees it unchanged",
      sender: "pod-a", proto: "tcp", dst: a.vip, dport: 80, want: web,
      masqByEndpoint: { [a.ep(a.sender["pod-a"], 8080)]: true, [a.ep(a.sender["pod-b"], 8080)]: false },
    },
    { name: "an unrelated address is left alone", sender: "client", proto: "tcp", dst: a.sender["pod-a"], dport: 8080, want: "pass", masq: false },
  ];
  return specs.map((s) => ({ ...s, from: s.sender === "node" ? "node" : "outside", src: a.sender[s.sender] }));
}

/** The IPv4 rows, for the tracers. */
export const BEHAVIOUR_ROWS: BehaviourRow[] = behaviourRows("IPv4");

/** The expectation of a row in `mode`. */
export function expectationFor(row: BehaviourRow, mode: ProxyMode): { want: BehaviourRow["want"]; masq?: boolean; masqByEndpoint?: Record<string, boolean> } {
  return row.modes?.[mode] ?? { want: row.want, masq: row.masq, masqByEndpoint: row.masqByEndpoint };
}
