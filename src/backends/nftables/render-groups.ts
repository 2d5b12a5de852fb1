/**
 * The grouped endpoint chains and maps (see README, "Why grouped endpoint maps"). One chain per
 * (entry kind, protocol, endpoint count K) does what the kind asks of masquerading and then one
 * DNAT through an endpoint map keyed on the packet's own service address and port plus a
 * uniform random pick `numgen random mod K`. Everything per Service is an element of that map.
 */
import type { KeyType, MapObject, RuleFragment } from "./objects.ts";
import type { RenderContext } from "./render-context.ts";
import type { Transaction } from "./transaction.ts";
import { MARK_FOR_MASQUERADE_CHAIN, groupChainName, groupMapName, type GroupId } from "./names.ts";

const MARK: RuleFragment = { stmt: "verdict", verdict: { verdict: "jump", chain: MARK_FOR_MASQUERADE_CHAIN } };

/** The endpoint map of group `g` (shared by the cluster and external groups of one protocol and K). */
export function groupMap(g: GroupId): MapObject {
  const keyType: KeyType[] = g.kind === "nodeport" ? ["inet_service", "index"] : ["addr", "inet_service", "index"];
  return { kind: "map", name: groupMapName(g), keyType, valueType: "endpoint", modulus: g.k };
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

/** Adds group `g`'s chain and rules (its map must exist already, or be added first by `renderGroupMap`). */
export function renderGroupChain(tx: Transaction, g: GroupId, ctx: RenderContext): void {
  const chain = groupChainName(g);
  tx.add({ kind: "chain", name: chain });
  // eTP Cluster: external traffic is always masqueraded, so replies come back through this node.
  const masq = g.kind === "cluster" ? clusterMasqueradeRule(ctx) : [MARK];
  if (masq) tx.add({ kind: "rule", chain, fragments: masq });
  const key = g.kind === "nodeport" ? (["dport"] as const) : (["daddr", "dport"] as const);
  tx.add({ kind: "rule", chain, fragments: [{ stmt: "dnat-map", proto: g.proto, key, modulus: g.k, map: groupMapName(g) }] });
}

/** Adds group `g`'s endpoint map. */
export function renderGroupMap(tx: Transaction, g: GroupId): void {
  tx.add(groupMap(g));
}
