/**
 * What happens to packets, told as stories: the nftables backend renders a state into the fake
 * nft, and the tracer follows each packet through every branch. The same table runs for IPv4
 * and IPv6 from the one address plan.
 */
import { describe, expect, test } from "bun:test";
import { createFakeNft } from "../../src/backends/nftables/fake.ts";
import { createNftablesBackend } from "../../src/backends/nftables/nftables-backend.ts";
import { scriptedRunner } from "../../src/lib/exec.ts";
import type { NodeFacts, ProxyState, ServicePortState } from "../../src/model/proxy-state.ts";
import * as A from "../support/addresses.ts";
import { summarize, trace, type TracePacket } from "../support/nft-tracer.ts";

type Fam = "IPv4" | "IPv6";
const plan = (f: Fam) => {
  const v4 = f === "IPv4";
  return {
    v4,
    node: v4 ? A.NODE_IP : A.NODE_IP6,
    client: v4 ? A.CLIENT_IP : A.CLIENT_IP6,
    inCluster: v4 ? A.IN_CLUSTER_CLIENT_IP : A.IN_CLUSTER_CLIENT_IP6,
    gw: v4 ? A.POD_GATEWAY_IP : A.POD_GATEWAY_IP6,
    lo: v4 ? "127.0.0.1" : "::1",
    pod: (i: number) => (v4 ? A.podIP(i) : A.podIP6(i)),
    remote: (i: number) => (v4 ? A.remotePodIP(i) : A.remotePodIP6(i)),
    cip: (i: number) => (v4 ? A.clusterIP(i) : A.clusterIP6(i)),
    ext: (i: number) => (v4 ? A.externalIP(i) : A.externalIP6(i)),
    lb: (i: number) => (v4 ? A.loadBalancerIP(i) : A.loadBalancerIP6(i)),
    clientRange: v4 ? A.CLIENT_SOURCE_RANGE : "fd00:10::/64",
    otherRange: v4 ? A.OTHER_SOURCE_RANGE : "2001:db8:ff::/48",
    clusterCIDR: v4 ? A.CLUSTER_CIDR : A.CLUSTER_CIDR6,
    ep: (ip: string, port: number) => (v4 ? `${ip}:${port}` : `[${ip}]:${port}`),
  };
};

function sp(name: string, protocol: ServicePortState["protocol"], clusterIP: string, port: number, endpoints: [string, number][], extra: Partial<ServicePortState> = {}): ServicePortState {
  return { id: `demo/${name}:p/${protocol}`, namespace: "demo", name, portName: "p", protocol, clusterIP, port, endpoints: endpoints.map(([ip, p]) => ({ ip, port: p })), ...extra };
}

/** Endpoints with locality: local ones are this node's pods, the others live on the remote node. */
const eps = (list: [string, number, boolean][]) => list.map(([ip, port, local]) => ({ ip, port, local }));

/** The ServicePorts of endpoint choice: traffic policies, affinity, locality (upstream.md rows 16-19, 26, 29). */
function policyServices(f: Fam): ServicePortState[] {
  const p = plan(f);
  const local0: [string, number, boolean] = [p.pod(0), 8080, true];
  const local1: [string, number, boolean] = [p.pod(1), 8080, true];
  const remote0: [string, number, boolean] = [p.remote(0), 8080, false];
  const base = (name: string, i: number, extra: Partial<ServicePortState>) => sp(name, "TCP", p.cip(i), 80, [], extra);
  return [
    base("etp", 10, { endpoints: eps([local0, remote0]), localEndpoints: eps([local0]), hasEndpoints: true, externalTrafficPolicy: "Local", nodePort: 31010, externalIPs: [p.ext(10)], loadBalancerIPs: [p.lb(10)] }),
    base("etpnone", 11, { endpoints: eps([remote0]), localEndpoints: [], hasEndpoints: true, externalTrafficPolicy: "Local", nodePort: 31011, externalIPs: [p.ext(11)] }),
    base("itp", 12, { endpoints: [], localEndpoints: eps([local1]), hasEndpoints: true, internalTrafficPolicy: "Local" }),
    base("itpnone", 13, { endpoints: [], localEndpoints: [], hasEndpoints: true, internalTrafficPolicy: "Local" }),
    base("itpext", 14, { endpoints: eps([local0, remote0]), localEndpoints: eps([local1]), hasEndpoints: true, internalTrafficPolicy: "Local", externalIPs: [p.ext(14)] }),
    base("remote", 15, { endpoints: eps([remote0]) }),
    base("aff", 16, { endpoints: eps([local0, local1]), affinityTimeoutSeconds: 30, nodePort: 31016 }),
    base("affetp", 17, { endpoints: eps([local0, remote0]), localEndpoints: eps([local0]), hasEndpoints: true, externalTrafficPolicy: "Local", affinityTimeoutSeconds: 60, externalIPs: [p.ext(17)] }),
    base("none", 18, { endpoints: [], localEndpoints: [], hasEndpoints: false, externalTrafficPolicy: "Local", internalTrafficPolicy: "Local", nodePort: 31018 }),
  ];
}

