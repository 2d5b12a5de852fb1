/**
 * Prints validated operations as an nft script: one statement per line, because nft 1.0.6 wants
 * a newline or `;` before a `}` that closes a block. Only Transaction calls renderScript; it has
 * checked every value first, so printing needs no escaping.
 */
import {
  PRIORITY_VALUES,
  isVerdict,
  partText,
  type MapObject,
  type ChainObject,
  type ElementObject,
  type KeyPart,
  type KeyType,
  type NftFamily,
  type NftObject,
  type PacketField,
  type RuleFragment,
  type Verdict,
} from "./objects.ts";
import type { NftOperation } from "./transaction.ts";

/** The most elements printed in one statement (keeps single lines of a huge sync bounded). */
export const ELEMENT_BATCH_MAX = 1000;

/** The script text of `ops` on table `family table`, ending with a newline. */
export function renderScript(family: NftFamily, table: string, ops: readonly NftOperation[]): string {
  const where = `${family} ${table}`;
  const lines: string[] = [];
  // Consecutive element adds (or deletes) of one set or map become one statement: nft parses
  // and commits a batch far faster than one command per element (performance.md, section 9).
  for (let i = 0; i < ops.length; ) {
    const o = ops[i]!;
    if (o.object.kind === "element" && o.op !== "flush") {
      const container = o.object.container;
      let batch = `${o.op} element ${where} ${container} { ${element(o.object, o.op === "add")}`;
      let j = i + 1;
      for (; j < ops.length && j - i < ELEMENT_BATCH_MAX; j++) {
        const n = ops[j]!;
        if (n.op !== o.op || n.object.kind !== "element" || n.object.container !== container) break;
        batch += ", " + element(n.object, o.op === "add");
      }
      lines.push(`${batch} }`);
      i = j;
      continue;
    }
    lines.push(`${o.op} ${printObject(o.op, family, where, o.object)}`);
    i++;
  }
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}

function printObject(op: NftOperation["op"], family: NftFamily, where: string, o: NftObject): string {
  // Deletes and flushes name the object only; its properties belong to `add`.
  const full = op === "add";
  switch (o.kind) {
    case "table":
      return `table ${where}${full ? block([quoted("comment", o.comment)]) : ""}`;
    case "chain":
      return `chain ${where} ${o.name}${full ? block([...baseChain(o), quoted("comment", o.comment)]) : ""}`;
    case "set":
      return `set ${where} ${o.name}${full ? block([`type ${keyType(family, o.keyType)}`, o.interval ? "flags interval" : o.dynamicTimeout ? "flags dynamic,timeout" : null, quoted("comment", o.comment)]) : ""}`;
    case "map":
      return `map ${where} ${o.name}${full ? block([mapType(family, o), quoted("comment", o.comment)]) : ""}`;
    case "element":
      return `element ${where} ${o.container} { ${element(o, full)} }`;
    case "rule":
      return `rule ${where} ${o.chain} ${o.fragments.map((f) => fragmentText(family, f)).join(" ")}${o.comment ? ` comment "${o.comment}"` : ""}`;
  }
}

/** ` { a ; b ; }` for the non-empty properties, or nothing. */
function block(props: (string | null)[]): string {
  const present = props.filter((p): p is string => p !== null);
  return present.length > 0 ? ` { ${present.map((p) => `${p} ;`).join(" ")} }` : "";
}

function quoted(key: string, value: string | undefined): string | null {
  return value === undefined ? null : `${key} "${value}"`;
}

function baseChain(c: ChainObject): string[] {
  if (!c.base) return [];
  const prio = PRIORITY_VALUES[c.base.priority.name] + (c.base.priority.offset ?? 0);
  return [`type ${c.base.type} hook ${c.base.hook} priority ${prio}`];
}

export function keyType(family: NftFamily, types: readonly KeyType[]): string {
  return types.map((t) => (t === "addr" ? (family === "ip" ? "ipv4_addr" : "ipv6_addr") : t)).join(" . ");
}

/**
 * A verdict map has a plain type; an endpoint map is declared with `typeof`, because its key
 * holds a `numgen` result (an integer has no fixed-size type name in nft 1.0.6).
 */
export function mapType(family: NftFamily, m: MapObject): string {
  if (m.valueType === "verdict") return `type ${keyType(family, m.keyType)} : verdict`;
  const port = `${m.proto ?? "th"} dport`;
  const expr = (t: KeyType) => (t === "addr" ? `${family} daddr` : t === "inet_proto" ? "meta l4proto" : t === "inet_service" ? port : `numgen random mod ${m.modulus}`);
  return `typeof ${m.keyType.map(expr).join(" . ")} : ${family} daddr . ${port}`;
}

