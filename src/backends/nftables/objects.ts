/**
 * The typed nftables objects our renderers build: tables, chains, rules, sets, maps and elements.
 * They are plain data; a Transaction validates them and script.ts prints them. Rules are lists
 * of typed fragments, never free text, so every value in a script has been parsed on the way in.
 */

/** The nft address families we render: one table per IP family. */
export type NftFamily = "ip" | "ip6";

/** Layer-4 protocols a Service port can carry, spelled as nft spells them. */
export type L4Proto = "tcp" | "udp" | "sctp";

/** The standard priority names of the ip/ip6 families, and the number each stands for. */
export const PRIORITY_VALUES = { dstnat: -100, filter: 0, srcnat: 100 } as const;

/**
 * A base-chain priority: a standard name plus an offset. Printed as a number, because nft 1.0.6
 * accepts `dstnat`/`srcnat` only on the prerouting/postrouting hooks, while kube-proxy also
 * hooks `output` at the dstnat priority.
 */
export interface ChainPriority {
  name: keyof typeof PRIORITY_VALUES;
  offset?: number;
}

/** What makes a chain a base chain: where netfilter calls it. */
export interface BaseChainSpec {
  type: "filter" | "nat";
  hook: "prerouting" | "input" | "forward" | "output" | "postrouting";
  priority: ChainPriority;
}

/** The table a transaction works on (a transaction is bound to one family and table). */
export interface TableObject {
  kind: "table";
  comment?: string;
}

/** A chain; `base` makes it a base chain hooked into netfilter. */
export interface ChainObject {
  kind: "chain";
  name: string;
  base?: BaseChainSpec;
  comment?: string;
}

/**
 * The data types a set or map key (or a concatenation part) may have. `index` is the result of
 * `numgen random mod N`: the random pick among a Service's endpoints.
 */
export type KeyType = "addr" | "inet_proto" | "inet_service" | "index";

/** A named set of keys; `interval` lets address parts be prefixes. */
export interface SetObject {
  kind: "set";
  name: string;
  keyType: readonly KeyType[];
  interval?: boolean;
  /** `flags dynamic,timeout`: filled from the packet path (session affinity), entries expire. */
  dynamicTimeout?: boolean;
  comment?: string;
}

/**
 * A named map: to verdicts (dispatch), or to an endpoint `address . port` (DNAT through a map).
 * A map whose key has an `index` part needs `modulus` (the N of `numgen random mod N`); nft
 * declares it with `typeof`, since an integer has no fixed-size type name.
 */
export interface MapObject {
  kind: "map";
  name: string;
  keyType: readonly KeyType[];
  valueType: "verdict" | "endpoint";
  modulus?: number;
  /**
   * Endpoint maps: the transport protocol whose port the key holds, declared as `tcp dport`
   * (not `th dport`): nft 1.0.6 refuses a new rule that uses an existing `th dport` map
   * ("conflicting protocols specified: tcp vs. th"), which partial syncs and the cold-start
   * batches need.
   */
  proto?: L4Proto;
  comment?: string;
}

/** A verdict: where a packet goes next. `reject` is a statement, not a verdict, so it is absent. */
export type Verdict =
  | { verdict: "accept" | "drop" | "return" }
  | { verdict: "jump" | "goto"; chain: string };

/** One typed part of an element key; the container's key type says which one is expected. */
export type KeyPart =
  | { type: "addr"; addr: string }
  /** An address range `addr/len`, only in interval sets (a full-length prefix is an address). */
  | { type: "prefix"; cidr: string }
  | { type: "inet_proto"; proto: L4Proto }
  | { type: "inet_service"; port: number }
  | { type: "index"; index: number };

/** One key part as nft prints it (in scripts and in listings alike). */
export function partText(p: KeyPart): string {
  switch (p.type) {
    case "addr":
      return p.addr;
    case "prefix":
      return p.cidr;
    case "inet_proto":
      return p.proto;
    case "inet_service":
      return String(p.port);
    case "index":
      return String(p.index);
  }
}

/** The value of an endpoint-map element: where DNAT sends the packet. */
export interface EndpointValue {
  addr: string;
  port: number;
}

/** An element of a set (no value), of a verdict map (a verdict) or of an endpoint map. */
export interface ElementObject {
  kind: "element";
  /** The set or map the element belongs to. */
  container: string;
  key: readonly KeyPart[];
  value?: Verdict | EndpointValue;
  comment?: string;
}

