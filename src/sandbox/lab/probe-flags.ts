/**
 * Flags of `kube-proxy sandbox probe`:
 * `--proto tcp|udp --target IP:PORT --count N [--timeout-ms T] [--source IP] [--json]`.
 */
import * as v from "valibot";
import { parseIP, parsePort, type IP } from "../../lib/ip.ts";
import { intFlag, parseFlags, type FlagsResult } from "./flags.ts";

/** One transport the probe speaks. */
export type ProbeProto = "tcp" | "udp";

/** What the probe is asked to do. */
export interface ProbeFlags {
  proto: ProbeProto;
  target: { ip: IP; port: number };
  count: number;
  timeoutMs: number;
  /** The local address to send from (default: the kernel's choice by route). */
  source?: IP;
  json: boolean;
}

/** The default time one request may take before it counts as a timeout. */
export const DEFAULT_PROBE_TIMEOUT_MS = 1000;

/**
 * Parses `IP:PORT` or `[IPv6]:PORT` into a canonical address and a port; null when it is not
 * one. A bare IPv6 address with a port must be bracketed, since its colons are ambiguous.
 */
export function parseTarget(s: string): { ip: IP; port: number } | null {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(s) ?? /^([^:\[\]]+):(\d{1,5})$/.exec(s);
  if (!m) return null;
  const ip = parseIP(m[1] ?? "");
  const port = parsePort(Number(m[2]));
  if (!ip || port === null) return null;
  if (ip.family === "IPv6" && !s.startsWith("[")) return null;
  return { ip, port };
}

/** Prints a target the way `parseTarget` reads it back. */
export function formatTarget(ip: string, port: number): string {
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}

const ProbeFlagsSchema = v.object({
  proto: v.picklist(["tcp", "udp"], "must be tcp or udp"),
  target: v.pipe(
    v.string("must be IP:PORT"),
    v.transform(parseTarget),
    v.check((t) => t !== null, "must be IP:PORT or [IPv6]:PORT"),
    v.transform((t) => t!),
  ),
  count: intFlag(1, 1_000_000),
  "timeout-ms": v.optional(intFlag(1, 600_000), String(DEFAULT_PROBE_TIMEOUT_MS)),
  source: v.optional(
    v.pipe(
      v.string("must be an IP address"),
      v.transform(parseIP),
      v.check((ip) => ip !== null, "must be an IP address"),
      v.transform((ip) => ip!),
    ),
  ),
  json: v.optional(v.literal(true), undefined),
});

/** Parses the probe command's argv; fails with a message naming the bad flag and its value. */
export function parseProbeFlags(argv: readonly string[]): FlagsResult<ProbeFlags> {
  const r = parseFlags(argv, { proto: "value", target: "value", count: "value", "timeout-ms": "value", source: "value", json: "switch" }, ProbeFlagsSchema);
  if (!r.ok) return r;
  const { proto, target, count, source } = r.value;
  if (source && source.family !== target.ip.family) return { ok: false, message: `invalid value for --source: ${JSON.stringify(source.text)} (not of the target's family)` };
  return { ok: true, value: { proto, target, count, timeoutMs: r.value["timeout-ms"], ...(source ? { source } : {}), json: r.value.json === true } };
}
