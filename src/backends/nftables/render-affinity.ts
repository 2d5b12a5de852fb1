/**
 * Session affinity (sessionAffinity ClientIP, upstream.md row 19) in upstream's own shape, for
 * the ServicePorts that ask for it: a dynamic timeout set of clients per endpoint, a chain per
 * endpoint that remembers the client and DNATs, and `service-`/`local-` chains that send a
 * remembered client back to its endpoint and pick at random otherwise. The grouped chains hand
 * these ServicePorts over through the `affinity-services` and `affinity-nodeports` maps, after
 * their masquerade decision. An endpoint that leaves takes its set with it, so no stale entry
 * can send a client to it. Pure.
 */
import type { ServicePortState } from "../../model/proxy-state.ts";
import type { L4Proto, RuleFragment, SetObject, Verdict } from "./objects.ts";
import type { RenderContext } from "./render-context.ts";
import { fromLocalPod } from "./render-groups.ts";
import { MARK_FOR_MASQUERADE_CHAIN, affinitySetName, endpointChainName, externalChainName, localChainName, serviceChainName } from "./names.ts";

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
export function affinityObjects(sp: ServicePortState, ctx: RenderContext, proto: L4Proto, cluster: readonly Ep[], local: readonly Ep[], internalLocal: boolean, externalLocal: boolean, externallyReachable: boolean): AffinityObjects {
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
      rules.push([{ match: "fib-saddr-local" }, { stmt: "verdict", verdict: { verdict: "jump", chain: MARK_FOR_MASQUERADE_CHAIN } }]);
      rules.push([{ match: "fib-saddr-local" }, { stmt: "verdict", verdict: { verdict: "goto", chain: service } }]);
    }
    if (localChain) rules.push([{ stmt: "verdict", verdict: { verdict: "goto", chain: localChain } }]);
    if (rules.length > 0) {
      chains.push({ name, rules });
      external = name;
    } else external = null;
  }
  return { sets, chains, internal: internalLocal ? localChain : service, external: externallyReachable ? external : null };
}