/** True when an element value is a verdict (not an endpoint). */
export function isVerdict(v: Verdict | EndpointValue): v is Verdict {
  return "verdict" in v;
}

/** A packet field a lookup key or match reads. */
export type PacketField = "saddr" | "daddr" | "l4proto" | "dport";

/** The pieces a rule is made of; script.ts knows how to print each of them and nothing else. */
export type RuleFragment =
  | { match: "ct-state"; states: readonly ("new" | "established" | "related" | "invalid")[] }
  | { match: "addr"; field: "saddr" | "daddr"; addr: string }
  | { match: "addr-in-set"; field: "saddr" | "daddr"; set: string }
  | { match: "l4proto"; proto: L4Proto }
  /** `ip saddr != 10.0.0.0/8`: the address is outside the prefix. */
  | { match: "addr-not-in-prefix"; field: "saddr" | "daddr"; cidr: string }
  /** `iifname != "cbr0"` (or `"veth*"` with `prefix`): the packet did not come in on it. */
  | { match: "iifname-not"; name: string; prefix: boolean }
  /** `ip saddr 10.0.0.0/8`: the address is inside the prefix. */
  | { match: "addr-in-prefix"; field: "saddr" | "daddr"; cidr: string }
  /** `iifname "cbr0"` (or `"veth*"` with `prefix`): the packet came in on it. */
  | { match: "iifname"; name: string; prefix: boolean }
  /** `fib saddr type local`: the source is one of this host's addresses. */
  | { match: "fib-saddr-local" }
  /** `fib daddr type local`: the destination is one of this host's addresses. */
  | { match: "fib-daddr-local" }
  /** `ct status dnat`: the connection was DNATed. */
  | { match: "ct-status-dnat" }
  /** `KEY @SET` (or `KEY != @SET` with `negate`): a (concatenated) key in a set. */
  | { match: "key-in-set"; key: readonly PacketField[]; set: string; negate?: boolean }
  /** `mark and MASK == 0`: true when the bits of `mask` are all clear. */
  | { match: "mark-clear"; mask: number }
  /** `KEY vmap @MAP`: dispatch on a (concatenated) key. */
  | { stmt: "vmap"; key: readonly PacketField[]; map: string }
  /** `numgen random mod N vmap { 0 : V0, ... }`: a uniform random pick among the verdicts. */
  | { stmt: "numgen-vmap"; targets: readonly Verdict[] }
  | { stmt: "mark-or"; value: number }
  | { stmt: "mark-xor"; value: number }
  | { stmt: "masquerade"; fullyRandom: boolean }
  | { stmt: "dnat"; addr: string; port: number }
  /**
   * `meta l4proto P dnat to KEY . numgen random mod N map @MAP`: DNAT to the endpoint the map
   * holds for this packet's key and a uniform random pick. `key` is `daddr . dport` for
   * service addresses and `dport` for NodePorts.
   */
  | { stmt: "dnat-map"; proto: L4Proto; key: readonly ("daddr" | "dport")[]; modulus: number; map: string }
  | { stmt: "reject" }
  /** `update @SET { ip saddr timeout Ns }`: remember the source in a dynamic timeout set (session affinity). */
  | { stmt: "set-update-saddr"; set: string; timeoutSeconds: number }
  | { stmt: "verdict"; verdict: Verdict };

/** A rule appended to a chain. */
export interface RuleObject {
  kind: "rule";
  chain: string;
  fragments: readonly RuleFragment[];
  comment?: string;
}

/** Anything a transaction can carry. */
export type NftObject = TableObject | ChainObject | SetObject | MapObject | ElementObject | RuleObject;

/** Objects that can be flushed (emptied but kept). */
export type FlushableObject = ChainObject | SetObject | MapObject;

/** The chains a verdict points at (none for accept/drop/return). */
export function verdictChains(v: Verdict): string[] {
  return v.verdict === "jump" || v.verdict === "goto" ? [v.chain] : [];
}

/** `elements` grouped by container (containers in order of first use), each group in its given order. */
export function byContainer(elements: readonly ElementObject[]): ElementObject[] {
  const groups = new Map<string, ElementObject[]>();
  for (const e of elements) {
    const list = groups.get(e.container);
    if (list) list.push(e);
    else groups.set(e.container, [e]);
  }
  const all: ElementObject[] = [];
  for (const list of groups.values()) for (const e of list) all.push(e);
  return all;
}
