/**
 * The fixed part of table `kube-proxy`: base chains at upstream's hook priorities, the dispatch
 * and check chains they jump to, the masquerade pair, and the dispatch maps and sets that the
 * per-service renderer fills. Same shape for `ip` and `ip6`; what varies with configuration
 * (NodePort addresses) is here too, so a change of it means a full sync.
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
  FILTER_OUTPUT_PRE_DNAT_CHAIN,
  FILTER_PREROUTING_PRE_DNAT_CHAIN,
  FIREWALL_ALLOW_SET,
  FIREWALL_CHECK_CHAIN,
  FIREWALL_IPS_MAP,
  FIREWALL_SOURCE_CHECK_CHAIN,
  HAIRPIN_SET,
  MARK_FOR_MASQUERADE_CHAIN,
  MASQUERADING_CHAIN,
  NAT_OUTPUT_CHAIN,
  NAT_POSTROUTING_CHAIN,
  NAT_PREROUTING_CHAIN,
  NODEPORT_ENDPOINTS_CHECK_CHAIN,
  NODEPORT_IPS_SET,
  NO_ENDPOINT_NODEPORTS_MAP,
  NO_ENDPOINT_SERVICES_MAP,
  REJECT_CHAIN,
  SERVICE_ENDPOINTS_CHECK_CHAIN,
  SERVICE_IPS_MAP,
  SERVICE_NODEPORTS_MAP,
  SERVICES_CHAIN,
} from "./names.ts";

/** A base chain and the chains it jumps to, in order; `newOnly` adds `ct state new`. */
export interface BaseChainLayout {
  name: string;
  spec: BaseChainSpec;
  jumps: readonly { chain: string; newOnly: boolean }[];
}

/**
 * The base chains. The source-range firewall runs before DNAT (dstnat-10), DNAT at `dstnat`,
 * SNAT at `srcnat`, as integrators expect. The filter chains at `filter` run after DNAT: a
 * packet that was DNATed no longer carries a service address, so what the checks still see was
 * not served. Reject is only allowed on the input, forward and output hooks.
 */
