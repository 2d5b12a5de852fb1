/**
 * Every kernel object name of the nftables backend. The fixed names are upstream kube-proxy's,
 * so a takeover replaces the same table and operators' `nft list table ip kube-proxy` habits
 * keep working. Per-ServicePort chains follow upstream's scheme, so our names equal upstream's:
 *
 *   service-<HASH>-<ns>/<svc>/<proto>/<portName>
 *   endpoint-<HASH>-<ns>/<svc>/<proto>/<portName>__<ip>/<port>
 *
 * HASH is the first 8 characters of the RFC 4648 base32 (upper case) of the SHA-256 of the rest
 * of the base name. "/" and "__" cannot occur in a namespace, service, port name or protocol,
 * so they separate the parts unambiguously; IPv6 ":" (not allowed in nft names) becomes ".".
 *
 * Longest possible name: namespace, service and port name are each at most 63 characters, the
 * protocol at most 4 ("sctp"), the hash 8, plus 4 separators ("-", "/", "/", "/") = 205 for a
 * service base. An endpoint base adds "__" + 39 (longest IPv6 text) + "/" + 5 (port) = 252, so it
 * is cut to BASE_LENGTH_MAX = 240 characters, the last 3 being "..." (the hash still covers the
 * whole name, so cut names stay distinct). With the longest prefix, "endpoint-" (9), a name has
 * at most 249 characters, below the kernel's 255 (NFT_NAME_LENGTH_MAX).
 */
import { parseIP } from "../../lib/ip.ts";
import type { Protocol } from "../../kube/schemas/service.ts";
import type { L4Proto } from "./objects.ts";

export const KUBE_PROXY_TABLE = "kube-proxy";
export const KUBE_PROXY_TABLE_COMMENT = "rules for kube-proxy";

// Base chains, named `<type>-<hook>` as upstream does.
export const NAT_PREROUTING_CHAIN = "nat-prerouting";
export const NAT_OUTPUT_CHAIN = "nat-output";
export const NAT_POSTROUTING_CHAIN = "nat-postrouting";
export const FILTER_INPUT_CHAIN = "filter-input";
export const FILTER_FORWARD_CHAIN = "filter-forward";
export const FILTER_OUTPUT_CHAIN = "filter-output";
export const FILTER_PREROUTING_PRE_DNAT_CHAIN = "filter-prerouting-pre-dnat";
export const FILTER_OUTPUT_PRE_DNAT_CHAIN = "filter-output-pre-dnat";

// Regular chains jumped to from the base chains.
export const SERVICES_CHAIN = "services";
export const SERVICE_ENDPOINTS_CHECK_CHAIN = "service-endpoints-check";
export const CLUSTER_IPS_CHECK_CHAIN = "cluster-ips-check";
export const REJECT_CHAIN = "reject-chain";
export const MARK_FOR_MASQUERADE_CHAIN = "mark-for-masquerade";
export const MASQUERADING_CHAIN = "masquerading";
export const NODEPORT_ENDPOINTS_CHECK_CHAIN = "nodeport-endpoints-check";
export const FIREWALL_CHECK_CHAIN = "firewall-check";
/** Ours: where `firewall-ips` sends a LoadBalancer IP with source ranges (upstream has a chain per Service). */
export const FIREWALL_SOURCE_CHECK_CHAIN = "firewall-source-check";

// Sets and maps.
export const SERVICE_IPS_MAP = "service-ips";
export const NO_ENDPOINT_SERVICES_MAP = "no-endpoint-services";
export const CLUSTER_IPS_SET = "cluster-ips";
export const SERVICE_NODEPORTS_MAP = "service-nodeports";
export const NO_ENDPOINT_NODEPORTS_MAP = "no-endpoint-nodeports";
export const NODEPORT_IPS_SET = "nodeport-ips";
export const FIREWALL_IPS_MAP = "firewall-ips";
/** Ours: `lbIP . proto . port . allowed source prefix`, one element per (LB IP, port, range). */
export const FIREWALL_ALLOW_SET = "firewall-allow";
/** Ours: `endpoint . endpoint` pairs of this node's endpoints; a DNATed connection from an endpoint to itself is masqueraded. */
export const HAIRPIN_SET = "hairpin-endpoints";

/**
 * The grouped endpoint objects (ours, see README). Every Service of one protocol and endpoint
 * count K shares one endpoint map. The plain kinds (cluster, external, nodeport) share one chain
 * per (kind, protocol, K bucket): buckets are 1, 2-3, 4-7, 8-15, then 16 wide (16-31, 32-47, ...),
 * and the chain holds one DNAT rule per K of its bucket. So a Service whose endpoint count moves
 * inside its bucket keeps its dispatch element (`goto` the same chain) and only its endpoint-map
 * elements move: no verdict element changes, so the kernel does not re-validate the whole table
 * (a cost that grows with the number of Services, bun run bench B2). A packet tries at most 16
 * rules of its bucket. The `-local` kinds (externalTrafficPolicy Local) have a chain per exact
 * (K, KL), KL the local endpoint count, and DNAT through a second map of local endpoints.
 * Longest chain: "group-nodeport-local-sctp-65535-65535" (37 characters); longest map:
 * "group-nodeport-local-endpoints-sctp-65535" (41).
 */
