/**
 * The fake nft's listing: a fake table printed as `nft list table` prints it (one canonical text,
 * rules in chain order, elements sorted), and `canonicalListing`, which brings the real nft's
 * output to the same form, so a test can compare the fake with the kernel.
 */
import { PRIORITY_VALUES, isVerdict, partText, type ElementObject, type KeyPart, type MapObject, type NftFamily, type PacketField, type RuleFragment, type RuleObject, type SetObject } from "./objects.ts";
import type { FakeTable } from "./fake.ts";
import { fragmentText, keyType, mapType, verdict } from "./script.ts";

const HOOK_PRIORITY_NAMES: Record<string, Record<number, string>> = {
  prerouting: { [-100]: "dstnat", [-110]: "dstnat - 10", 0: "filter", 100: "srcnat" },
  postrouting: { 100: "srcnat", 0: "filter" },
  input: { 0: "filter" },
  forward: { 0: "filter" },
  output: { 0: "filter" },
};

function hex8(n: number): string {
  return `0x${n.toString(16).padStart(8, "0")}`;
}

function field(family: NftFamily, f: PacketField, proto?: string): string {
  if (f === "saddr" || f === "daddr") return `${family} ${f}`;
  if (f === "l4proto") return "meta l4proto";
  return proto ? `${proto} dport` : "th dport";
}

/** A full-length prefix prints as a plain address, as nft lists it. */
function prefixText(cidr: string): string {
  const [addr, len] = cidr.split("/");
  return (addr?.includes(":") ? len === "128" : len === "32") ? addr! : cidr;
}

/**
 * One fragment as `nft list` prints it: where nft lists a fragment differently from how we write
 * it (marks in hex with `&`/`|`/`^`, full-length prefixes as plain addresses, the protocol named
 * in a DNAT map key, timeouts as durations), here; everything else lists as written.
 */
function listedFragment(family: NftFamily, f: RuleFragment): string {
  if ("match" in f) {
    switch (f.match) {
      case "mark-clear":
        return `meta mark & ${hex8(f.mask)} == 0x00000000`;
      case "addr-not-in-prefix":
        return `${family} ${f.field} != ${prefixText(f.cidr)}`;
      case "addr-in-prefix":
        return `${family} ${f.field} ${prefixText(f.cidr)}`;
      default:
        return fragmentText(family, f);
    }
  }
  switch (f.stmt) {
    case "mark-or":
      return `meta mark set meta mark | ${hex8(f.value)}`;
    case "mark-xor":
      return `meta mark set meta mark ^ ${hex8(f.value)}`;
    case "dnat-map":
      return `dnat ${family} to ${f.key.map((k) => field(family, k, f.proto)).join(" . ")} . numgen random mod ${f.modulus} map @${f.map}`;
    case "set-update-saddr":
      return `update @${f.set} { ${family} saddr timeout ${nftDuration(f.timeoutSeconds)} }`;
    default:
      return fragmentText(family, f);
  }
}

/** A rule as `nft list` prints it (only the fragments our renderers use). */
export function listedRule(family: NftFamily, r: RuleObject): string {
  const parts = r.fragments.map((f) => listedFragment(family, f));
  return `${parts.join(" ")}${r.comment ? ` comment "${r.comment}"` : ""}`;
}

/** A duration as nft lists it: `3h`, `1m30s`, `1d`. */
export function nftDuration(seconds: number): string {
  const parts: [number, string][] = [[86400, "d"], [3600, "h"], [60, "m"], [1, "s"]];
  let rest = seconds;
  let out = "";
  for (const [n, unit] of parts) {
    const q = Math.floor(rest / n);
    if (q > 0) out += `${q}${unit}`;
    rest -= q * n;
  }
  return out || "0s";
}

/** nft lists a set's and a map's type as the script declares them. */
function typeLine(family: NftFamily, o: SetObject | MapObject): string {
  return o.kind === "set" ? `type ${keyType(family, o.keyType)}` : mapType(family, o);
}