export const BASE_CHAINS: readonly BaseChainLayout[] = [
  {
    name: FILTER_PREROUTING_PRE_DNAT_CHAIN,
    spec: { type: "filter", hook: "prerouting", priority: { name: "dstnat", offset: -10 } },
    jumps: [{ chain: FIREWALL_CHECK_CHAIN, newOnly: true }],
  },
  {
    name: FILTER_OUTPUT_PRE_DNAT_CHAIN,
    spec: { type: "filter", hook: "output", priority: { name: "dstnat", offset: -10 } },
    jumps: [{ chain: FIREWALL_CHECK_CHAIN, newOnly: true }],
  },
  { name: NAT_PREROUTING_CHAIN, spec: { type: "nat", hook: "prerouting", priority: { name: "dstnat" } }, jumps: [{ chain: SERVICES_CHAIN, newOnly: false }] },
  { name: NAT_OUTPUT_CHAIN, spec: { type: "nat", hook: "output", priority: { name: "dstnat" } }, jumps: [{ chain: SERVICES_CHAIN, newOnly: false }] },
  {
    name: FILTER_INPUT_CHAIN,
    spec: { type: "filter", hook: "input", priority: { name: "filter" } },
    jumps: [
      { chain: NODEPORT_ENDPOINTS_CHECK_CHAIN, newOnly: true },
      { chain: SERVICE_ENDPOINTS_CHECK_CHAIN, newOnly: true },
    ],
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
  { name: NAT_POSTROUTING_CHAIN, spec: { type: "nat", hook: "postrouting", priority: { name: "srcnat" } }, jumps: [{ chain: MASQUERADING_CHAIN, newOnly: false }] },
];

const REGULAR_CHAINS: readonly { name: string; comment?: string }[] = [
  { name: SERVICES_CHAIN },
  { name: SERVICE_ENDPOINTS_CHECK_CHAIN },
  { name: NODEPORT_ENDPOINTS_CHECK_CHAIN },
  { name: FIREWALL_CHECK_CHAIN },
  { name: FIREWALL_SOURCE_CHECK_CHAIN },
  { name: CLUSTER_IPS_CHECK_CHAIN },
  { name: REJECT_CHAIN, comment: "target of no-endpoint-services verdicts" },
  { name: MARK_FOR_MASQUERADE_CHAIN },
  { name: MASQUERADING_CHAIN },
];

/** The dispatch key of every service map: destination address, protocol, destination port. */
export const SERVICE_KEY_FIELDS: readonly PacketField[] = ["daddr", "l4proto", "dport"];
const SERVICE_KEY_TYPE: readonly KeyType[] = ["addr", "inet_proto", "inet_service"];
const NODEPORT_KEY_FIELDS: readonly PacketField[] = ["l4proto", "dport"];
const NODEPORT_KEY_TYPE: readonly KeyType[] = ["inet_proto", "inet_service"];

/** The sets and maps of the skeleton (for partial-sync transactions, which must know them). */
export function skeletonContainers() {
  return {
    sets: [
      { kind: "set", name: CLUSTER_IPS_SET, keyType: ["addr"], comment: "Active ClusterIPs" },
      { kind: "set", name: NODEPORT_IPS_SET, keyType: ["addr"], interval: true, comment: "IPs that accept NodePort traffic" },
      { kind: "set", name: FIREWALL_ALLOW_SET, keyType: ["addr", "inet_proto", "inet_service", "addr"], interval: true, comment: "allowed sources of LoadBalancer IPs" },
      { kind: "set", name: HAIRPIN_SET, keyType: ["addr", "addr"], comment: "endpoint pairs masqueraded when a pod reaches itself" },
    ] as const,
    maps: [
      { kind: "map", name: SERVICE_IPS_MAP, keyType: SERVICE_KEY_TYPE, valueType: "verdict", comment: "ClusterIP, ExternalIP and LoadBalancer IP traffic" },
      { kind: "map", name: SERVICE_NODEPORTS_MAP, keyType: NODEPORT_KEY_TYPE, valueType: "verdict", comment: "NodePort traffic" },
      { kind: "map", name: NO_ENDPOINT_SERVICES_MAP, keyType: SERVICE_KEY_TYPE, valueType: "verdict", comment: "vmap to drop or reject packets to services with no endpoints" },
      { kind: "map", name: NO_ENDPOINT_NODEPORTS_MAP, keyType: NODEPORT_KEY_TYPE, valueType: "verdict", comment: "vmap to drop or reject packets to service nodeports with no endpoints" },
      { kind: "map", name: FIREWALL_IPS_MAP, keyType: SERVICE_KEY_TYPE, valueType: "verdict", comment: "destinations that are subject to LoadBalancerSourceRanges" },
    ] as const,
  };
}

/** The skeleton's chain names (for partial-sync transactions). */
export function skeletonChains(): string[] {
  return [...BASE_CHAINS.map((b) => b.name), ...REGULAR_CHAINS.map((c) => c.name)];
}

const LOOPBACK = { ip: "127.0.0.0/8", ip6: "::1/128" } as const;

/** Which destinations NodePorts answer on: local addresses, never loopback, within `nodeport-ips` unless all. */
function nodePortDestination(ctx: RenderContext): RuleFragment[] {
  const out: RuleFragment[] = [];
  if (!ctx.node.nodePorts.matchAll) out.push({ match: "addr-in-set", field: "daddr", set: NODEPORT_IPS_SET });
  out.push({ match: "fib-daddr-local" }, { match: "addr-not-in-prefix", field: "daddr", cidr: LOOPBACK[ctx.family] });
  return out;
}

/** Adds the skeleton to `tx`, whose table has just been (re)created. Never throws; errors stick in `tx`. */
export function renderSkeleton(tx: Transaction, ctx: RenderContext): void {
  // Chains first: nft wants a chain to exist before a rule or element refers to it.
  for (const b of BASE_CHAINS) tx.add({ kind: "chain", name: b.name, base: b.spec });
  for (const c of REGULAR_CHAINS) tx.add({ kind: "chain", name: c.name, comment: c.comment });
  const { sets, maps } = skeletonContainers();
  for (const s of sets) tx.add(s);
  for (const m of maps) tx.add(m);
  if (!ctx.node.nodePorts.matchAll) {
    for (const cidr of ctx.node.nodePorts.cidrs) tx.add({ kind: "element", container: NODEPORT_IPS_SET, key: [{ type: "prefix", cidr }] });
  }

  for (const b of BASE_CHAINS) {
    for (const j of b.jumps) {
      const fragments: RuleFragment[] = j.newOnly ? [{ match: "ct-state", states: ["new"] }] : [];
      fragments.push({ stmt: "verdict", verdict: { verdict: "jump", chain: j.chain } });
      tx.add({ kind: "rule", chain: b.name, fragments });
    }
  }

  tx.add({ kind: "rule", chain: SERVICES_CHAIN, fragments: [{ stmt: "vmap", key: SERVICE_KEY_FIELDS, map: SERVICE_IPS_MAP }] });
  tx.add({ kind: "rule", chain: SERVICES_CHAIN, fragments: [...nodePortDestination(ctx), { stmt: "vmap", key: NODEPORT_KEY_FIELDS, map: SERVICE_NODEPORTS_MAP }] });
  tx.add({ kind: "rule", chain: SERVICE_ENDPOINTS_CHECK_CHAIN, fragments: [{ stmt: "vmap", key: SERVICE_KEY_FIELDS, map: NO_ENDPOINT_SERVICES_MAP }] });
  tx.add({ kind: "rule", chain: NODEPORT_ENDPOINTS_CHECK_CHAIN, fragments: [...nodePortDestination(ctx), { stmt: "vmap", key: NODEPORT_KEY_FIELDS, map: NO_ENDPOINT_NODEPORTS_MAP }] });
  tx.add({ kind: "rule", chain: FIREWALL_CHECK_CHAIN, fragments: [{ stmt: "vmap", key: SERVICE_KEY_FIELDS, map: FIREWALL_IPS_MAP }] });
  tx.add({
    kind: "rule",
    chain: FIREWALL_SOURCE_CHECK_CHAIN,
    fragments: [{ match: "key-in-set", key: [...SERVICE_KEY_FIELDS, "saddr"], set: FIREWALL_ALLOW_SET }, { stmt: "verdict", verdict: { verdict: "return" } }],
  });
  tx.add({ kind: "rule", chain: FIREWALL_SOURCE_CHECK_CHAIN, fragments: [{ stmt: "verdict", verdict: { verdict: "drop" } }] });
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
  // Hairpin: a pod that reaches itself through a Service must be masqueraded, or its reply
  // would skip the node's conntrack and never be un-DNATed.
  tx.add({
    kind: "rule",
    chain: MASQUERADING_CHAIN,
    fragments: [{ match: "ct-status-dnat" }, { match: "key-in-set", key: ["saddr", "daddr"], set: HAIRPIN_SET }, { stmt: "verdict", verdict: { verdict: "jump", chain: MARK_FOR_MASQUERADE_CHAIN } }],
  });
  tx.add({ kind: "rule", chain: MASQUERADING_CHAIN, fragments: [{ match: "mark-clear", mask: mark }, { stmt: "verdict", verdict: { verdict: "return" } }] });
  // Clear the bit so a packet that is routed through this node again is not masqueraded twice.
  tx.add({ kind: "rule", chain: MASQUERADING_CHAIN, fragments: [{ stmt: "mark-xor", value: mark }] });
  tx.add({ kind: "rule", chain: MASQUERADING_CHAIN, fragments: [{ stmt: "masquerade", fullyRandom: true }] });
}
