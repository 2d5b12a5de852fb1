/**
 * Random ServicePort states for the nftables renderer's property tests (partial == full,
 * printed == checked): Services of 1-2 ports drawn from a small pool of addresses, so that keys
 * collide and groups are shared, with every endpoint-choice field in play.
 */
import type { NodeFacts, ProxyState, ServicePortState } from "../../src/model/proxy-state.ts";

/** A small deterministic PRNG, so a failing sequence can be replayed from its seed. */
export function rng(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

export const NODE: NodeFacts = { nodeIP: "10.0.0.10", nodePorts: { matchAll: false, cidrs: ["10.0.0.10/32"] }, masqueradeAll: false, localDetector: { kind: "cidr", cidr: "10.244.0.0/16" } };
const PROTOS = ["TCP", "UDP", "SCTP"] as const;

/** A random Service (1-2 ports) drawn from a small pool of addresses, so keys collide and groups are shared. */
export function randomService(r: (n: number) => number, name: string): ServicePortState[] {
  const ports = 1 + r(2);
  const cip = `10.96.0.${1 + r(6)}`;
  return Array.from({ length: ports }, (_, i) => {
    const protocol = PROTOS[r(3)]!;
    const k = r(4);
    const endpoints = Array.from({ length: k }, () => ({ ip: `10.244.1.${10 + r(5)}`, port: 8080 + r(2) })).sort((a, b) => (`${a.ip}:${a.port}` < `${b.ip}:${b.port}` ? -1 : 1));
    const dedup = [...new Map(endpoints.map((e) => [`${e.ip}:${e.port}`, { ...e, local: e.ip < "10.244.1.13" }])).values()];
    // The endpoint-choice fields: Local policies, their local sets, affinity with its timeout.
    const policy = r(4);
    const local = dedup.filter((e) => e.local);
    return {
      internalTrafficPolicy: policy === 1 ? "Local" : "Cluster",
      externalTrafficPolicy: policy === 2 ? "Local" : "Cluster",
      localEndpoints: policy === 0 ? [] : local,
      hasEndpoints: dedup.length > 0,
      affinityTimeoutSeconds: r(3) === 0 ? [30, 10800][r(2)]! : null,
      id: `ns/${name}:p${i}/${protocol}`,
      namespace: "ns",
      name,
      portName: `p${i}`,
      protocol,
      clusterIP: cip,
      port: 80 + i,
      endpoints: dedup,
      nodePort: r(2) ? 30000 + r(5) : null,
      externalIPs: r(3) === 0 ? [`192.0.2.${10 + r(3)}`] : [],
      loadBalancerIPs: r(3) === 0 ? [`198.51.100.${10 + r(3)}`] : [],
      loadBalancerSourceRanges: r(2) ? ["10.0.0.0/24"] : [],
    };
  });
}

export const stateOf = (svcs: Map<string, ServicePortState[]>): ProxyState => ({
  family: "IPv4",
  node: NODE,
  servicePorts: [...svcs.values()].flat().sort((a, b) => (a.id < b.id ? -1 : 1)),
});
