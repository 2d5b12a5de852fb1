/**
 * A packet tracer over the fake nft's tables: walks the base chains in hook order, follows every
 * jump, goto and map lookup, takes every branch of a random pick, and fails on any rule fragment
 * it does not know, so a new kind of rule cannot pass unexamined. Packets are the first packet
 * of a new connection.
 */
import { parseCIDR } from "../../src/lib/cidr.ts";
import type { FakeChain, FakeContainer, FakeTable } from "../../src/backends/nftables/fake.ts";
import { isVerdict, type KeyPart, type NftFamily, type PacketField, type RuleFragment, type Verdict } from "../../src/backends/nftables/objects.ts";

/** Where a packet comes from: another host or pod (through prerouting), or the node itself (output). */
export interface TracePacket {
  from: "remote" | "node";
  /** Input interface, for remote packets. */
  iif?: string;
  src: string;
  proto: "tcp" | "udp" | "sctp";
  dst: string;
  dport: number;
}

/** One possible fate of the packet. */
export type TraceOutcome =
  | { fate: "dnat"; endpoint: string; masq: boolean }
  | { fate: "accept"; masq: boolean }
  | { fate: "drop" }
  | { fate: "reject" };

interface State {
  dst: string;
  dport: number;
  mark: number;
  dnat: boolean;
  masq: boolean;
}

type Result = "return" | "accept" | "drop" | "reject";
interface Branch {
  st: State;
  res: Result;
}

const BASE: Record<string, { hook: string; prio: number }> = {};

function inPrefix(addr: string, cidr: string): boolean {
  const c = parseCIDR(cidr);
  if (!c) return false;
  return parseCIDR(`${addr}/${c.prefixLength}`)?.text === c.text;
}

function partMatches(part: KeyPart, value: string): boolean {
  switch (part.type) {
    case "addr":
      return part.addr === value;
    case "prefix":
      return inPrefix(value, part.cidr);
    case "inet_proto":
      return part.proto === value;
    case "inet_service":
      return String(part.port) === value;
    case "index":
      return String(part.index) === value;
  }
}

function lookup(c: FakeContainer, values: string[]) {
  for (const e of c.elements.values()) {
    if (e.key.length === values.length && e.key.every((p, i) => partMatches(p, values[i]!))) return e;
  }
  return undefined;
}

