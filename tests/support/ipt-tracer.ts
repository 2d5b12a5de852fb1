/**
 * A packet tracer over an iptables dump (the fake's, or the kernel's parsed): it walks a new
 * connection's first packet through nat and filter hooks in the kernel's order, follows both
 * sides of every random branch, and fails on any rule fragment it does not recognise. Its answer
 * is every possible fate: DNAT to an endpoint (and whether it is masqueraded), or rejected,
 * dropped, or passed untouched.
 */
import type { SaveModel } from "../../src/backends/iptables/save-format.ts";
import { parseCIDR } from "../../src/lib/cidr.ts";

export interface TracePacket {
  src: string;
  dst: string;
  proto: "tcp" | "udp" | "sctp";
  dport: number;
  /** Where it enters: from another host (prerouting, then forward or input) or from the node itself (output). */
  from: "outside" | "node";
  /** Input interface, for interface-based local detection. */
  iif?: string;
}

export type Fate =
  | { kind: "dnat"; to: string; masq: boolean }
  | { kind: "reject" }
  | { kind: "drop" }
  | { kind: "pass"; masq: boolean };

export interface TraceContext {
  /** Addresses that are local to the node (addrtype LOCAL). */
  localAddresses: string[];
}

interface PacketState {
  dst: string;
  dport: number;
  mark: number;
  dnat: string | null;
}

type Verdict = { kind: "continue" } | { kind: "accept" } | { kind: "drop" } | { kind: "reject" } | { kind: "return" };

/** Splits a rule into words, keeping a quoted comment as one word. */
export function ruleWords(rule: string): string[] {
  return rule.match(/"[^"]*"|\S+/g) ?? [];
}

function inCIDR(ip: string, cidr: string): boolean {
  const c = parseCIDR(cidr.includes("/") ? cidr : `${cidr}/${cidr.includes(":") ? 128 : 32}`);
  return c !== null && parseCIDR(`${ip}/${c.prefixLength}`)?.text === c.text;
}

/** Evaluates a rule's matches: returns the branches (probability splits double them) where it matches. */
function matchRule(words: string[], pkt: TracePacket, st: PacketState, ctx: TraceContext): { matches: boolean; target: string[] }[] {
  let branches: boolean[] = [true];
  let i = 0;
  let target: string[] = [];
  const fail = (why: string): never => {
    throw new Error(`ipt-tracer: ${why} in rule: ${words.join(" ")}`);
  };
  const all = (ok: boolean) => (branches = branches.map((b) => b && ok));
  while (i < words.length) {
    let negate = false;
    if (words[i] === "!") {
      negate = true;
      i++;
    }
    const w = words[i++];
    const arg = () => words[i++] ?? fail(`missing argument after ${w}`);
    switch (w) {
      case "-s":
        all(inCIDR(pkt.src, arg()) !== negate);
        break;
      case "-d":
        all(inCIDR(st.dst, arg()) !== negate);
        break;
      case "-i": {
        const name = arg();
        const hit = name.endsWith("+") ? (pkt.iif ?? "").startsWith(name.slice(0, -1)) : pkt.iif === name;
        all(hit !== negate);
        break;
      }
      case "-p":
        all((pkt.proto === arg()) !== negate);
        break;
      case "-m": {
        const mod = arg();
        if (mod === "comment") {
          if (words[i++] !== "--comment") fail("comment without --comment");
          i++;
        } else if (mod === "tcp" || mod === "udp" || mod === "sctp") {
          if (words[i] === "--dport") {
            i++;
            all(st.dport === Number(arg()));
          }
        } else if (mod === "statistic") {
          if (words[i] !== "--mode" || words[i + 1] !== "random" || words[i + 2] !== "--probability") fail("unknown statistic form");
          i += 4;
          branches = branches.flatMap((b) => [b, false]);
        } else if (mod === "addrtype") {
          const which = words[i++];
          if ((which !== "--dst-type" && which !== "--src-type") || words[i++] !== "LOCAL") fail("unknown addrtype form");
          all(ctx.localAddresses.includes(which === "--dst-type" ? st.dst : pkt.src) !== negate);
        } else if (mod === "recent") {
          // A new client has no recent entry yet: --rcheck does not match; --set only records.
          const op = words[i++];
          if (op !== "--rcheck" && op !== "--set") fail(`unknown recent form ${op}`);
          while (i < words.length && words[i] !== "-m" && words[i] !== "-j") i++;
          if (op === "--rcheck") all(false);
        } else if (mod === "conntrack") {
          if (words[i++] !== "--ctstate") fail("unknown conntrack form");
          const states = arg().split(",");
          all(states.includes("NEW"));
        } else if (mod === "mark") {
          const neg = words[i] === "!";
          if (neg) i++;
          if (words[i++] !== "--mark") fail("unknown mark form");
          const [v, m] = arg().split("/").map((x) => Number(x));
          all(((st.mark & (m ?? 0xffffffff)) === v) !== neg);
        } else fail(`unknown match module ${mod}`);
        break;
      }
      case "-j":
        target = words.slice(i - 1);
        i = words.length;
        break;
      default:
        fail(`unknown word ${w}`);
    }
  }
  return branches.map((matches) => ({ matches, target }));
}

export class IptablesTracer {
  constructor(
    private readonly dump: SaveModel,
    private readonly ctx: TraceContext,
  ) {}