function services(f: Fam): ServicePortState[] {
  const p = plan(f);
  return [
    sp("web", "TCP", p.cip(0), 80, [[p.pod(0), 8080], [p.pod(1), 8080]], { nodePort: 30080, externalIPs: [p.ext(0)], loadBalancerIPs: [p.lb(0)], loadBalancerSourceRanges: [p.clientRange] }),
    sp("dns", "UDP", p.cip(1), 53, [[p.pod(0), 5353], [p.pod(1), 5353]], { nodePort: 30053 }),
    sp("sig", "SCTP", p.cip(2), 3868, [[p.pod(2), 3868]], { nodePort: 30868, externalIPs: [p.ext(2)] }),
    sp("empty", "TCP", p.cip(3), 80, [], { nodePort: 30090, externalIPs: [p.ext(1)], loadBalancerIPs: [p.lb(1)] }),
    sp("solo", "TCP", p.cip(4), 80, [[p.pod(0), 8080]]),
    sp("open", "TCP", p.cip(5), 80, [[p.pod(1), 8080]], { loadBalancerIPs: [p.lb(2)] }),
    sp("nodelb", "TCP", p.cip(6), 80, [[p.pod(1), 8080]], { loadBalancerIPs: [p.lb(3)], loadBalancerSourceRanges: [p.v4 ? "10.0.0.10/32" : "fd00:10::10/128"] }),
  ];
}

function facts(f: Fam, over: Partial<NodeFacts> = {}): NodeFacts {
  const p = plan(f);
  return { nodeIP: p.node, nodePorts: { matchAll: false, cidrs: [`${p.node}/${p.v4 ? 32 : 128}`] }, masqueradeAll: false, localDetector: { kind: "cidr", cidr: p.clusterCIDR }, ...over };
}

async function tableFor(f: Fam, node: NodeFacts) {
  const fake = createFakeNft();
  const backend = createNftablesBackend({ runner: scriptedRunner([]), client: fake });
  await backend.sync({ family: f, node, servicePorts: [...services(f), ...policyServices(f)].sort((a, b) => (a.id < b.id ? -1 : 1)) } satisfies ProxyState);
  const fam: "ip" | "ip6" = f === "IPv4" ? "ip" : "ip6";
  const t = (pkt: TracePacket) => summarize(trace(fake.table(fam)!, fam, pkt, [plan(f).node, plan(f).gw, plan(f).lo]));
  return Object.assign(t, { fake, fam });
}

interface Row {
  name: string;
  from: "remote" | "node";
  src: string;
  proto: "tcp" | "udp" | "sctp";
  dst: string;
  dport: number;
  endpoints: string[] | "drop" | "reject" | "untouched";
  masq: boolean;
}