export type GroupKind = "cluster" | "external" | "nodeport" | "external-local" | "nodeport-local";

/** Identity of one endpoint group. `kl` only for the `-local` kinds. */
export interface GroupId {
  kind: GroupKind;
  proto: L4Proto;
  k: number;
  kl?: number;
}

/** Identity of one endpoint map: keyed on the service address (or the NodePort), all or local endpoints, K picks. */
export interface EndpointMapId {
  nodeport: boolean;
  local: boolean;
  proto: L4Proto;
  k: number;
}

const isLocalKind = (kind: GroupKind) => kind === "external-local" || kind === "nodeport-local";
const isNodePortKind = (kind: GroupKind) => kind === "nodeport" || kind === "nodeport-local";

/** The K bucket of a plain group's chain: `[lo, hi]` with 1, 2-3, 4-7, 8-15, then 16 wide. */
export function kBucket(k: number): { lo: number; hi: number } {
  if (k < 16) {
    const lo = 2 ** Math.floor(Math.log2(Math.max(1, k)));
    return { lo, hi: 2 * lo - 1 };
  }
  const lo = 16 * Math.floor(k / 16);
  return { lo, hi: lo + 15 };
}

/**
 * `group-<kind>-<proto>-<lo>to<hi>` for the plain kinds (the chain of K's bucket),
 * `group-<kind>-<proto>-<K>-<KL>` for the `-local` kinds.
 */
export function groupChainName(g: GroupId): string {
  if (isLocalKind(g.kind)) return `group-${g.kind}-${g.proto}-${g.k}-${g.kl ?? 0}`;
  const { lo, hi } = kBucket(g.k);
  return `group-${g.kind}-${g.proto}-${lo}to${hi}`;
}

/** `group-[nodeport-][local-]endpoints-<proto>-<K>`. */
export function endpointMapName(m: EndpointMapId): string {
  return `group-${m.nodeport ? "nodeport-" : ""}${m.local ? "local-" : ""}endpoints-${m.proto}-${m.k}`;
}

/**
 * The endpoint maps a ServicePort of group `g` puts its elements in: the all-endpoints map of K,
 * and for `-local` kinds the local map of KL (none for a count of 0).
 */
export function servicePortMaps(g: GroupId): EndpointMapId[] {
  const nodeport = isNodePortKind(g.kind);
  const out: EndpointMapId[] = [];
  if (g.k > 0) out.push({ nodeport, local: false, proto: g.proto, k: g.k });
  if (isLocalKind(g.kind) && (g.kl ?? 0) > 0) out.push({ nodeport, local: true, proto: g.proto, k: g.kl! });
  return out;
}

/** The endpoint maps group `g`'s chain DNATs through: for a plain kind one per K of its bucket, ascending. */
export function groupMaps(g: GroupId): EndpointMapId[] {
  if (isLocalKind(g.kind)) return servicePortMaps(g);
  const { lo, hi } = kBucket(g.k);
  const nodeport = isNodePortKind(g.kind);
  return Array.from({ length: hi - lo + 1 }, (_, i) => ({ nodeport, local: false, proto: g.proto, k: lo + i }));
}

/**
 * Prefixes of the per-ServicePort objects (upstream's). Only Services with session affinity get
 * them (see README): `service-`/`local-` pick among the all/local endpoints after the affinity
 * checks, `external-` splits externalTrafficPolicy Local traffic, `endpoint-` remembers the
 * client and DNATs, `affinity-` is the endpoint's dynamic set of clients.
 */
export const SERVICE_CHAIN_PREFIX = "service-";
export const LOCAL_CHAIN_PREFIX = "local-";
export const EXTERNAL_CHAIN_PREFIX = "external-";
export const ENDPOINT_CHAIN_PREFIX = "endpoint-";
export const AFFINITY_SET_PREFIX = "affinity-";

/** The longest base (the part after the prefix), as upstream: its 256 minus a 16-character prefix allowance. */
export const BASE_LENGTH_MAX = 240;

/** The fixed protocol spelling; nothing else may appear in a name or a rule. */
export const L4_PROTO_OF: Readonly<Record<Protocol, L4Proto>> = { TCP: "tcp", UDP: "udp", SCTP: "sctp" };

/** What identifies a ServicePort for naming. */
export interface ServicePortNameParts {
  namespace: string;
  name: string;
  portName: string;
  protocol: Protocol;
}

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** First 8 base32 characters of SHA-256(text): the top 40 bits of the digest. */
export function hash8(text: string): string {
  const digest = new Bun.CryptoHasher("sha256").update(text).digest();
  // 40 bits fit exactly in a double, so plain arithmetic is exact.
  let bits = 0;
  for (let i = 0; i < 5; i++) bits = bits * 256 + (digest[i] ?? 0);
  let out = "";
  for (let shift = 35; shift >= 0; shift -= 5) out += BASE32[Math.floor(bits / 2 ** shift) % 32];
  return out;
}

