/**
 * What one ServicePort contributes to the table, as elements of the dispatch, check and
 * endpoint maps and sets, plus the groups whose chains those elements point at. Pure: the
 * element store decides what is added or deleted. Every address, prefix, port and protocol is
 * parsed and printed again; a value that does not parse is skipped and reported, never copied.
 */
import { parseCIDR } from "../../lib/cidr.ts";
import { parseIPv4, parseIPv6, parsePort, type IP } from "../../lib/ip.ts";
import type { EndpointTarget, ServicePortState } from "../../model/proxy-state.ts";
import type { ElementObject, EndpointValue, KeyPart, L4Proto, NftFamily, SetObject, Verdict } from "./objects.ts";
import { affinityObjects, type ServiceChain } from "./render-affinity.ts";
import type { EndpointRun } from "./endpoint-runs.ts";
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
  endpointMapName,
  servicePortMaps,
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
  /** Endpoint-map elements, by the dispatch element they hang off. */
  runs: EndpointRun[];
  groups: GroupId[];
  /** Per-ServicePort sets and chains (only Services with session affinity have any). */
  sets: SetObject[];
  chains: ServiceChain[];
  /** Distinct usable endpoints. */
  endpoints: number;
  skipped: SkippedItem[];
  /** False when the ServicePort itself could not be rendered (it contributes nothing). */
  rendered: boolean;
}

/**
 * Key parts that many elements share, made once: a full sync builds over 100k elements, and
 * their small objects (and the collector's work on them) were much of its render time (bun run
 * bench B1). Elements are plain data that nothing mutates, so sharing parts is safe (the
 * module-wide ones are frozen; freezing the per-ServicePort ones cost more than it was worth).
 */
const PROTO_PARTS: Readonly<Record<L4Proto, KeyPart>> = {
  tcp: Object.freeze({ type: "inet_proto", proto: "tcp" }),
  udp: Object.freeze({ type: "inet_proto", proto: "udp" }),
  sctp: Object.freeze({ type: "inet_proto", proto: "sctp" }),
};