  /** Every possible fate of the packet. */
  trace(pkt: TracePacket): Fate[] {
    const start: PacketState = { dst: pkt.dst, dport: pkt.dport, mark: 0, dnat: null };
    const out: Fate[] = [];
    for (const st of this.walk("nat", pkt.from === "outside" ? "PREROUTING" : "OUTPUT", pkt, [start])) {
      const filterHook = pkt.from === "node" ? "OUTPUT" : this.ctx.localAddresses.includes(st.state.dst) ? "INPUT" : "FORWARD";
      if (st.verdict === "drop" || st.verdict === "reject") {
        out.push({ kind: st.verdict });
        continue;
      }
      for (const f of this.walk("filter", filterHook, pkt, [st.state])) {
        if (f.verdict === "drop" || f.verdict === "reject") {
          out.push({ kind: f.verdict });
          continue;
        }
        const post = this.walk("nat", "POSTROUTING", pkt, [f.state]);
        for (const p of post) {
          const masq = p.masq;
          out.push(p.state.dnat ? { kind: "dnat", to: p.state.dnat, masq } : { kind: "pass", masq });
        }
      }
    }
    return dedupe(out);
  }

  /** Runs a built-in chain for each state; returns every outcome (branching on probabilities). */
  private walk(table: string, chain: string, pkt: TracePacket, states: PacketState[]): { state: PacketState; verdict: "accept" | "drop" | "reject"; masq: boolean }[] {
    const results: { state: PacketState; verdict: "accept" | "drop" | "reject"; masq: boolean }[] = [];
    for (const s of states) {
      for (const r of this.run(table, chain, pkt, { ...s }, 0)) {
        results.push({ state: r.state, verdict: r.verdict.kind === "drop" ? "drop" : r.verdict.kind === "reject" ? "reject" : "accept", masq: r.masq });
      }
    }
    return results;
  }

  private run(table: string, chain: string, pkt: TracePacket, st: PacketState, depth: number): { state: PacketState; verdict: Verdict; masq: boolean }[] {
    if (depth > 32) throw new Error(`ipt-tracer: jump loop at ${table}/${chain}`);
    const rules = this.dump.get(table)?.chains.get(chain)?.rules ?? [];
    let live: { state: PacketState; masq: boolean }[] = [{ state: st, masq: false }];
    const done: { state: PacketState; verdict: Verdict; masq: boolean }[] = [];
    for (const rule of rules) {
      const next: { state: PacketState; masq: boolean }[] = [];
      for (const cur of live) {
        for (const m of matchRule(ruleWords(rule), pkt, cur.state, this.ctx)) {
          if (!m.matches) {
            next.push(cur);
            continue;
          }
          for (const r of this.apply(table, m.target, pkt, { ...cur.state }, depth)) {
            const masq = cur.masq || r.masq;
            if (r.verdict.kind === "continue") next.push({ state: r.state, masq });
            else done.push({ state: r.state, verdict: r.verdict, masq });
          }
        }
      }
      live = next;
    }
    return [...done, ...live.map((l) => ({ ...l, verdict: { kind: "continue" } as Verdict }))];
  }

  private apply(table: string, target: string[], pkt: TracePacket, st: PacketState, depth: number): { state: PacketState; verdict: Verdict; masq: boolean }[] {
    const [, name, ...opts] = target;
    switch (name) {
      case undefined:
        return [{ state: st, verdict: { kind: "continue" }, masq: false }];
      case "ACCEPT":
        return [{ state: st, verdict: { kind: "accept" }, masq: false }];
      case "DROP":
        return [{ state: st, verdict: { kind: "drop" }, masq: false }];
      case "REJECT":
        return [{ state: st, verdict: { kind: "reject" }, masq: false }];
      case "RETURN":
        return [{ state: st, verdict: { kind: "return" }, masq: false }];
      case "MARK": {
        if (opts[0] !== "--set-xmark") throw new Error(`ipt-tracer: unknown MARK form ${opts.join(" ")}`);
        const [v, m] = opts[1]!.split("/").map((x) => Number(x));
        st.mark = (st.mark & ~m!) ^ v!;
        return [{ state: st, verdict: { kind: "continue" }, masq: false }];
      }
      case "MASQUERADE":
        return [{ state: st, verdict: { kind: "accept" }, masq: true }];
      case "DNAT": {
        if (opts[0] !== "--to-destination") throw new Error(`ipt-tracer: unknown DNAT form ${opts.join(" ")}`);
        const to = opts[1]!;
        const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(to)!;
        return [{ state: { ...st, dnat: to, dst: m[1]!, dport: Number(m[2]) }, verdict: { kind: "accept" }, masq: false }];
      }
      default: {
        if (!this.dump.get(table)?.chains.has(name)) throw new Error(`ipt-tracer: jump to unknown target ${name}`);
        return this.run(table, name, pkt, st, depth + 1).map((r) => (r.verdict.kind === "return" || r.verdict.kind === "continue" ? { ...r, verdict: { kind: "continue" } } : r));
      }
    }
  }
}

function dedupe(fates: Fate[]): Fate[] {
  const seen = new Map<string, Fate>();
  for (const f of fates) seen.set(JSON.stringify(f), f);
  return [...seen.values()].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}