/** Traces `pkt` through `table`; `localAddrs` are the node's own addresses (fib daddr type local). */
export function trace(table: FakeTable, family: NftFamily, pkt: TracePacket, localAddrs: readonly string[]): TraceOutcome[] {
  const chain = (name: string): FakeChain => table.chains.get(name) ?? fail(`no chain ${name}`);
  const container = (name: string): FakeContainer => table.containers.get(name) ?? fail(`no set or map ${name}`);
  const fieldValue = (st: State, f: PacketField): string => (f === "saddr" ? pkt.src : f === "daddr" ? st.dst : f === "l4proto" ? pkt.proto : String(st.dport));

  const runChain = (name: string, st: State, from = 0): Branch[] => {
    const rules = chain(name).rules;
    for (let i = from; i < rules.length; i++) {
      const r = runFragments(rules[i]!.fragments, 0, st);
      if (r === "no-match") continue;
      const out: Branch[] = [];
      for (const b of r) {
        if (b.res === "return" && b.continueHere) out.push(...runChain(name, b.st, i + 1));
        else out.push({ st: b.st, res: b.res });
      }
      return out;
    }
    return [{ st, res: "return" }];
  };

  type Step = { st: State; res: Result; continueHere: boolean };
  const verdictBranches = (v: Verdict, st: State): Step[] => {
    switch (v.verdict) {
      case "accept":
      case "drop":
        return [{ st, res: v.verdict, continueHere: false }];
      case "return":
        return [{ st, res: "return", continueHere: false }];
      case "jump":
        return runChain(v.chain, st).map((b) => ({ st: b.st, res: b.res, continueHere: b.res === "return" }));
      case "goto":
        return runChain(v.chain, st).map((b) => ({ st: b.st, res: b.res, continueHere: false }));
    }
  };

  /** Evaluates a rule from fragment `i`: "no-match", or the branches it ends in. */
  const runFragments = (fs: readonly RuleFragment[], i: number, st: State): "no-match" | Step[] => {
    if (i === fs.length) return [{ st, res: "return", continueHere: true }];
    const f = fs[i]!;
    const next = (s: State = st) => runFragments(fs, i + 1, s);
    if ("match" in f) {
      let ok: boolean;
      switch (f.match) {
        case "ct-state":
          ok = f.states.includes("new");
          break;
        case "addr":
          ok = fieldValue(st, f.field) === f.addr;
          break;
        case "addr-in-set":
          ok = lookup(container(f.set), [fieldValue(st, f.field)]) !== undefined;
          break;
        case "l4proto":
          ok = pkt.proto === f.proto;
          break;
        case "mark-clear":
          ok = (st.mark & f.mask) === 0;
          break;
        case "addr-not-in-prefix":
          ok = !inPrefix(fieldValue(st, f.field), f.cidr);
          break;
        case "iifname-not": {
          const iif = pkt.from === "node" ? "" : (pkt.iif ?? "");
          ok = f.prefix ? !iif.startsWith(f.name) : iif !== f.name;
          break;
        }
        case "fib-daddr-local":
          ok = localAddrs.includes(st.dst);
          break;
        case "fib-saddr-local":
          ok = localAddrs.includes(pkt.src);
          break;
        case "addr-in-prefix":
          ok = inPrefix(fieldValue(st, f.field), f.cidr);
          break;
        case "iifname": {
          const iif = pkt.from === "node" ? "" : (pkt.iif ?? "");
          ok = f.prefix ? iif.startsWith(f.name) : iif === f.name;
          break;
        }
        case "ct-status-dnat":
          ok = st.dnat;
          break;
        case "key-in-set": {
          const found = lookup(container(f.set), f.key.map((k) => fieldValue(st, k))) !== undefined;
          ok = f.negate ? !found : found;
          break;
        }
        default:
          return fail(`unknown match ${JSON.stringify(f)}`);
      }
      return ok ? next() : "no-match";
    }
    switch (f.stmt) {
      case "vmap": {
        const e = lookup(container(f.map), f.key.map((k) => fieldValue(st, k)));
        if (!e) return "no-match";
        if (!e.value || !isVerdict(e.value)) return fail(`map ${f.map} holds no verdict`);
        return verdictBranches(e.value, st);
      }
      case "numgen-vmap":
        return f.targets.flatMap((t) => verdictBranches(t, st));
      case "mark-or":
        return next({ ...st, mark: st.mark | f.value });
      case "mark-xor":
        return next({ ...st, mark: st.mark ^ f.value });
      case "masquerade":
        return [{ st: { ...st, masq: true }, res: "accept", continueHere: false }];
      case "dnat":
        return [{ st: { ...st, dst: f.addr, dport: f.port, dnat: true }, res: "accept", continueHere: false }];
      case "dnat-map": {
        if (pkt.proto !== f.proto) return "no-match";
        const out: Step[] = [];
        let misses = 0;
        for (let n = 0; n < f.modulus; n++) {
          const e = lookup(container(f.map), [...f.key.map((k) => fieldValue(st, k)), String(n)]);
          if (!e) {
            misses++;
            continue;
          }
          if (!e.value || isVerdict(e.value)) return fail(`map ${f.map} holds no endpoint for pick ${n} of ${st.dst}:${st.dport}`);
          out.push({ st: { ...st, dst: e.value.addr, dport: e.value.port, dnat: true }, res: "accept", continueHere: false });
        }
        // A miss stops the rule (the kernel breaks out of it) and the packet goes on unchanged:
        // that is how a group chain passes a Service of another K to its next rule. A map that
        // holds some picks of a key but not all would drop a share of its connections: a defect.
        if (misses === f.modulus) return "no-match";
        if (misses > 0) return fail(`map ${f.map} has ${misses} of ${f.modulus} picks of ${st.dst}:${st.dport} missing`);
        return out;
      }
      case "reject":
        return [{ st, res: "reject", continueHere: false }];
      case "set-update-saddr":
        // Remembering the client changes no verdict of this first packet.
        container(f.set);
        return next();
      case "verdict":
        return verdictBranches(f.verdict, st);
      default:
        return fail(`unknown statement ${JSON.stringify(f)}`);
    }
  };

  // Base chains by hook, in priority order.
  const bases = [...table.chains.values()].filter((c) => c.chain.base);
  const hookChains = (hook: string) =>
    bases
      .filter((c) => c.chain.base!.hook === hook)
      .map((c) => ({ name: c.chain.name, prio: ({ dstnat: -100, filter: 0, srcnat: 100 } as const)[c.chain.base!.priority.name] + (c.chain.base!.priority.offset ?? 0) }))
      .sort((a, b) => a.prio - b.prio)
      .map((c) => c.name);

  const runHook = (hook: string, states: State[]): { st: State; final?: "drop" | "reject" }[] =>
    states.flatMap((st) => {
      let cur: { st: State; final?: "drop" | "reject" }[] = [{ st }];
      for (const name of hookChains(hook)) {
        cur = cur.flatMap((c) => (c.final ? [c] : runChain(name, c.st).map((b) => (b.res === "drop" || b.res === "reject" ? { st: b.st, final: b.res } : { st: b.st }))));
      }
      return cur;
    });

  const start: State = { dst: pkt.dst, dport: pkt.dport, mark: 0, dnat: false, masq: false };
  const path = pkt.from === "node" ? ["output"] : ["prerouting"];
  let states = runHook(path[0]!, [start]);
  states = states.flatMap((s) => {
    if (s.final) return [s];
    const local = localAddrs.includes(s.st.dst);
    if (pkt.from === "node") return local ? runHook("input", [s.st]) : runHook("postrouting", [s.st]);
    return local ? runHook("input", [s.st]) : runHook("forward", [s.st]).flatMap((f) => (f.final ? [f] : runHook("postrouting", [f.st])));
  });
  void BASE;
  return states.map((s): TraceOutcome => {
    if (s.final) return { fate: s.final };
    return s.st.dnat ? { fate: "dnat", endpoint: `${s.st.dst.includes(":") ? `[${s.st.dst}]` : s.st.dst}:${s.st.dport}`, masq: s.st.masq } : { fate: "accept", masq: s.st.masq };
  });
}

/** A row's view of the outcomes: endpoints reached (sorted, unique) or one fate, and whether masqueraded. */
export function summarize(outcomes: TraceOutcome[]): { endpoints: string[] | "drop" | "reject" | "untouched"; masq: boolean | "mixed" } {
  const fates = new Set(outcomes.map((o) => o.fate));
  if (fates.size !== 1) return { endpoints: [...fates].sort().join("+") as "drop", masq: "mixed" };
  const fate = [...fates][0]!;
  if (fate === "drop" || fate === "reject") return { endpoints: fate, masq: false };
  const masqs = new Set(outcomes.map((o) => ("masq" in o ? o.masq : false)));
  const masq = masqs.size === 1 ? [...masqs][0]! : "mixed";
  if (fate === "accept") return { endpoints: "untouched", masq };
  return { endpoints: [...new Set(outcomes.map((o) => (o.fate === "dnat" ? o.endpoint : "")))].sort(), masq };
}

function fail(msg: string): never {
  throw new Error(`nft-tracer: ${msg}`);
}
