/**
 * The fixed part of table `kube-proxy`: base chains at upstream's hook priorities, the dispatch
 * and check chains they jump to, the masquerade pair, and the (empty) dispatch maps and sets
 * that the per-service renderers fill. Same shape for `ip` and `ip6`.
 */
import type { RenderContext } from "./render-context.ts";
import type { BaseChainSpec, KeyType, PacketField, RuleFragment } from "./objects.ts";
import type { Transaction } from "./transaction.ts";
import {
  CLUSTER_IPS_CHECK_CHAIN,
  CLUSTER_IPS_SET,
  FILTER_FORWARD_CHAIN,
  FILTER_INPUT_CHAIN,
  FILTER_OUTPUT_CHAIN,
  MARK_FOR_MASQUERADE_CHAIN,
  MASQUERADING_CHAIN,
  NAT_OUTPUT_CHAIN,
  NAT_POSTROUTING_CHAIN,
  NAT_PREROUTING_CHAIN,
  NO_ENDPOINT_SERVICES_MAP,
  REJECT_CHAIN,
  SERVICE_ENDPOINTS_CHECK_CHAIN,
  SERVICE_IPS_MAP,
  SERVICES_CHAIN,
} from "./names.ts";

/** A base chain and the chains it jumps to, in order; `newOnly` adds `ct state new`. */
export interface BaseChainLayout {
  name: string;
  spec: BaseChainSpec;
  jumps: readonly { chain: string; newOnly: boolean }[];
}

/**
 * The base chains. DNAT happens at `dstnat` and SNAT at `srcnat`, as integrators expect. The
 * filter chains sit at `filter`, after DNAT: a packet that was DNATed no longer carries a service
 * address, so what the checks still see was not served. Reject is only allowed on the input,
 * forward and output hooks (kernels before 5.9), hence no check in prerouting.
 */
export const BASE_CHAINS: readonly BaseChainLayout[] = [
  {
    name: NAT_PREROUTING_CHAIN,
    spec: { type: "nat", hook: "prerouting", priority: { name: "dstnat" } },
    jumps: [{ chain: SERVICES_CHAIN, newOnly: false }],
  },
  {
    name: NAT_OUTPUT_CHAIN,
    spec: { type: "nat", hook: "output", priority: { name: "dstnat" } },
    jumps: [{ chain: SERVICES_CHAIN, newOnly: false }],
  },
  {
    name: FILTER_INPUT_CHAIN,
    spec: { type: "filter", hook: "input", priority: { name: "filter" } },
    jumps: [{ chain: SERVICE_ENDPOINTS_CHECK_CHAIN, newOnly: true }],
  },
  {
    name: FILTER_FORWARD_CHAIN,
    spec: { type: "filter", hook: "forward", priority: { name: "filter" } },
    jumps: [
      { chain: SERVICE_ENDPOINTS_CHECK_CHAIN, newOnly: true },
      { chain: CLUSTER_IPS_CHECK_CHAIN, newOnly: true },
    ],
  },
  {
    name: FILTER_OUTPUT_CHAIN,
    spec: { type: "filter", hook: "output", priority: { name: "filter" } },
    jumps: [
      { chain: SERVICE_ENDPOINTS_CHECK_CHAIN, newOnly: true },
      { chain: CLUSTER_IPS_CHECK_CHAIN, newOnly: true },
    ],
  },
  {
    name: NAT_POSTROUTING_CHAIN,
    spec: { type: "nat", hook: "postrouting", priority: { name: "srcnat" } },
    jumps: [{ chain: MASQUERADING_CHAIN, newOnly: false }],
  },
];

const REGULAR_CHAINS: readonly { name: string; comment?: string }[] = [
  { name: SERVICES_CHAIN },
  { name: SERVICE_ENDPOINTS_CHECK_CHAIN },
  { name: CLUSTER_IPS_CHECK_CHAIN },
  { name: REJECT_CHAIN, comment: "target of no-endpoint-services verdicts" },
  { name: MARK_FOR_MASQUERADE_CHAIN },
  { name: MASQUERADING_CHAIN },
];

/** The dispatch key of every service map: destination address, protocol, destination port. */
export const SERVICE_KEY_FIELDS: readonly PacketField[] = ["daddr", "l4proto", "dport"];
const SERVICE_KEY_TYPE: readonly KeyType[] = ["addr", "inet_proto", "inet_service"];

/** Adds the skeleton to `tx`, whose table has just been (re)created. Never throws; errors stick in `tx`. */
export function renderSkeleton(tx: Transaction, ctx: RenderContext): void {
  // Chains first: nft wants a chain to exist before a rule or element refers to it.
  for (const b of BASE_CHAINS) tx.add({ kind: "chain", name: b.name, base: b.spec });
  for (const c of REGULAR_CHAINS) tx.add({ kind: "chain", name: c.name, comment: c.comment });

  tx.add({ kind: "set", name: CLUSTER_IPS_SET, keyType: ["addr"], comment: "Active ClusterIPs" });
  tx.add({ kind: "map", name: SERVICE_IPS_MAP, keyType: SERVICE_KEY_TYPE, valueType: "verdict", comment: "ClusterIP traffic" });
  tx.add({
    kind: "map",
    name: NO_ENDPOINT_SERVICES_MAP,
    keyType: SERVICE_KEY_TYPE,
    valueType: "verdict",
    comment: "services without usable endpoints",
  });

  for (const b of BASE_CHAINS) {
    for (const j of b.jumps) {
      const fragments: RuleFragment[] = j.newOnly ? [{ match: "ct-state", states: ["new"] }] : [];
      fragments.push({ stmt: "verdict", verdict: { verdict: "jump", chain: j.chain } });
      tx.add({ kind: "rule", chain: b.name, fragments });
    }
  }

  tx.add({ kind: "rule", chain: SERVICES_CHAIN, fragments: [{ stmt: "vmap", key: SERVICE_KEY_FIELDS, map: SERVICE_IPS_MAP }] });
  tx.add({
    kind: "rule",
    chain: SERVICE_ENDPOINTS_CHECK_CHAIN,
    fragments: [{ stmt: "vmap", key: SERVICE_KEY_FIELDS, map: NO_ENDPOINT_SERVICES_MAP }],
  });
  // Still addressed to a ClusterIP after DNAT means no service port matched: refuse it loudly.
  tx.add({
    kind: "rule",
    chain: CLUSTER_IPS_CHECK_CHAIN,
    fragments: [{ match: "addr-in-set", field: "daddr", set: CLUSTER_IPS_SET }, { stmt: "reject" }],
    comment: "reject traffic to unused ports of ClusterIPs",
  });
  tx.add({ kind: "rule", chain: REJECT_CHAIN, fragments: [{ stmt: "reject" }] });

  const mark = ctx.masqueradeMark;
  tx.add({ kind: "rule", chain: MARK_FOR_MASQUERADE_CHAIN, fragments: [{ stmt: "mark-or", value: mark }] });
  tx.add({
    kind: "rule",
    chain: MASQUERADING_CHAIN,
    fragments: [{ match: "mark-clear", mask: mark }, { stmt: "verdict", verdict: { verdict: "return" } }],
  });
  // Clear the bit so a packet that is routed through this node again is not masqueraded twice.
  tx.add({ kind: "rule", chain: MASQUERADING_CHAIN, fragments: [{ stmt: "mark-xor", value: mark }] });
  tx.add({ kind: "rule", chain: MASQUERADING_CHAIN, fragments: [{ stmt: "masquerade", fullyRandom: true }] });
}
