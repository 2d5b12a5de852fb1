/**
 * Session affinity (sessionAffinity ClientIP, upstream.md row 19) in upstream's own shape, for
 * the ServicePorts that ask for it: a dynamic timeout set of clients per endpoint, a chain per
 * endpoint that remembers the client and DNATs, and `service-`/`local-` chains that send a
 * remembered client back to its endpoint and pick at random otherwise. The dispatch maps go
 * straight to these chains, as upstream's do: the ClusterIP to the chain its internal policy
 * picks, whose first rule is the masquerade decision for traffic to the ClusterIP; external
 * addresses and the NodePort to `external-` (eTP Cluster: mark for masquerade, then `service-`).
 *
 * Not through the shared group chains: those used to start with a lookup in an affinity
 * dispatch map, so every new connection to any Service paid for it. (The kernel's commit-time
 * validation of that map turned out not to grow with Services x affinity ServicePorts, as first
 * feared: 10k Services with 1,000 affinity ServicePorts cost 25-28 ms per `goto` add either way.
 * nft's own cache of the per-ServicePort chains and sets is most of that: a plain element
 * add costs 17 ms there, against 0.4 ms without them.)
 *
 * An endpoint that leaves takes its set with it, so no stale entry can send a client to it. Pure.
 */
import type { ServicePortState } from "../../model/proxy-state.ts";
import type { L4Proto, RuleFragment, SetObject, Verdict } from "./objects.ts";
import type { RenderContext } from "./render-context.ts";
import { clusterMasqueradeRule, fromLocalPod, MARK } from "./render-groups.ts";
import { affinitySetName, endpointChainName, externalChainName, localChainName, serviceChainName } from "./names.ts";

/** A per-ServicePort chain and its rules. */
export interface ServiceChain {
  name: string;
  rules: RuleFragment[][];
}

/** The per-ServicePort objects of one ServicePort with affinity. */
export interface AffinityObjects {
  sets: SetObject[];
  chains: ServiceChain[];
  /** Where ClusterIP traffic goes (null: nowhere, the set it needs is empty). */
  internal: string | null;
  /** Where external traffic (external IPs, LB IPs, NodePort) goes, or null. */
  external: string | null;
}

type Ep = { ip: string; port: number };

/**
 * The objects of `sp` (which has `affinityTimeoutSeconds`), given its parsed cluster and local
 * endpoint sets. `externalLocal`: externalTrafficPolicy Local and reachable from outside.
 */
export function affinityObjects(sp: ServicePortState, ctx: RenderContext, proto: L4Proto, clusterIP: string, cluster: readonly Ep[], local: readonly Ep[], internalLocal: boolean, externalLocal: boolean, externallyReachable: boolean): AffinityObjects {
  const timeoutSeconds = sp.affinityTimeoutSeconds!;
  const sets: SetObject[] = [];
  const chains: ServiceChain[] = [];
  const seen = new Set<string>();
  const endpointChain = (ep: Ep): string => {
    const chain = endpointChainName(sp, ep);
    if (seen.has(chain)) return chain;
    seen.add(chain);
    const set = affinitySetName(sp, ep);
    sets.push({ kind: "set", name: set, keyType: ["addr"], dynamicTimeout: true });
    chains.push({ name: chain, rules: [[{ stmt: "set-update-saddr", set, timeoutSeconds }], [{ match: "l4proto", proto }, { stmt: "dnat", addr: ep.ip, port: ep.port }]] });
    return chain;
  };
  const picker = (name: string, eps: readonly Ep[]): string | null => {
    if (eps.length === 0) return null;
    const rules: RuleFragment[][] = eps.map((ep) => {
      const chain = endpointChain(ep);
      return [{ match: "addr-in-set", field: "saddr", set: affinitySetName(sp, ep) }, { stmt: "verdict", verdict: { verdict: "goto", chain } }];
    });
    rules.push([{ stmt: "numgen-vmap", targets: eps.map((ep): Verdict => ({ verdict: "goto", chain: endpointChain(ep) })) }]);
    chains.push({ name, rules });
    return name;
  };
  const needCluster = !internalLocal || externallyReachable;
  const service = needCluster ? picker(serviceChainName(sp), cluster) : null;
  const localChain = internalLocal || externalLocal ? picker(localChainName(sp), local) : null;
  let external: string | null = service;
  if (externallyReachable && externalLocal) {
    const name = externalChainName(sp);
    const rules: RuleFragment[][] = [];
    const pod = fromLocalPod(ctx.node.localDetector);
    if (service && pod) rules.push([pod, { stmt: "verdict", verdict: { verdict: "goto", chain: service } }]);
    if (service) {
      rules.push([{ match: "fib-saddr-local" }, MARK]);
      rules.push([{ match: "fib-saddr-local" }, { stmt: "verdict", verdict: { verdict: "goto", chain: service } }]);
    }
    if (localChain) rules.push([{ stmt: "verdict", verdict: { verdict: "goto", chain: localChain } }]);
    if (rules.length > 0) {
      chains.push({ name, rules });
      external = name;
    } else external = null;
  } else if (externallyReachable && service) {
    // eTP Cluster: external traffic is always masqueraded, so replies come back through this node.
    const name = externalChainName(sp);
    chains.push({ name, rules: [[MARK], [{ stmt: "verdict", verdict: { verdict: "goto", chain: service } }]] });
    external = name;
  }
  const internal = internalLocal ? localChain : service;
  // The ClusterIP's masquerade decision, guarded by the ClusterIP: the chain may also be reached
  // from `external-` (eTP Local), whose traffic keeps its source.
  const masq = clusterMasqueradeRule(ctx);
  if (internal && masq) chains.find((c) => c.name === internal)!.rules.unshift([{ match: "addr", field: "daddr", addr: clusterIP }, ...masq]);
  return { sets, chains, internal, external: externallyReachable ? external : null };
}
