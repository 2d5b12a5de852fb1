/**
 * `kube-proxy sandbox probe --proto tcp|udp --target IP:PORT --count N [--timeout-ms T] [--source IP] [--json]`:
 * the lab's client. Sends N requests one after another, each on a fresh socket, and reports who
 * answered and how the others failed (JSON with `--json`, one summary line without).
 */
import { parseProbeFlags, type ProbeFlags } from "./probe-flags.ts";
import { probeOnce } from "./probe-once.ts";
import { emptyProbeResult, formatProbeSummary, tallyOutcome, type ProbeOutcome, type ProbeResult } from "./probe-result.ts";
import type { IP } from "../../lib/ip.ts";

/** Sends one request; the real one opens sockets, tests may pass a scripted one. */
export type ProbeOnceFn = (proto: ProbeFlags["proto"], ip: IP, port: number, timeoutMs: number, source?: IP) => Promise<ProbeOutcome>;

/**
 * Runs `flags.count` requests in sequence and tallies them. Sequential on purpose: each request
 * is a new connection, so the spread over endpoints reflects the proxy's picks, not races.
 * Never rejects (every failure is counted).
 */
export async function runProbe(
  flags: Pick<ProbeFlags, "proto" | "target" | "count" | "timeoutMs" | "source">,
  once: ProbeOnceFn = probeOnce,
  now: () => number = () => performance.now(),
): Promise<ProbeResult> {
  const result = emptyProbeResult();
  const start = now();
  for (let i = 0; i < flags.count; i++) {
    const outcome = await once(flags.proto, flags.target.ip, flags.target.port, flags.timeoutMs, flags.source);
    tallyOutcome(result, outcome, Math.round(now() - start));
  }
  result.elapsedMs = Math.round(now() - start);
  return result;
}

/** Runs the probe and prints its report; returns 0, or 2 on a bad flag (message on stderr). */
export async function runProbeCommand(argv: string[]): Promise<number> {
  const flags = parseProbeFlags(argv);
  if (!flags.ok) {
    process.stderr.write(`sandbox probe: ${flags.message}\n`);
    return 2;
  }
  const result = await runProbe(flags.value);
  process.stdout.write(`${flags.value.json ? JSON.stringify(result) : formatProbeSummary(result)}\n`);
  return 0;
}