/** An element as an `add element` statement lists it (print-full.ts prints a full sync's elements with it too). */
export function addedElementText(e: ElementObject): string {
  return element(e, true);
}

/** Key parts as an element's key prints them. */
export function keyText(parts: readonly KeyPart[]): string {
  // Plain concatenation: a full sync prints over 100k of these (map + join was a tenth of its render).
  let key = partText(parts[0]!);
  for (let i = 1; i < parts.length; i++) key += " . " + partText(parts[i]!);
  return key;
}

/**
 * An element as a statement lists it, from its printed key, comment and value: the format
 * element() writes out, for print-full.ts and print-simple-port.ts, which print without objects.
 */
export function listedElement(key: string, comment?: string, value?: string): string {
  const text = comment === undefined ? key : `${key} comment "${comment}"`;
  return value === undefined ? text : `${text} : ${value}`;
}

/**
 * An endpoint-map element as a statement lists it: `key` (the run's key), the pick, and the
 * endpoint. listedElement's format in one string, for the 10k-100k picks of a full sync.
 */
export function pickText(key: string, pick: number, addr: string, port: number): string {
  return `${key} . ${pick} : ${addr} . ${port}`;
}

function element(e: ElementObject, full: boolean): string {
  let key = keyText(e.key);
  if (!full) return key;
  // listedElement's format, written out: its intermediate strings cost 8% of a 10k x 10
  // toScript (over 100k elements). print-full.test.ts holds the two byte for byte equal.
  if (e.comment !== undefined) key += ` comment "${e.comment}"`;
  if (e.value === undefined) return key;
  return isVerdict(e.value) ? `${key} : ${verdict(e.value)}` : `${key} : ${e.value.addr} . ${e.value.port}`;
}

/** Prints a verdict. */
export function verdict(v: Verdict): string {
  return v.verdict === "jump" || v.verdict === "goto" ? `${v.verdict} ${v.chain}` : v.verdict;
}

function field(family: NftFamily, f: PacketField): string {
  switch (f) {
    case "saddr":
    case "daddr":
      return `${family} ${f}`;
    case "l4proto":
      return "meta l4proto";
    case "dport":
      return "th dport";
  }
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/** One rule fragment as we write it in a script. */
export function fragmentText(family: NftFamily, f: RuleFragment): string {
  if ("match" in f) {
    switch (f.match) {
      case "ct-state":
        return `ct state ${f.states.join(",")}`;
      case "addr":
        return `${family} ${f.field} ${f.addr}`;
      case "addr-in-set":
        return `${family} ${f.field} @${f.set}`;
      case "l4proto":
        return `meta l4proto ${f.proto}`;
      case "mark-clear":
        return `mark and ${hex(f.mask)} == 0`;
      case "addr-not-in-prefix":
        return `${family} ${f.field} != ${f.cidr}`;
      case "iifname-not":
        return `iifname != "${f.name}${f.prefix ? "*" : ""}"`;
      case "addr-in-prefix":
        return `${family} ${f.field} ${f.cidr}`;
      case "iifname":
        return `iifname "${f.name}${f.prefix ? "*" : ""}"`;
      case "fib-saddr-local":
        return "fib saddr type local";
      case "fib-daddr-local":
        return "fib daddr type local";
      case "ct-status-dnat":
        return "ct status dnat";
      case "key-in-set":
        return `${f.key.map((k) => field(family, k)).join(" . ")} ${f.negate ? "!= " : ""}@${f.set}`;
    }
  }
  switch (f.stmt) {
    case "vmap":
      return `${f.key.map((k) => field(family, k)).join(" . ")} vmap @${f.map}`;
    case "numgen-vmap":
      return `numgen random mod ${f.targets.length} vmap { ${f.targets.map((t, i) => `${i} : ${verdict(t)}`).join(", ")} }`;
    case "mark-or":
      return `mark set mark or ${hex(f.value)}`;
    case "mark-xor":
      return `mark set mark xor ${hex(f.value)}`;
    case "masquerade":
      return f.fullyRandom ? "masquerade fully-random" : "masquerade";
    case "dnat":
      return `dnat to ${family === "ip6" ? `[${f.addr}]` : f.addr}:${f.port}`;
    case "dnat-map":
      // `tcp dport` makes nft match the protocol first (the map is declared the same way).
      return `dnat ${family} to ${f.key.map((k) => (k === "dport" ? `${f.proto} dport` : field(family, k))).join(" . ")} . numgen random mod ${f.modulus} map @${f.map}`;
    case "reject":
      return "reject";
    case "set-update-saddr":
      return `update @${f.set} { ${family} saddr timeout ${f.timeoutSeconds}s }`;
    case "verdict":
      return verdict(f.verdict);
  }
}