function rows(f: Fam): Row[] {
  const p = plan(f);
  const web = [p.ep(p.pod(0), 8080), p.ep(p.pod(1), 8080)];
  return [
    { name: "ClusterIP from a pod: any endpoint, source kept", from: "remote", src: p.pod(2), proto: "tcp", dst: p.cip(0), dport: 80, endpoints: web, masq: false },
    { name: "ClusterIP from outside the cluster CIDR: masqueraded", from: "remote", src: p.client, proto: "tcp", dst: p.cip(0), dport: 80, endpoints: web, masq: true },
    { name: "ClusterIP from the node itself: masqueraded", from: "node", src: p.node, proto: "tcp", dst: p.cip(0), dport: 80, endpoints: web, masq: true },
    { name: "ClusterIP, wrong port: rejected by cluster-ips-check", from: "remote", src: p.pod(2), proto: "tcp", dst: p.cip(0), dport: 81, endpoints: "reject", masq: false },
    { name: "ClusterIP, wrong protocol: rejected", from: "remote", src: p.pod(2), proto: "udp", dst: p.cip(0), dport: 80, endpoints: "reject", masq: false },
    { name: "UDP ClusterIP", from: "remote", src: p.pod(2), proto: "udp", dst: p.cip(1), dport: 53, endpoints: [p.ep(p.pod(0), 5353), p.ep(p.pod(1), 5353)], masq: false },
    { name: "SCTP ClusterIP", from: "remote", src: p.pod(3), proto: "sctp", dst: p.cip(2), dport: 3868, endpoints: [p.ep(p.pod(2), 3868)], masq: false },
    { name: "NodePort on the node IP from outside: masqueraded (eTP Cluster)", from: "remote", src: p.client, proto: "tcp", dst: p.node, dport: 30080, endpoints: web, masq: true },
    { name: "UDP NodePort", from: "remote", src: p.client, proto: "udp", dst: p.node, dport: 30053, endpoints: [p.ep(p.pod(0), 5353), p.ep(p.pod(1), 5353)], masq: true },
    { name: "SCTP NodePort", from: "remote", src: p.client, proto: "sctp", dst: p.node, dport: 30868, endpoints: [p.ep(p.pod(2), 3868)], masq: true },
    { name: "NodePort from the node to its own IP", from: "node", src: p.node, proto: "tcp", dst: p.node, dport: 30080, endpoints: web, masq: true },
    { name: "NodePort on a local address outside --nodeport-addresses: untouched", from: "remote", src: p.pod(2), proto: "tcp", dst: p.gw, dport: 30080, endpoints: "untouched", masq: false },
    { name: "NodePort on loopback: never", from: "node", src: p.lo, proto: "tcp", dst: p.lo, dport: 30080, endpoints: "untouched", masq: false },
    { name: "NodePort port on the ClusterIP: rejected", from: "remote", src: p.pod(2), proto: "tcp", dst: p.cip(0), dport: 30080, endpoints: "reject", masq: false },
    { name: "externalIP from outside: masqueraded", from: "remote", src: p.client, proto: "tcp", dst: p.ext(0), dport: 80, endpoints: web, masq: true },
    { name: "externalIP from a pod: masqueraded too (eTP Cluster)", from: "remote", src: p.pod(2), proto: "tcp", dst: p.ext(0), dport: 80, endpoints: web, masq: true },
    { name: "SCTP externalIP", from: "remote", src: p.client, proto: "sctp", dst: p.ext(2), dport: 3868, endpoints: [p.ep(p.pod(2), 3868)], masq: true },
    { name: "externalIP, another port: untouched", from: "remote", src: p.client, proto: "tcp", dst: p.ext(0), dport: 81, endpoints: "untouched", masq: false },
    { name: "LB IP from an allowed source", from: "remote", src: p.client, proto: "tcp", dst: p.lb(0), dport: 80, endpoints: web, masq: true },
    { name: "LB IP from a source outside the ranges: dropped before DNAT", from: "remote", src: p.inCluster, proto: "tcp", dst: p.lb(0), dport: 80, endpoints: "drop", masq: false },
    { name: "LB IP from the node, whose IP is in a range: passes", from: "node", src: p.node, proto: "tcp", dst: p.lb(0), dport: 80, endpoints: web, masq: true },
    { name: "LB IP without ranges: open to all", from: "remote", src: p.inCluster, proto: "tcp", dst: p.lb(2), dport: 80, endpoints: [p.ep(p.pod(1), 8080)], masq: true },
    { name: "LB IP with the node in a range: the node's traffic passes", from: "node", src: p.node, proto: "tcp", dst: p.lb(3), dport: 80, endpoints: [p.ep(p.pod(1), 8080)], masq: true },
    { name: "LB IP with the node in a range: the LB IP itself as source passes", from: "remote", src: p.lb(3), proto: "tcp", dst: p.lb(3), dport: 80, endpoints: [p.ep(p.pod(1), 8080)], masq: true },
    { name: "ranges do not apply to the NodePort", from: "remote", src: p.inCluster, proto: "tcp", dst: p.node, dport: 30080, endpoints: web, masq: true },
    { name: "no endpoints: ClusterIP rejected", from: "remote", src: p.pod(2), proto: "tcp", dst: p.cip(3), dport: 80, endpoints: "reject", masq: false },
    { name: "no endpoints: ClusterIP rejected from the node", from: "node", src: p.node, proto: "tcp", dst: p.cip(3), dport: 80, endpoints: "reject", masq: false },
    { name: "no endpoints: externalIP rejected", from: "remote", src: p.client, proto: "tcp", dst: p.ext(1), dport: 80, endpoints: "reject", masq: false },
    { name: "no endpoints: LB IP rejected", from: "remote", src: p.client, proto: "tcp", dst: p.lb(1), dport: 80, endpoints: "reject", masq: false },
    { name: "no endpoints: NodePort rejected", from: "remote", src: p.client, proto: "tcp", dst: p.node, dport: 30090, endpoints: "reject", masq: false },
    { name: "hairpin: a pod reaching itself through its Service is masqueraded", from: "remote", src: p.pod(0), proto: "tcp", dst: p.cip(4), dport: 80, endpoints: [p.ep(p.pod(0), 8080)], masq: true },
    { name: "not hairpin: another pod to the same Service keeps its source", from: "remote", src: p.pod(1), proto: "tcp", dst: p.cip(4), dport: 80, endpoints: [p.ep(p.pod(0), 8080)], masq: false },
    { name: "unrelated traffic: untouched", from: "remote", src: p.client, proto: "tcp", dst: p.pod(0), dport: 8080, endpoints: "untouched", masq: false },
    ...policyRows(f),
  ];
}

