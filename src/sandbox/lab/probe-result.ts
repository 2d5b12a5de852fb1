/**
 * The probe's report: who answered how often, and how the rest failed. The probe command prints
 * it as JSON; the lab reads it back through `parseProbeResult`, which checks its shape.
 */
import * as v from "valibot";

/** How one request ended. */
export type ProbeOutcome =
  | { kind: "answer"; name: string; source?: string }
  | { kind: "refused" }
  | { kind: "timeout" }
  | { kind: "error"; code: string };

/** Counts over all requests of one probe run. */
export interface ProbeResult {
  /** Answers per server name (a lab pod answers with its name). */
  answers: Record<string, number>;
  /**
   * Answers per source address the servers saw (a lab pod also answers with its peer's address):
   * the probe's own address when the source was preserved, the node's when it was masqueraded.
   */
  sources: Record<string, number>;
  /** The same, per server name: `{ "pod-a": { "10.244.1.1": 3 } }`. */
  sourcesByName: Record<string, Record<string, number>>;
  /** Connections refused: TCP RST, or an ICMP port-unreachable (a Service with no endpoints). */
  refused: number;
  /** Requests that got nothing back within the timeout (dropped somewhere). */
  timeouts: number;
  /** Every other failure (unreachable host or network, reset, empty answer). */
  errors: number;
  /** How often each error code was seen, for diagnosis. */
  errorCodes: Record<string, number>;
  /** Milliseconds from the probe's start to the end of the first request that did not get an answer; null if all did. */
  firstErrorMs: number | null;
  /** Milliseconds the whole run took. */
  elapsedMs: number;
}

const count = v.pipe(v.number(), v.integer(), v.minValue(0));

/** The schema of a probe report, for reading one back from another process. */
export const ProbeResultSchema = v.object({
  answers: v.record(v.string(), count),
  // Optional, so a report of a probe built before sources were reported still reads.
  sources: v.optional(v.record(v.string(), count), {}),
  sourcesByName: v.optional(v.record(v.string(), v.record(v.string(), count)), {}),
  refused: count,
  timeouts: count,
  errors: count,
  errorCodes: v.record(v.string(), count),
  firstErrorMs: v.nullable(v.pipe(v.number(), v.minValue(0))),
  elapsedMs: v.pipe(v.number(), v.minValue(0)),
});

/** Parses a probe report from JSON text; throws an Error naming the problem when it is not one. */
export function parseProbeResult(text: string): ProbeResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`probe: output is not JSON: ${JSON.stringify(text.slice(0, 200))}`);
  }
  const r = v.safeParse(ProbeResultSchema, json);
  if (!r.success) throw new Error(`probe: unexpected report shape: ${r.issues.map((i) => `${v.getDotPath(i) ?? "."}: ${i.message}`).join("; ")}`);
  return r.output;
}

/** An empty report, the start of a tally. */
export function emptyProbeResult(): ProbeResult {
  return { answers: {}, sources: {}, sourcesByName: {}, refused: 0, timeouts: 0, errors: 0, errorCodes: {}, firstErrorMs: null, elapsedMs: 0 };
}

/** Adds one outcome that ended `atMs` after the start to `r` (mutates and returns it). */
export function tallyOutcome(r: ProbeResult, outcome: ProbeOutcome, atMs: number): ProbeResult {
  if (outcome.kind === "answer") {
    r.answers[outcome.name] = (r.answers[outcome.name] ?? 0) + 1;
    if (outcome.source !== undefined) {
      r.sources[outcome.source] = (r.sources[outcome.source] ?? 0) + 1;
      const byName = (r.sourcesByName[outcome.name] ??= {});
      byName[outcome.source] = (byName[outcome.source] ?? 0) + 1;
    }
    return r;
  }
  if (r.firstErrorMs === null) r.firstErrorMs = atMs;
  if (outcome.kind === "refused") r.refused++;
  else if (outcome.kind === "timeout") r.timeouts++;
  else {
    r.errors++;
    r.errorCodes[outcome.code] = (r.errorCodes[outcome.code] ?? 0) + 1;
  }
  return r;
}

/** A one-line human summary: `pod-a=3 pod-b=2 refused=0 timeouts=0 errors=0`. */
export function formatProbeSummary(r: ProbeResult): string {
  const names = Object.keys(r.answers).sort().map((n) => `${n}=${r.answers[n]}`);
  const codes = Object.keys(r.errorCodes).sort().map((c) => `${c}:${r.errorCodes[c]}`);
  return [...names, `refused=${r.refused}`, `timeouts=${r.timeouts}`, `errors=${r.errors}${codes.length ? ` (${codes.join(",")})` : ""}`].join(" ");
}
