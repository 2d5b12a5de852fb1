/**
 * An in-memory nft: applies a Transaction to tables held as plain data, with the kernel's
 * reference checks (a rule or element may only point at what exists; what is pointed at cannot
 * be deleted; an element key holds one value; deleting what is missing fails), all or nothing.
 * `dump()` prints a table canonically in the text `nft list table` uses, and `canonicalListing`
 * brings real nft output to the same form, so tests can prove the fake honest.
 */
import { BackendError } from "../backend.ts";
import type { ApplyResult, NftClient } from "./client.ts";
import { KUBE_PROXY_TABLE } from "./names.ts";
import {
  PRIORITY_VALUES,
  isVerdict,
  verdictChains,
  type ChainObject,
  type ElementObject,
  type KeyPart,
  type MapObject,
  type NftFamily,
  type PacketField,
  type RuleFragment,
  type RuleObject,
  type SetObject,
} from "./objects.ts";
import type { Transaction } from "./transaction.ts";
import { verdict } from "./script.ts";

/** One chain as the fake holds it. */
export interface FakeChain {
  chain: ChainObject;
  rules: RuleObject[];
}

/** One set or map and its elements, keyed by printed key. */
export interface FakeContainer {
  object: SetObject | MapObject;
  elements: Map<string, ElementObject>;
}

/** One table. */
export interface FakeTable {
  comment?: string;
  chains: Map<string, FakeChain>;
  containers: Map<string, FakeContainer>;
}

/** The fake client: an NftClient plus read access for tracers and dumps. */
export interface FakeNft extends NftClient {
  table(family: NftFamily, table?: string): FakeTable | undefined;
  dump(family: NftFamily, table?: string): string;
  /** How many transactions were applied (successfully or not). */
  applied: number;
}

