/**
 * What one ServicePort contributes to the table, as elements of the dispatch, check and
 * endpoint maps and sets, plus the groups whose chains those elements point at. Pure: the
 * element store decides what is added or deleted. Every address, prefix, port and protocol is
 * parsed and printed again; a value that does not parse is skipped and reported, never copied.
 */
import { parseCIDR } from "../../lib/cidr.ts";
import { parseIPv4, parseIPv6, parsePort, type IP } from "../../lib/ip.ts";
import type { ServicePortState } from "../../model/proxy-state.ts";
import type { ElementObject, KeyPart, L4Proto, NftFamily } from "./objects.ts";
import type { RenderContext } from "./render-context.ts";
import {
  CLUSTER_IPS_SET,
  FIREWALL_ALLOW_SET,
  FIREWALL_IPS_MAP,
  FIREWALL_SOURCE_CHECK_CHAIN,
  HAIRPIN_SET,
  L4_PROTO_OF,
  NO_ENDPOINT_NODEPORTS_MAP,
  NO_ENDPOINT_SERVICES_MAP,
  REJECT_CHAIN,
  SERVICE_IPS_MAP,
  SERVICE_NODEPORTS_MAP,
  groupChainName,
  groupMapName,
  servicePortComment,
  type GroupId,
} from "./names.ts";

/** Something the renderer left out, and why (logged by the backend). */
export interface SkippedItem {
  servicePort: string;
  reason: string;
}

/** One ServicePort's share of the table. */
export interface ServicePortElements {
  /** The ServicePort id: the owner of these elements (the lowest id wins a contested key). */
  owner: string;
  elements: ElementObject[];
  groups: GroupId[];
  /** Distinct usable endpoints. */
  endpoints: number;
  skipped: SkippedItem[];
  /** False when the ServicePort itself could not be rendered (it contributes nothing). */
  rendered: boolean;
}

function parseFor(family: NftFamily, s: string): IP | null {
  return family === "ip" ? parseIPv4(s) : parseIPv6(s);
}

/** True when `ip` lies inside `cidr` (same family, both canonical). */
export function prefixContains(cidr: string, ip: string): boolean {
  const c = parseCIDR(cidr);
  const len = c?.prefixLength ?? -1;
  const p = parseCIDR(`${ip}/${len}`);
  return c !== null && p !== null && p.text === c.text;
}