function policyRows(f: Fam): Row[] {
  const p = plan(f);
  const l0 = p.ep(p.pod(0), 8080);
  const l1 = p.ep(p.pod(1), 8080);
  const r0 = p.ep(p.remote(0), 8080);
  const all = [l0, r0];
  return [
    { name: "eTP Local, LB IP from outside: local endpoints only, source kept", from: "remote", src: p.client, proto: "tcp", dst: p.lb(10), dport: 80, endpoints: [l0], masq: false },
    { name: "eTP Local, externalIP from outside: local only, source kept", from: "remote", src: p.client, proto: "tcp", dst: p.ext(10), dport: 80, endpoints: [l0], masq: false },
    { name: "eTP Local, NodePort from outside: local only, source kept", from: "remote", src: p.client, proto: "tcp", dst: p.node, dport: 31010, endpoints: [l0], masq: false },
    { name: "eTP Local, LB IP from a pod: short-circuit to all endpoints, no SNAT", from: "remote", src: p.pod(2), proto: "tcp", dst: p.lb(10), dport: 80, endpoints: all, masq: false },
    { name: "eTP Local, NodePort from a pod: short-circuit to all endpoints", from: "remote", src: p.pod(2), proto: "tcp", dst: p.node, dport: 31010, endpoints: all, masq: false },
    { name: "eTP Local, LB IP from the node: all endpoints, masqueraded", from: "node", src: p.node, proto: "tcp", dst: p.lb(10), dport: 80, endpoints: all, masq: true },
    { name: "eTP Local, NodePort from the node: all endpoints, masqueraded", from: "node", src: p.node, proto: "tcp", dst: p.node, dport: 31010, endpoints: all, masq: true },
    { name: "eTP Local, ClusterIP: all endpoints as usual", from: "remote", src: p.pod(2), proto: "tcp", dst: p.cip(10), dport: 80, endpoints: all, masq: false },
    { name: "eTP Local, none local: externalIP from outside dropped", from: "remote", src: p.client, proto: "tcp", dst: p.ext(11), dport: 80, endpoints: "drop", masq: false },
    { name: "eTP Local, none local: NodePort from outside dropped", from: "remote", src: p.client, proto: "tcp", dst: p.node, dport: 31011, endpoints: "drop", masq: false },
    { name: "eTP Local, none local: a pod still reaches the remote endpoint", from: "remote", src: p.pod(2), proto: "tcp", dst: p.ext(11), dport: 80, endpoints: [r0], masq: false },
    { name: "eTP Local, none local: the node still reaches it, masqueraded", from: "node", src: p.node, proto: "tcp", dst: p.node, dport: 31011, endpoints: [r0], masq: true },
    { name: "iTP Local: ClusterIP to local endpoints only", from: "remote", src: p.pod(2), proto: "tcp", dst: p.cip(12), dport: 80, endpoints: [l1], masq: false },
    { name: "iTP Local: the node's ClusterIP traffic still masqueraded", from: "node", src: p.node, proto: "tcp", dst: p.cip(12), dport: 80, endpoints: [l1], masq: true },
    { name: "iTP Local, none local: ClusterIP dropped, not rejected", from: "remote", src: p.pod(2), proto: "tcp", dst: p.cip(13), dport: 80, endpoints: "drop", masq: false },
    { name: "iTP Local, none local: dropped from the node too", from: "node", src: p.node, proto: "tcp", dst: p.cip(13), dport: 80, endpoints: "drop", masq: false },
    { name: "iTP Local does not touch external traffic: externalIP to all endpoints", from: "remote", src: p.client, proto: "tcp", dst: p.ext(14), dport: 80, endpoints: all, masq: true },
    { name: "iTP Local with external access: ClusterIP still local only", from: "remote", src: p.pod(2), proto: "tcp", dst: p.cip(14), dport: 80, endpoints: [l1], masq: false },
    { name: "no endpoints anywhere under Local policies: ClusterIP rejected", from: "remote", src: p.pod(2), proto: "tcp", dst: p.cip(18), dport: 80, endpoints: "reject", masq: false },
    { name: "no endpoints anywhere under Local policies: NodePort rejected", from: "remote", src: p.client, proto: "tcp", dst: p.node, dport: 31018, endpoints: "reject", masq: false },
    { name: "hairpin is only for this node's endpoints: a remote endpoint is not masqueraded", from: "remote", src: p.remote(0), proto: "tcp", dst: p.cip(15), dport: 80, endpoints: [r0], masq: false },
    { name: "affinity, a new client: any endpoint", from: "remote", src: p.pod(2), proto: "tcp", dst: p.cip(16), dport: 80, endpoints: [l0, l1], masq: false },
    { name: "affinity, NodePort from outside: any endpoint, masqueraded", from: "remote", src: p.client, proto: "tcp", dst: p.node, dport: 31016, endpoints: [l0, l1], masq: true },
    { name: "affinity with eTP Local: outside client to local endpoints only, source kept", from: "remote", src: p.client, proto: "tcp", dst: p.ext(17), dport: 80, endpoints: [l0], masq: false },
    { name: "affinity with eTP Local: the node to all endpoints, masqueraded", from: "node", src: p.node, proto: "tcp", dst: p.ext(17), dport: 80, endpoints: all, masq: true },
    { name: "affinity with eTP Local: a pod short-circuits to all endpoints", from: "remote", src: p.pod(2), proto: "tcp", dst: p.ext(17), dport: 80, endpoints: all, masq: false },
  ];
}