const keyText = (key: readonly KeyPart[]) => key.map(partText).join(" . ");
function partText(p: KeyPart): string {
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

function clone(t: FakeTable): FakeTable {
  return {
    comment: t.comment,
    chains: new Map([...t.chains].map(([n, c]) => [n, { chain: c.chain, rules: [...c.rules] }])),
    containers: new Map([...t.containers].map(([n, c]) => [n, { object: c.object, elements: new Map(c.elements) }])),
  };
}

/** Chains a rule refers to (jumps, gotos, numgen targets). */
function ruleChains(r: RuleObject): string[] {
  return r.fragments.flatMap((f) => ("stmt" in f ? (f.stmt === "verdict" ? verdictChains(f.verdict) : f.stmt === "numgen-vmap" ? f.targets.flatMap(verdictChains) : []) : []));
}

/** Sets and maps a rule refers to. */
function ruleContainers(r: RuleObject): string[] {
  return r.fragments.flatMap((f) => {
    if ("match" in f) return f.match === "addr-in-set" || f.match === "key-in-set" ? [f.set] : [];
    if (f.stmt === "set-update-saddr") return [f.set];
    return f.stmt === "vmap" || f.stmt === "dnat-map" ? [f.map] : [];
  });
}

function fail(message: string): never {
  throw new BackendError("apply", `fake nft: ${message}`);
}

function applyOps(tables: Map<string, FakeTable>, tx: Transaction): void {
  const id = `${tx.family} ${tx.table}`;
  let t = tables.get(id);
  const need = () => t ?? fail(`table ${id} does not exist`);
  for (const { op, object: o } of tx.operations) {
    if (o.kind === "table") {
      if (op === "add") {
        t ??= { chains: new Map(), containers: new Map() };
        if (o.comment !== undefined) t.comment = o.comment;
      } else if (op === "delete") {
        need();
        t = undefined;
      }
      continue;
    }
    const tb = need();
    const chainUsers = (name: string) =>
      [...tb.chains.values()].some((c) => c.rules.some((r) => ruleChains(r).includes(name))) ||
      [...tb.containers.values()].some((c) => [...c.elements.values()].some((e) => e.value !== undefined && isVerdict(e.value) && verdictChains(e.value).includes(name)));
    switch (o.kind) {
      case "chain":
        if (op === "add") {
          if (!tb.chains.has(o.name)) tb.chains.set(o.name, { chain: o, rules: [] });
        } else {
          const c = tb.chains.get(o.name) ?? fail(`chain ${o.name} does not exist`);
          if (op === "flush") c.rules = [];
          else {
            if (chainUsers(o.name)) fail(`chain ${o.name} is in use`);
            tb.chains.delete(o.name);
          }
        }
        break;
      case "set":
      case "map":
        if (op === "add") {
          if (!tb.containers.has(o.name)) tb.containers.set(o.name, { object: o, elements: new Map() });
        } else {
          const c = tb.containers.get(o.name) ?? fail(`${o.kind} ${o.name} does not exist`);
          if (op === "flush") c.elements.clear();
          else {
            if ([...tb.chains.values()].some((ch) => ch.rules.some((r) => ruleContainers(r).includes(o.name)))) fail(`${o.kind} ${o.name} is in use`);
            tb.containers.delete(o.name);
          }
        }
        break;
      case "element": {
        const c = tb.containers.get(o.container) ?? fail(`set or map ${o.container} does not exist`);
        const k = keyText(o.key);
        if (op === "delete") {
          if (!c.elements.delete(k)) fail(`element ${k} of ${o.container} does not exist`);
          break;
        }
        if (o.value && isVerdict(o.value)) for (const ch of verdictChains(o.value)) if (!tb.chains.has(ch)) fail(`chain ${ch} does not exist`);
        const old = c.elements.get(k);
        if (old && JSON.stringify(old.value) !== JSON.stringify(o.value)) fail(`element ${k} of ${o.container} exists with another value`);
        if (!old) c.elements.set(k, o);
        break;
      }
      case "rule": {
        const ch = tb.chains.get(o.chain) ?? fail(`chain ${o.chain} does not exist`);
        for (const ref of ruleChains(o)) if (!tb.chains.has(ref)) fail(`chain ${ref} does not exist`);
        for (const ref of ruleContainers(o)) if (!tb.containers.has(ref)) fail(`set or map ${ref} does not exist`);
        ch.rules.push(o);
        break;
      }
    }
  }
  if (t) tables.set(id, t);
  else tables.delete(id);
}

/** A fresh fake with no tables. */
export function createFakeNft(): FakeNft {
  let tables = new Map<string, FakeTable>();
  const fake: FakeNft = {
    applied: 0,
    async apply(tx: Transaction): Promise<ApplyResult> {
      let script: string;
      try {
        script = tx.toScript();
      } catch (e) {
        throw new BackendError("apply", `nft transaction refused before running nft: ${(e as Error).message}`);
      }
      fake.applied++;
      const next = new Map([...tables].map(([k, t]) => [k, clone(t)]));
      applyOps(next, tx);
      tables = next;
      return { scriptBytes: Buffer.byteLength(script) };
    },
    async listTable(family, table = KUBE_PROXY_TABLE) {
      if (!tables.has(`${family} ${table}`)) throw new BackendError("apply", `fake nft: no table ${family} ${table}`);
      return fake.dump(family, table);
    },
    async deleteTable(family, table = KUBE_PROXY_TABLE) {
      tables.delete(`${family} ${table}`);
    },
    table: (family, table = KUBE_PROXY_TABLE) => tables.get(`${family} ${table}`),
    dump: (family, table = KUBE_PROXY_TABLE) => {
      const t = tables.get(`${family} ${table}`);
      return t ? dumpTable(family, table, t) : "";
    },
  };
  return fake;
}

// ---- canonical listing ------------------------------------------------------------------------

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

/** A rule as `nft list` prints it (only the fragments our renderers use). */
export function listedRule(family: NftFamily, r: RuleObject): string {
  const parts = r.fragments.map((f: RuleFragment): string => {
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
          return `meta mark & ${hex8(f.mask)} == 0x00000000`;
        case "addr-not-in-prefix":
          return `${family} ${f.field} != ${prefixText(f.cidr)}`;
        case "iifname-not":
          return `iifname != "${f.name}${f.prefix ? "*" : ""}"`;
        case "addr-in-prefix":
          return `${family} ${f.field} ${prefixText(f.cidr)}`;
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
        return `meta mark set meta mark | ${hex8(f.value)}`;
      case "mark-xor":
        return `meta mark set meta mark ^ ${hex8(f.value)}`;
      case "masquerade":
        return f.fullyRandom ? "masquerade fully-random" : "masquerade";
      case "dnat":
        return `${family === "ip" ? "" : ""}dnat to ${family === "ip6" ? `[${f.addr}]` : f.addr}:${f.port}`;
      case "dnat-map":
        return `dnat ${family} to ${f.key.map((k) => field(family, k, f.proto)).join(" . ")} . numgen random mod ${f.modulus} map @${f.map}`;
      case "reject":
        return "reject";
      case "set-update-saddr":
        return `update @${f.set} { ${family} saddr timeout ${nftDuration(f.timeoutSeconds)} }`;
      case "verdict":
        return verdict(f.verdict);
    }
  });
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

function typeLine(family: NftFamily, o: SetObject | MapObject): string {
  const addr = family === "ip" ? "ipv4_addr" : "ipv6_addr";
  const plain = (ts: readonly string[]) => ts.map((t) => (t === "addr" ? addr : t)).join(" . ");
  if (o.kind === "set") return `type ${plain(o.keyType)}`;
  if (o.valueType === "verdict") return `type ${plain(o.keyType)} : verdict`;
  const expr = (t: string) => (t === "addr" ? `${family} daddr` : t === "inet_proto" ? "meta l4proto" : t === "inet_service" ? "th dport" : `numgen random mod ${o.modulus}`);
  return `typeof ${o.keyType.map(expr).join(" . ")} : ${family} daddr . th dport`;
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
function dumpTable(family: NftFamily, name: string, t: FakeTable): string {
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
