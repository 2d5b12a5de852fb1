/**
 * The behaviour table every backend must satisfy: a ProxyState, and rows telling the fate of a
 * new connection's first packet (which endpoints it may reach and whether it is masqueraded, or
 * rejected, dropped or left alone). Rows that differ between modes by design say so and why.
 */
import type { ProxyMode } from "../../src/backends/backend.ts";
import type { LocalDetector, ProxyState } from "../../src/model/proxy-state.ts";
import { CLIENT_IP, NODE_IP } from "../support/addresses.ts";

export const POD_A = "10.244.1.10";
export const POD_B = "10.244.1.11";
export const OUTSIDER = "203.0.113.7";

export function behaviourState(detector: LocalDetector = { kind: "cidr", cidr: "10.244.0.0/16" }, masqueradeAll = false): ProxyState {
  return {
    family: "IPv4",
    node: { nodeIP: NODE_IP, nodePorts: { matchAll: false, cidrs: [`${NODE_IP}/32`] }, masqueradeAll, localDetector: detector },
    servicePorts: [
      {
        id: "demo/web:http/TCP", namespace: "demo", name: "web", portName: "http", protocol: "TCP", clusterIP: "10.96.0.10", port: 80,
        endpoints: [{ ip: POD_A, port: 8080 }, { ip: POD_B, port: 8080 }],
        nodePort: 30080, externalIPs: ["192.0.2.10"], loadBalancerIPs: ["198.51.100.10"], loadBalancerSourceRanges: ["10.0.0.0/24"],
      },
      { id: "demo/dns:dns/UDP", namespace: "demo", name: "dns", portName: "dns", protocol: "UDP", clusterIP: "10.96.0.10", port: 53, endpoints: [{ ip: POD_B, port: 5353 }] },
      { id: "demo/empty:/TCP", namespace: "demo", name: "empty", portName: "", protocol: "TCP", clusterIP: "10.96.0.20", port: 80, endpoints: [], nodePort: 30081, externalIPs: ["192.0.2.20"] },
      { id: "demo/sctp:s/SCTP", namespace: "demo", name: "sctp", portName: "s", protocol: "SCTP", clusterIP: "10.96.0.30", port: 9000, endpoints: [{ ip: POD_A, port: 9000 }] },
    ],
  };
}

export interface BehaviourRow {
  name: string;
  from: "outside" | "node";
  src: string;
  proto: "tcp" | "udp" | "sctp";
  dst: string;
  dport: number;
  /** `ip:port` endpoints reachable, or the single fate. */
  want: string[] | "reject" | "drop" | "pass";
  masq?: boolean;
  /** Where a mode differs by design: its own expectation and why. */
  modes?: Partial<Record<ProxyMode, { want: BehaviourRow["want"]; masq?: boolean; why: string }>>;
}

const WEB = [`${POD_A}:8080`, `${POD_B}:8080`];

export const BEHAVIOUR_ROWS: BehaviourRow[] = [
  { name: "pod to ClusterIP: any endpoint, source kept", from: "outside", src: "10.244.2.5", proto: "tcp", dst: "10.96.0.10", dport: 80, want: WEB, masq: false },
  { name: "off-cluster client to ClusterIP: masqueraded", from: "outside", src: CLIENT_IP, proto: "tcp", dst: "10.96.0.10", dport: 80, want: WEB, masq: true },
  { name: "node itself to ClusterIP: masqueraded", from: "node", src: NODE_IP, proto: "tcp", dst: "10.96.0.10", dport: 80, want: WEB, masq: true },
  { name: "UDP port of the same address is its own ServicePort", from: "outside", src: "10.244.2.5", proto: "udp", dst: "10.96.0.10", dport: 53, want: [`${POD_B}:5353`], masq: false },
  { name: "SCTP ClusterIP", from: "outside", src: "10.244.2.5", proto: "sctp", dst: "10.96.0.30", dport: 9000, want: [`${POD_A}:9000`], masq: false },
  {
    name: "wrong port on a live ClusterIP",
    from: "outside", src: "10.244.2.5", proto: "tcp", dst: "10.96.0.10", dport: 81, want: "reject",
    modes: { iptables: { want: "pass", masq: false, why: "upstream's iptables mode has no cluster-ips check (upstream.md row 30)" } },
  },
  { name: "ClusterIP without endpoints: rejected", from: "outside", src: "10.244.2.5", proto: "tcp", dst: "10.96.0.20", dport: 80, want: "reject" },
  { name: "NodePort from outside: masqueraded", from: "outside", src: CLIENT_IP, proto: "tcp", dst: NODE_IP, dport: 30080, want: WEB, masq: true },
  { name: "NodePort without endpoints: rejected", from: "outside", src: CLIENT_IP, proto: "tcp", dst: NODE_IP, dport: 30081, want: "reject" },
  { name: "externalIP: masqueraded", from: "outside", src: OUTSIDER, proto: "tcp", dst: "192.0.2.10", dport: 80, want: WEB, masq: true },
  { name: "externalIP without endpoints: rejected", from: "outside", src: OUTSIDER, proto: "tcp", dst: "192.0.2.20", dport: 80, want: "reject" },
  { name: "load balancer IP from an allowed range", from: "outside", src: CLIENT_IP, proto: "tcp", dst: "198.51.100.10", dport: 80, want: WEB, masq: true },
  { name: "load balancer IP from outside the source ranges: dropped", from: "outside", src: OUTSIDER, proto: "tcp", dst: "198.51.100.10", dport: 80, want: "drop" },
  { name: "hairpin: a pod reaching itself is masqueraded", from: "outside", src: POD_A, proto: "udp", dst: "10.96.0.10", dport: 53, want: [`${POD_B}:5353`], masq: false },
  { name: "an unrelated address is left alone", from: "outside", src: CLIENT_IP, proto: "tcp", dst: "10.244.1.10", dport: 8080, want: "pass", masq: false },
];

/** The expectation of a row in `mode`. */
export function expectationFor(row: BehaviourRow, mode: ProxyMode): { want: BehaviourRow["want"]; masq?: boolean } {
  return row.modes?.[mode] ?? { want: row.want, masq: row.masq };
}