/** The elements of `sp` in the table of `ctx.family`. Never throws. */
export function servicePortElements(sp: ServicePortState, ctx: RenderContext): ServicePortElements {
  const skipped: SkippedItem[] = [];
  const out: ServicePortElements = { owner: sp.id, elements: [], groups: [], endpoints: 0, skipped, rendered: false };
  const skipAll = (reason: string) => (skipped.push({ servicePort: sp.id, reason }), out);

  const proto: L4Proto | undefined = L4_PROTO_OF[sp.protocol];
  if (!proto) return skipAll(`unknown protocol ${JSON.stringify(sp.protocol)}`);
  const clusterIP = parseFor(ctx.family, sp.clusterIP);
  if (!clusterIP) return skipAll(`ClusterIP ${JSON.stringify(sp.clusterIP)} is not an address of family ${ctx.family}`);
  const port = parsePort(sp.port);
  if (port === null) return skipAll(`invalid port ${JSON.stringify(sp.port)}`);
  out.rendered = true;

  const addrs = (list: readonly string[] | undefined, what: string): string[] => {
    const res = new Set<string>();
    for (const s of list ?? []) {
      const ip = parseFor(ctx.family, s);
      if (ip) res.add(ip.text);
      else skipped.push({ servicePort: sp.id, reason: `${what} ${JSON.stringify(s)} is not an address of family ${ctx.family}` });
    }
    return [...res].sort();
  };
  const externalIPs = addrs(sp.externalIPs, "external IP");
  const lbIPs = addrs(sp.loadBalancerIPs, "LoadBalancer IP");
  let nodePort: number | null = null;
  if (sp.nodePort !== undefined && sp.nodePort !== null) {
    nodePort = parsePort(sp.nodePort);
    if (nodePort === null) skipped.push({ servicePort: sp.id, reason: `invalid NodePort ${JSON.stringify(sp.nodePort)}` });
  }
  const ranges: string[] = [];
  for (const r of sp.loadBalancerSourceRanges ?? []) {
    const c = parseCIDR(r);
    if (c && c.family === (ctx.family === "ip" ? "IPv4" : "IPv6")) ranges.push(c.text);
    else skipped.push({ servicePort: sp.id, reason: `source range ${JSON.stringify(r)} is not a prefix of family ${ctx.family}` });
  }

  // Parsed, deduplicated endpoints, in the model's order (upstream sorts by "ip:port").
  const endpoints = new Map<string, { ip: string; port: number }>();
  for (const ep of sp.endpoints) {
    const ip = parseFor(ctx.family, ep.ip);
    const epPort = parsePort(ep.port);
    if (!ip || epPort === null) {
      skipped.push({ servicePort: sp.id, reason: `endpoint ${JSON.stringify(`${ep.ip}:${ep.port}`)} is not valid for family ${ctx.family}` });
      continue;
    }
    endpoints.set(`${ip.text} ${epPort}`, { ip: ip.text, port: epPort });
  }
  out.endpoints = endpoints.size;
  const eps = [...endpoints.values()];

  const el = (container: string, key: KeyPart[], value?: ElementObject["value"], comment?: string) =>
    out.elements.push({ kind: "element", container, key, ...(value ? { value } : {}), ...(comment ? { comment } : {}) });
  const addrKey = (addr: string): KeyPart[] => [{ type: "addr", addr }, { type: "inet_proto", proto }, { type: "inet_service", port }];
  const comment = servicePortComment(sp);

  el(CLUSTER_IPS_SET, [{ type: "addr", addr: clusterIP.text }]);
  const external = [...new Set([...externalIPs, ...lbIPs])].sort();

  // LoadBalancerSourceRanges: filtered before DNAT, whether or not there are endpoints.
  if (ranges.length > 0) {
    const nodeIP = ctx.node.nodeIP;
    const allowLBs = nodeIP !== null && ranges.some((r) => prefixContains(r, nodeIP));
    for (const lb of lbIPs) {
      el(FIREWALL_IPS_MAP, addrKey(lb), { verdict: "goto", chain: FIREWALL_SOURCE_CHECK_CHAIN }, comment);
      for (const r of ranges) el(FIREWALL_ALLOW_SET, [...addrKey(lb), { type: "prefix", cidr: r }]);
      // Upstream: a node inside a range may reach the LB IPs; its packets then carry an LB IP as source.
      if (allowLBs) for (const src of lbIPs) el(FIREWALL_ALLOW_SET, [...addrKey(lb), { type: "prefix", cidr: `${src}/${ctx.family === "ip" ? 32 : 128}` }]);
    }
  }

  if (eps.length === 0) {
    // Upstream: no usable endpoints anywhere means reject (ICMP port unreachable) on every address.
    for (const a of [clusterIP.text, ...external]) el(NO_ENDPOINT_SERVICES_MAP, addrKey(a), { verdict: "goto", chain: REJECT_CHAIN }, comment);
    if (nodePort !== null) el(NO_ENDPOINT_NODEPORTS_MAP, [{ type: "inet_proto", proto }, { type: "inet_service", port: nodePort }], { verdict: "goto", chain: REJECT_CHAIN }, comment);
    return out;
  }

  const k = eps.length;
  const cluster: GroupId = { kind: "cluster", proto, k };
  out.groups.push(cluster);
  el(SERVICE_IPS_MAP, addrKey(clusterIP.text), { verdict: "goto", chain: groupChainName(cluster) }, comment);
  const pick = (key: KeyPart[]) => eps.forEach((ep, i) => el(groupMapName(cluster), [...key, { type: "index", index: i }], { addr: ep.ip, port: ep.port }));
  pick([{ type: "addr", addr: clusterIP.text }, { type: "inet_service", port }]);
  if (external.length > 0) {
    // externalTrafficPolicy Local is not rendered yet: such Services are served as Cluster.
    const ext: GroupId = { kind: "external", proto, k };
    out.groups.push(ext);
    for (const a of external) {
      el(SERVICE_IPS_MAP, addrKey(a), { verdict: "goto", chain: groupChainName(ext) }, comment);
      pick([{ type: "addr", addr: a }, { type: "inet_service", port }]);
    }
  }
  if (nodePort !== null) {
    const np: GroupId = { kind: "nodeport", proto, k };
    out.groups.push(np);
    el(SERVICE_NODEPORTS_MAP, [{ type: "inet_proto", proto }, { type: "inet_service", port: nodePort }], { verdict: "goto", chain: groupChainName(np) }, comment);
    eps.forEach((ep, i) => el(groupMapName(np), [{ type: "inet_service", port: nodePort }, { type: "index", index: i }], { addr: ep.ip, port: ep.port }));
  }
  for (const ep of eps) el(HAIRPIN_SET, [{ type: "addr", addr: ep.ip }, { type: "addr", addr: ep.ip }]);
  return out;
}
