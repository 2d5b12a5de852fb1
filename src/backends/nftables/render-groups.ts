/**
 * The grouped endpoint chains and maps (see README, "Why grouped endpoint maps"). One chain per
 * (entry kind, protocol, bucket of endpoint counts K) does what the kind asks of masquerading and
 * then, per K of the bucket, a DNAT through the endpoint map of K, keyed on the packet's own
 * service address and port plus a uniform random pick `numgen random mod K`. A Service's key is
 * in one map only: the other rules miss and the packet goes on to the next. Everything per
 * Service is an element of those maps.
 */
import type { LocalDetector } from "../../model/proxy-state.ts";
import type { MapObject, RuleFragment } from "./objects.ts";
import type { RenderContext } from "./render-context.ts";
import type { Transaction } from "./transaction.ts";
import {
  MARK_FOR_MASQUERADE_CHAIN,
  endpointMapName,
  groupChainName,
  groupMaps,
  type EndpointMapId,
  type GroupId,
} from "./names.ts";

/** `jump mark-for-masquerade`. */
export const MARK: RuleFragment = { stmt: "verdict", verdict: { verdict: "jump", chain: MARK_FOR_MASQUERADE_CHAIN } };

/** An endpoint map: `addr . port . index` for service addresses, `port . index` for NodePorts. */
export function endpointMap(m: EndpointMapId): MapObject {
  return { kind: "map", name: endpointMapName(m), keyType: m.nodeport ? ["inet_service", "index"] : ["addr", "inet_service", "index"], valueType: "endpoint", modulus: m.k, proto: m.proto };
}

/**
 * The masquerade rule of ClusterIP traffic (upstream): every packet with --masquerade-all;
 * otherwise, with a local-traffic detector, packets that do not come from a local pod; without
 * one, none (hairpin is handled in `masquerading`).
 */
export function clusterMasqueradeRule(ctx: RenderContext): RuleFragment[] | null {
  if (ctx.node.masqueradeAll) return [MARK];
  const d = ctx.node.localDetector;
  switch (d.kind) {
    case "none":
      return null;
    case "cidr":
      return [{ match: "addr-not-in-prefix", field: "saddr", cidr: d.cidr }, MARK];
    case "interface":
      return [{ match: "iifname-not", name: d.name, prefix: false }, MARK];
    case "interface-prefix":
      return [{ match: "iifname-not", name: d.prefix, prefix: true }, MARK];
  }
}

/** The match for "this packet comes from one of this node's pods", or null without a detector. */
export function fromLocalPod(d: LocalDetector): RuleFragment | null {
  switch (d.kind) {
    case "none":
      return null;
    case "cidr":
      return { match: "addr-in-prefix", field: "saddr", cidr: d.cidr };
    case "interface":
      return { match: "iifname", name: d.name, prefix: false };
    case "interface-prefix":
      return { match: "iifname", name: d.prefix, prefix: true };
  }
}

/**
 * Adds group `g`'s chain and rules (its maps must exist already). Services with session
 * affinity never come here: the dispatch maps send them to their own chains (render-affinity.ts).
 *
 * The `-local` kinds are externalTrafficPolicy Local (upstream.md row 16): pods short-circuit
 * to all endpoints without masquerade; the node's own addresses are masqueraded and go to all
 * endpoints; everything else goes to local endpoints only, its source kept. Without local
 * endpoints the last rule is missing and the packet meets the `drop` of the no-endpoint maps.
 */
export function renderGroupChain(tx: Transaction, g: GroupId, ctx: RenderContext): void {
  const chain = groupChainName(g);
  tx.add({ kind: "chain", name: chain });
  const nodeport = g.kind === "nodeport" || g.kind === "nodeport-local";
  const key = nodeport ? (["dport"] as const) : (["daddr", "dport"] as const);
  const dnat = (m: EndpointMapId): RuleFragment => ({ stmt: "dnat-map", proto: g.proto, key, modulus: m.k, map: endpointMapName(m) });
  if (g.kind === "external-local" || g.kind === "nodeport-local") {
    const [all, local] = [groupMaps(g).find((m) => !m.local), groupMaps(g).find((m) => m.local)];
    const pod = fromLocalPod(ctx.node.localDetector);
    if (all && pod) tx.add({ kind: "rule", chain, fragments: [pod, dnat(all)], comment: "short-circuit pod traffic" });
    if (all) {
      tx.add({ kind: "rule", chain, fragments: [{ match: "fib-saddr-local" }, MARK], comment: "masquerade traffic from the node" });
      tx.add({ kind: "rule", chain, fragments: [{ match: "fib-saddr-local" }, dnat(all)] });
    }
    if (local) tx.add({ kind: "rule", chain, fragments: [dnat(local)] });
    return;
  }
  // eTP Cluster: external traffic is always masqueraded, so replies come back through this node.
  const masq = g.kind === "cluster" ? clusterMasqueradeRule(ctx) : [MARK];
  if (masq) tx.add({ kind: "rule", chain, fragments: masq });
  for (const m of groupMaps(g)) tx.add({ kind: "rule", chain, fragments: [dnat(m)] });
}