for (const f of ["IPv4", "IPv6"] as const) {
  describe(`nftables behaviour (${f})`, async () => {
    const t = await tableFor(f, facts(f));
    test.each(rows(f))("$name", (r) => {
      expect(t({ from: r.from, src: r.src, proto: r.proto, dst: r.dst, dport: r.dport, iif: "eth-x" })).toEqual({ endpoints: r.endpoints, masq: r.masq });
    });

    test("affinity: a remembered client goes back to its endpoint, through every address", async () => {
      const p = plan(f);
      const t2 = await tableFor(f, facts(f));
      const set = [...t2.fake.table(t2.fam)!.containers.keys()].find((n) => n.startsWith("affinity-") && n.includes("/aff/") && n.includes(p.pod(1).replaceAll(":", ".")))!;
      expect(set).toBeDefined();
      const c = t2.fake.table(t2.fam)!.containers.get(set)!;
      c.elements.set(p.client, { kind: "element", container: set, key: [{ type: "addr", addr: p.client }] });
      c.elements.set(p.pod(2), { kind: "element", container: set, key: [{ type: "addr", addr: p.pod(2) }] });
      expect(t2({ from: "remote", src: p.pod(2), proto: "tcp", dst: p.cip(16), dport: 80 })).toEqual({ endpoints: [p.ep(p.pod(1), 8080)], masq: false });
      expect(t2({ from: "remote", src: p.client, proto: "tcp", dst: p.node, dport: 31016 })).toEqual({ endpoints: [p.ep(p.pod(1), 8080)], masq: true });
      expect(t2({ from: "remote", src: p.pod(3), proto: "tcp", dst: p.cip(16), dport: 80 }).endpoints).toEqual([p.ep(p.pod(0), 8080), p.ep(p.pod(1), 8080)]);
    });

    test("eTP Local without a local-traffic detector: pods are treated as outside clients", async () => {
      const p = plan(f);
      const t2 = await tableFor(f, facts(f, { localDetector: { kind: "none" } }));
      expect(t2({ from: "remote", src: p.pod(2), proto: "tcp", dst: p.lb(10), dport: 80 })).toEqual({ endpoints: [p.ep(p.pod(0), 8080)], masq: false });
    });

    test("--masquerade-all masquerades a pod's ClusterIP traffic", async () => {
      const p = plan(f);
      const t2 = await tableFor(f, facts(f, { masqueradeAll: true }));
      expect(t2({ from: "remote", src: p.pod(2), proto: "tcp", dst: p.cip(0), dport: 80 }).masq).toBe(true);
    });

    test("no local-traffic detector: ClusterIP traffic is not masqueraded, hairpin still is", async () => {
      const p = plan(f);
      const t2 = await tableFor(f, facts(f, { localDetector: { kind: "none" } }));
      expect(t2({ from: "remote", src: p.client, proto: "tcp", dst: p.cip(0), dport: 80 }).masq).toBe(false);
      expect(t2({ from: "remote", src: p.pod(0), proto: "tcp", dst: p.cip(4), dport: 80 }).masq).toBe(true);
    });

    test("BridgeInterface and InterfaceNamePrefix detectors look at the input interface", async () => {
      const p = plan(f);
      const br = await tableFor(f, facts(f, { localDetector: { kind: "interface", name: "cbr0" } }));
      expect(br({ from: "remote", iif: "cbr0", src: p.client, proto: "tcp", dst: p.cip(0), dport: 80 }).masq).toBe(false);
      expect(br({ from: "remote", iif: "eth0", src: p.pod(2), proto: "tcp", dst: p.cip(0), dport: 80 }).masq).toBe(true);
      const pre = await tableFor(f, facts(f, { localDetector: { kind: "interface-prefix", prefix: "veth" } }));
      expect(pre({ from: "remote", iif: "veth123", src: p.client, proto: "tcp", dst: p.cip(0), dport: 80 }).masq).toBe(false);
      expect(pre({ from: "node", src: p.node, proto: "tcp", dst: p.cip(0), dport: 80 }).masq).toBe(true);
    });

    test("NodePorts on every local address (all): also on other local IPs, never loopback", async () => {
      const p = plan(f);
      const all = await tableFor(f, facts(f, { nodePorts: { matchAll: true, cidrs: [] } }));
      expect(all({ from: "remote", src: p.pod(2), proto: "tcp", dst: p.gw, dport: 30080 }).endpoints).toHaveLength(2);
      expect(all({ from: "node", src: p.lo, proto: "tcp", dst: p.lo, dport: 30080 }).endpoints).toBe("untouched");
    });
  });
}