/** One frozen `goto <group chain>` per group: every Service of a group points at the same one (10k copies, bun run bench B4). */
const GOTO_GROUP = new Map<string, Verdict>();
function gotoGroup(g: GroupId): Verdict {
  const chain = groupChainName(g);
  let v = GOTO_GROUP.get(chain);
  if (!v) GOTO_GROUP.set(chain, (v = Object.freeze({ verdict: "goto", chain })));
  return v;
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

/** An endpoint as parsed for the table. */
interface ParsedEndpoint {
  ip: string;
  port: number;
  local: boolean;
  value: EndpointValue;
}

/**
 * Puts `e` into `list` as a Map keyed by address and port would (a repeat replaces the earlier
 * entry in its place), without building an "address port" text per endpoint (those texts were
 * much of a full render's endpoint parsing at 100k endpoints, bun run bench B1). `firstAt`
 * holds, per address, the index of its first entry in `list`.
 */
function upsertEndpoint(list: ParsedEndpoint[], firstAt: Map<string, number>, e: ParsedEndpoint): void {
  const first = firstAt.get(e.ip);
  if (first === undefined) {
    firstAt.set(e.ip, list.length);
    list.push(e);
    return;
  }
  for (let i = first; i < list.length; i++) {
    if (list[i]!.ip === e.ip && list[i]!.port === e.port) {
      list[i] = e;
      return;
    }
  }
  list.push(e);
}

/** The elements of `sp` in the table of `ctx.family`. Never throws. */
export function servicePortElements(sp: ServicePortState, ctx: RenderContext): ServicePortElements {
  const skipped: SkippedItem[] = [];
  const out: ServicePortElements = { owner: sp.id, elements: [], runs: [], groups: [], sets: [], chains: [], endpoints: 0, skipped, rendered: false };
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
  const parseEps = (list: readonly EndpointTarget[]): ParsedEndpoint[] => {
    const endpoints: ParsedEndpoint[] = [];
    const firstAt = new Map<string, number>();
    for (const ep of list) {
      const ip = parseFor(ctx.family, ep.ip);
      const epPort = parsePort(ep.port);
      if (!ip || epPort === null) {
        skipped.push({ servicePort: sp.id, reason: `endpoint ${JSON.stringify(`${ep.ip}:${ep.port}`)} is not valid for family ${ctx.family}` });
        continue;
      }
      // `value` is shared by every element that DNATs to this endpoint.
      upsertEndpoint(endpoints, firstAt, { ip: ip.text, port: epPort, local: ep.local !== false, value: { addr: ip.text, port: epPort } });
    }
    return endpoints;
  };
  const clusterEps = parseEps(sp.endpoints);
  const localEps = parseEps(sp.localEndpoints ?? []);
  // Both lists by address and port, a local entry winning (for the count and hairpin); without
  // local endpoints that is the cluster list itself.
  let union = clusterEps;
  if (localEps.length > 0) {
    union = [];
    const firstAt = new Map<string, number>();
    for (const e of clusterEps) upsertEndpoint(union, firstAt, e);
    for (const e of localEps) upsertEndpoint(union, firstAt, e);
  }
  out.endpoints = union.length;

  const el = (container: string, key: KeyPart[], value?: ElementObject["value"], comment?: string): ElementObject => {
    const e: ElementObject = { kind: "element", container, key };
    if (value) e.value = value;
    if (comment) e.comment = comment;
    out.elements.push(e);
    return e;
  };
  // Every address and port part is made once per ServicePort and shared by its elements.
  const addrParts = new Map<string, KeyPart>();
  const addrPart = (addr: string): KeyPart => {
    let part = addrParts.get(addr);
    if (!part) addrParts.set(addr, (part = { type: "addr", addr }));
    return part;
  };
  const protoPart = PROTO_PARTS[proto];
  const portPart: KeyPart = { type: "inet_service", port };
  const addrKey = (addr: string): KeyPart[] => [addrPart(addr), protoPart, portPart];
  const comment = servicePortComment(sp);

  el(CLUSTER_IPS_SET, [addrPart(clusterIP.text)]);
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

  const hasEndpoints = sp.hasEndpoints ?? clusterEps.length > 0;
  const nodePortKey = (p: number): KeyPart[] => [protoPart, { type: "inet_service", port: p }];
  if (!hasEndpoints) {
    // Upstream: no usable endpoints anywhere means reject (ICMP port unreachable) on every address.
    for (const a of [clusterIP.text, ...external]) el(NO_ENDPOINT_SERVICES_MAP, addrKey(a), { verdict: "goto", chain: REJECT_CHAIN }, comment);
    if (nodePort !== null) el(NO_ENDPOINT_NODEPORTS_MAP, nodePortKey(nodePort), { verdict: "goto", chain: REJECT_CHAIN }, comment);
    return out;
  }
  // Endpoints exist, but the set one kind of traffic may use is empty: that traffic is dropped.
  const DROP = { verdict: "drop" } as const;
  const internalLocal = sp.internalTrafficPolicy === "Local";
  const externallyReachable = external.length > 0 || nodePort !== null;
  const externalLocal = sp.externalTrafficPolicy === "Local" && externallyReachable;
  const internal = internalLocal ? localEps : clusterEps;
  // Runs keep the model's endpoint lists where parsing changed nothing (nearly always).
  const same = (parsed: readonly ParsedEndpoint[], model: readonly EndpointTarget[]) => parsed.length === model.length && parsed.every((e, i) => e.ip === model[i]!.ip && e.port === model[i]!.port);
  const clusterTargets = same(clusterEps, sp.endpoints) ? sp.endpoints : clusterEps;
  const localTargets = same(localEps, sp.localEndpoints ?? []) ? (sp.localEndpoints ?? []) : localEps;
  const targetsOf = (eps: readonly ParsedEndpoint[]) => (eps === localEps ? localTargets : clusterTargets);
  const fill = (anchor: ElementObject, map: string, key: KeyPart[], eps: readonly ParsedEndpoint[]) => {
    if (eps.length > 0) out.runs.push({ anchor, map, key, targets: targetsOf(eps) });
  };
  const svcKey = (a: string): KeyPart[] => [addrPart(a), portPart];

  const [k, kl] = [clusterEps.length, localEps.length];
  // eTP Cluster uses all endpoints; eTP Local short-circuits pods and the node to all of them too.
  const usable = externalLocal ? kl : k;
  if (internal.length === 0) el(NO_ENDPOINT_SERVICES_MAP, addrKey(clusterIP.text), DROP, comment);
  if (externallyReachable && usable === 0) {
    for (const a of external) el(NO_ENDPOINT_SERVICES_MAP, addrKey(a), DROP, comment);
    if (nodePort !== null) el(NO_ENDPOINT_NODEPORTS_MAP, nodePortKey(nodePort), DROP, comment);
  }
  const reachable = k > 0 || kl > 0;

  if (sp.affinityTimeoutSeconds != null) {
    // Session affinity: straight to the ServicePort's own chains, as upstream's (render-affinity.ts).
    const a = affinityObjects(sp, ctx, proto, clusterIP.text, clusterEps, localEps, internalLocal, externalLocal, externallyReachable);
    out.sets.push(...a.sets);
    out.chains.push(...a.chains);
    if (a.internal) el(SERVICE_IPS_MAP, addrKey(clusterIP.text), { verdict: "goto", chain: a.internal }, comment);
    if (a.external) {
      for (const e of external) el(SERVICE_IPS_MAP, addrKey(e), { verdict: "goto", chain: a.external }, comment);
      if (nodePort !== null) el(SERVICE_NODEPORTS_MAP, nodePortKey(nodePort), { verdict: "goto", chain: a.external }, comment);
    }
  } else {
    if (internal.length > 0) {
      const cluster: GroupId = { kind: "cluster", proto, k: internal.length };
      out.groups.push(cluster);
      const anchor = el(SERVICE_IPS_MAP, addrKey(clusterIP.text), gotoGroup(cluster), comment);
      for (const m of servicePortMaps(cluster)) fill(anchor, endpointMapName(m), svcKey(clusterIP.text), internal);
    }
    if (externallyReachable && reachable) {
      const ext: GroupId = externalLocal ? { kind: "external-local", proto, k, kl } : { kind: "external", proto, k };
      const np: GroupId = externalLocal ? { kind: "nodeport-local", proto, k, kl } : { kind: "nodeport", proto, k };
      if (external.length > 0) out.groups.push(ext);
      for (const a of external) {
        const anchor = el(SERVICE_IPS_MAP, addrKey(a), gotoGroup(ext), comment);
        for (const m of servicePortMaps(ext)) fill(anchor, endpointMapName(m), svcKey(a), m.local ? localEps : clusterEps);
      }
      if (nodePort !== null) {
        out.groups.push(np);
        const anchor = el(SERVICE_NODEPORTS_MAP, nodePortKey(nodePort), gotoGroup(np), comment);
        for (const m of servicePortMaps(np)) fill(anchor, endpointMapName(m), [{ type: "inet_service", port: nodePort }], m.local ? localEps : clusterEps);
      }
    }
  }
  // Hairpin: only this node's endpoints can reach themselves through this node.
  for (const ep of union) if (ep.local) el(HAIRPIN_SET, [addrPart(ep.ip), addrPart(ep.ip)]);
  return out;
}
