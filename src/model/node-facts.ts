/**
 * Node-wide facts of one family (NodeFacts): --nodeport-addresses, --masquerade-all and the
 * local-traffic detector, resolved against this node's Node object. Pure; the Proxier calls it
 * on every sync, and a change of the result makes the backend do a full sync.
 */
import { parseCIDR, type CIDR } from "../lib/cidr.ts";
import { parseIP, type IPFamily } from "../lib/ip.ts";
import type { Node } from "../kube/schemas/node.ts";
import type { LocalDetector, NodeFacts } from "./proxy-state.ts";

/** The configuration NodeFacts are made from (the matching fields of the CLI Config). */
export interface NodeFactsConfig {
  /** --bind-address: when a specific address of the family, it is the node's IP (upstream's override). */
  bindAddress?: string;
  /** CIDRs and the keywords `primary` and `all`; [] means nftables' default, `primary`. */
  nodePortAddresses: readonly string[];
  masqueradeAll: boolean;
  clusterCIDRs: readonly string[];
  detectLocalMode: "ClusterCIDR" | "NodeCIDR" | "BridgeInterface" | "InterfaceNamePrefix";
  podBridgeInterface: string;
  podInterfaceNamePrefix: string;
}

/** The node's InternalIP of `family` (the first one), or null. */
export function nodeIPOf(node: Node | null, family: IPFamily, bindAddress?: string): string | null {
  // Upstream's precedence: a specific --bind-address of the family wins over the Node's addresses.
  const override = bindAddress ? parseIP(bindAddress) : null;
  if (override?.family === family && override.text !== "0.0.0.0" && override.text !== "::") return override.text;
  for (const a of node?.status?.addresses ?? []) {
    if (a.type !== "InternalIP") continue;
    const ip = parseIP(a.address);
    if (ip?.family === family) return ip.text;
  }
  return null;
}

const LOOPBACK: Record<IPFamily, CIDR> = { IPv4: parseCIDR("127.0.0.0/8")!, IPv6: parseCIDR("::1/128")! };

/** True when every address of `c` is a loopback address. */
function isLoopbackRange(c: CIDR): boolean {
  const lo = LOOPBACK[c.family];
  return c.prefixLength >= lo.prefixLength && parseCIDR(`${c.text.split("/")[0]}/${lo.prefixLength}`)?.text === lo.text;
}

function firstCIDROf(list: readonly (string | undefined)[], family: IPFamily): string | null {
  for (const s of list) {
    const c = typeof s === "string" ? parseCIDR(s) : null;
    if (c?.family === family) return c.text;
  }
  return null;
}

/**
 * Resolves --nodeport-addresses for `family`. `all` (or `0.0.0.0/0`, `::/0`) accepts every
 * local address. `primary` is the node's InternalIP of the family; while the Node is not known
 * yet it matches nothing, rather than briefly everything. As upstream, a list with no entry of
 * this family accepts NodePorts on every local address of it. Loopback ranges are dropped: in
 * nftables mode NodePorts never answer on loopback.
 */
export function resolveNodePortAddresses(entries: readonly string[], family: IPFamily, node: Node | null, bindAddress?: string): NodeFacts["nodePorts"] {
  const list = entries.length === 0 ? ["primary"] : entries;
  const cidrs: string[] = [];
  let ofFamily = false;
  let matchAll = false;
  for (const raw of list) {
    const e = raw.trim();
    if (e === "all") {
      matchAll = true;
      ofFamily = true;
      continue;
    }
    if (e === "primary") {
      const ip = nodeIPOf(node, family, bindAddress);
      if (node === null) ofFamily = true;
      if (ip) {
        ofFamily = true;
        cidrs.push(`${ip}/${family === "IPv4" ? 32 : 128}`);
      }
      continue;
    }
    const c = parseCIDR(e);
    if (!c || c.family !== family) continue;
    ofFamily = true;
    if (c.prefixLength === 0) matchAll = true;
    else if (!isLoopbackRange(c)) cidrs.push(c.text);
  }
  if (!ofFamily || matchAll) return { matchAll: true, cidrs: [] };
  return { matchAll: false, cidrs: [...new Set(cidrs)].sort() };
}

/**
 * The local-traffic detector of `family` (upstream's getLocalDetectors): ClusterCIDR uses the
 * first --cluster-cidr of the family, NodeCIDR the Node's spec.podCIDRs; a missing CIDR or
 * interface name gives no detector for that family.
 */
export function localDetectorOf(cfg: NodeFactsConfig, family: IPFamily, node: Node | null): LocalDetector {
  switch (cfg.detectLocalMode) {
    case "ClusterCIDR": {
      const cidr = firstCIDROf(cfg.clusterCIDRs, family);
      return cidr ? { kind: "cidr", cidr } : { kind: "none" };
    }
    case "NodeCIDR": {
      const spec = node?.spec;
      const cidr = firstCIDROf(spec?.podCIDRs?.length ? spec.podCIDRs : [spec?.podCIDR], family);
      return cidr ? { kind: "cidr", cidr } : { kind: "none" };
    }
    case "BridgeInterface":
      return cfg.podBridgeInterface ? { kind: "interface", name: cfg.podBridgeInterface } : { kind: "none" };
    case "InterfaceNamePrefix":
      return cfg.podInterfaceNamePrefix ? { kind: "interface-prefix", prefix: cfg.podInterfaceNamePrefix } : { kind: "none" };
  }
}

/** All NodeFacts of `family`. */
export function nodeFactsOf(cfg: NodeFactsConfig, family: IPFamily, node: Node | null): NodeFacts {
  return {
    nodeIP: nodeIPOf(node, family, cfg.bindAddress),
    nodePorts: resolveNodePortAddresses(cfg.nodePortAddresses, family, node, cfg.bindAddress),
    masqueradeAll: cfg.masqueradeAll,
    localDetector: localDetectorOf(cfg, family, node),
  };
}