/**
 * A DNS label or subdomain as the API server validates namespace, service and port names. We
 * re-check because a name is printed into a script; anything else makes the name hash-only.
 */
const SAFE_PART = /^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$/;

function safePart(s: string, mayBeEmpty = false): boolean {
  return (mayBeEmpty && s === "") || SAFE_PART.test(s);
}

function hashAndTruncate(rest: string): string {
  const base = `${hash8(rest)}-${rest}`;
  return base.length > BASE_LENGTH_MAX ? `${base.slice(0, BASE_LENGTH_MAX - 3)}...` : base;
}

/** The readable part `ns/svc/proto/port`, or null when a part is not safe to print. */
function servicePortRest(sp: ServicePortNameParts): string | null {
  const proto = L4_PROTO_OF[sp.protocol];
  if (!proto || !safePart(sp.namespace) || !safePart(sp.name) || !safePart(sp.portName, true)) return null;
  return `${sp.namespace}/${sp.name}/${proto}/${sp.portName}`;
}

/**
 * The base of every per-ServicePort chain name (`HASH-ns/svc/proto/port`). When a part is not a
 * valid DNS name (the API server would not allow it) the base is the hash alone, of a JSON
 * encoding of the raw parts so that distinct inputs stay distinct. Never fails.
 */
export function servicePortChainBase(sp: ServicePortNameParts): string {
  const rest = servicePortRest(sp);
  return rest === null ? hash8(JSON.stringify([sp.namespace, sp.name, sp.protocol, sp.portName])) : hashAndTruncate(rest);
}

/**
 * The base of an endpoint chain name (`HASH-ns/svc/proto/port__ip/port`). The IP is parsed and
 * printed canonically; an unparsable IP or invalid port makes the base hash-only. Never fails.
 */
export function endpointChainBase(sp: ServicePortNameParts, ep: { ip: string; port: number }): string {
  const rest = servicePortRest(sp);
  const ip = parseIP(ep.ip);
  const portOk = Number.isInteger(ep.port) && ep.port >= 1 && ep.port <= 65535;
  if (rest === null || ip === null || !portOk) {
    return hash8(JSON.stringify([sp.namespace, sp.name, sp.protocol, sp.portName, ep.ip, ep.port]));
  }
  return hashAndTruncate(`${rest}__${ip.text.replaceAll(":", ".")}/${ep.port}`);
}

/** `service-<base>`: the chain that picks an endpoint (Cluster traffic policy). */
export function serviceChainName(sp: ServicePortNameParts): string {
  return SERVICE_CHAIN_PREFIX + servicePortChainBase(sp);
}

/** `local-<base>`: the chain that picks a local endpoint (Local traffic policies). */
export function localChainName(sp: ServicePortNameParts): string {
  return LOCAL_CHAIN_PREFIX + servicePortChainBase(sp);
}

/** `external-<base>`: the entry chain of externalTrafficPolicy Local traffic. */
export function externalChainName(sp: ServicePortNameParts): string {
  return EXTERNAL_CHAIN_PREFIX + servicePortChainBase(sp);
}

/** `affinity-<endpoint base>`: the dynamic set of clients that stick to one endpoint. */
export function affinitySetName(sp: ServicePortNameParts, ep: { ip: string; port: number }): string {
  return AFFINITY_SET_PREFIX + endpointChainBase(sp, ep);
}

/** `endpoint-<base>`: the chain that DNATs to one endpoint. */
export function endpointChainName(sp: ServicePortNameParts, ep: { ip: string; port: number }): string {
  return ENDPOINT_CHAIN_PREFIX + endpointChainBase(sp, ep);
}

/**
 * The element comment upstream puts on no-endpoint entries, `ns/svc:port` (`ns/svc` for an
 * unnamed port); undefined when a part is not safe to print.
 */
export function servicePortComment(sp: ServicePortNameParts): string | undefined {
  if (servicePortRest(sp) === null) return undefined;
  return `${sp.namespace}/${sp.name}${sp.portName ? `:${sp.portName}` : ""}`;
}

/** Inverse of groupChainName; a plain group comes back with K the lowest of its bucket. */
export function parseGroupName(name: string): GroupId {
  const plain = /^group-(cluster|external|nodeport)-(tcp|udp|sctp)-(\d+)to\d+$/.exec(name);
  if (plain) return { kind: plain[1] as GroupKind, proto: plain[2] as L4Proto, k: Number(plain[3]) };
  const [, kind, proto, k, kl] = /^group-(external-local|nodeport-local)-(tcp|udp|sctp)-(\d+)-(\d+)$/.exec(name) ?? [];
  if (!kind || !proto || !k || !kl) throw new Error(`not a group chain name: ${name}`);
  return { kind: kind as GroupKind, proto: proto as L4Proto, k: Number(k), kl: Number(kl) };
}