function elementLine(e: ElementObject): string {
  const key = e.key.map((p) => (p.type === "prefix" ? prefixText(p.cidr) : partText(p))).join(" . ");
  const comment = e.comment !== undefined ? ` comment "${e.comment}"` : "";
  const value = e.value === undefined ? "" : isVerdict(e.value) ? ` : ${verdict(e.value)}` : ` : ${e.value.addr} . ${e.value.port}`;
  return `${key}${comment}${value}`;
}

/**
 * The canonical text of one table: containers then chains, each sorted by name; elements sorted;
 * rules in chain order; one item per line, no handles or indentation.
 */
export function dumpTable(family: NftFamily, name: string, t: FakeTable): string {
  const lines = [`table ${family} ${name}`];
  if (t.comment !== undefined) lines.push(`comment "${t.comment}"`);
  for (const [n, c] of [...t.containers].sort(([a], [b]) => (a < b ? -1 : 1))) {
    lines.push(`${c.object.kind} ${n}`, typeLine(family, c.object));
    if (c.object.kind === "set" && c.object.interval) lines.push("flags interval");
    if (c.object.kind === "set" && c.object.dynamicTimeout) lines.push("size 65535", "flags dynamic,timeout");
    if (c.object.comment !== undefined) lines.push(`comment "${c.object.comment}"`);
    for (const e of [...c.elements.values()].map(elementLine).sort()) lines.push(`element ${e}`);
  }
  for (const [n, c] of [...t.chains].sort(([a], [b]) => (a < b ? -1 : 1))) {
    lines.push(`chain ${n}`);
    const b = c.chain.base;
    if (b) {
      const prio = PRIORITY_VALUES[b.priority.name] + (b.priority.offset ?? 0);
      lines.push(`type ${b.type} hook ${b.hook} priority ${HOOK_PRIORITY_NAMES[b.hook]?.[prio] ?? String(prio)}; policy accept;`);
    }
    if (c.chain.comment !== undefined) lines.push(`comment "${c.chain.comment}"`);
    for (const r of c.rules) lines.push(listedRule(family, r));
  }
  return `${lines.join("\n")}\n`;
}

/**
 * Brings `nft list table` output to the fake's canonical form: blocks sorted by name, elements
 * one per line and sorted, handles and indentation gone.
 */
export function canonicalListing(text: string): string {
  const out: string[] = [];
  const blocks: { head: string; lines: string[]; elements: string[] }[] = [];
  let tableHead = "";
  const tableLines: string[] = [];
  let cur: (typeof blocks)[number] | null = null;
  let inElements = false;
  let buffer = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "") continue;
    if (inElements) {
      buffer += ` ${line}`;
      if (line.endsWith("}")) {
        inElements = false;
        const body = buffer.replace(/^elements = \{\s*/, "").replace(/\s*\}$/, "");
        cur?.elements.push(...splitElements(body));
      }
      continue;
    }
    let m: RegExpExecArray | null;
    if ((m = /^table (\S+ \S+) \{$/.exec(line))) tableHead = `table ${m[1]}`;
    else if ((m = /^(set|map|chain) (\S+) \{$/.exec(line))) blocks.push((cur = { head: `${m[1]} ${m[2]}`, lines: [], elements: [] }));
    else if (line === "}") cur = null;
    else if (line.startsWith("elements = {")) {
      buffer = line;
      if (line.endsWith("}")) {
        cur?.elements.push(...splitElements(line.replace(/^elements = \{\s*/, "").replace(/\s*\}$/, "")));
      } else inElements = true;
    } else if (cur) cur.lines.push(line.replace(/ # handle \d+$/, ""));
    else tableLines.push(line);
  }
  out.push(tableHead, ...tableLines);
  const kindOrder = (h: string) => (h.startsWith("chain") ? 1 : 0);
  blocks.sort((a, b) => kindOrder(a.head) - kindOrder(b.head) || (a.head.split(" ")[1]! < b.head.split(" ")[1]! ? -1 : 1));
  for (const b of blocks) out.push(b.head, ...b.lines, ...b.elements.sort().map((e) => `element ${e}`));
  return `${out.join("\n")}\n`;
}

function splitElements(body: string): string[] {
  // Elements are separated by ", " outside quotes.
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch === '"') quoted = !quoted;
    if (ch === "," && !quoted) {
      out.push(cur.trim());
      cur = "";
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}
