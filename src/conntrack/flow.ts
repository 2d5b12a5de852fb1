/**
 * One conntrack flow as `conntrack -L` prints it: the original and reply tuples. Only what the
 * stale-flow cleanup needs is parsed; addresses are re-parsed so nothing unvalidated flows on.
 */
import { parseIP } from "../lib/ip.ts";

export interface FlowTuple {
  src: string;
  dst: string;
  sport: number;
  dport: number;
}

export interface Flow {
  proto: string;
  original: FlowTuple;
  reply: FlowTuple;
}

const FIELD = /\b(src|dst|sport|dport)=(\S+)/g;

/** Parses one line of `conntrack -L` output; null for lines that are not a TCP/UDP/SCTP flow. */
export function parseFlowLine(line: string): Flow | null {
  const proto = /\b(udp|tcp|sctp)\s+\d+\s/.exec(line)?.[1];
  if (!proto) return null;
  const values: Record<string, string>[] = [{}, {}];
  let side = 0;
  for (const m of line.matchAll(FIELD)) {
    const [, key, value] = m as unknown as [string, string, string];
    if (key in values[side]!) side++;
    if (side > 1) break;
    values[side]![key] = value;
  }
  const tuple = (v: Record<string, string>): FlowTuple | null => {
    const src = parseIP(v.src ?? "");
    const dst = parseIP(v.dst ?? "");
    const sport = Number(v.sport);
    const dport = Number(v.dport);
    if (!src || !dst || !Number.isInteger(sport) || !Number.isInteger(dport)) return null;
    return { src: src.text, dst: dst.text, sport, dport };
  };
  const original = tuple(values[0]!);
  const reply = tuple(values[1]!);
  return original && reply ? { proto, original, reply } : null;
}

/** Every flow in a `conntrack -L` listing. */
export function parseFlows(text: string): Flow[] {
  return text.split("\n").map(parseFlowLine).filter((f): f is Flow => f !== null);
}
