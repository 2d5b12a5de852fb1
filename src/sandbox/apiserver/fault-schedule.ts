/**
 * The `--fault` flag of `kube-proxy sandbox apiserver`: `NAME[=ARG][@EVERY]`, repeatable, so a
 * demo or a soak run can put a proxy through the same faults the component tests inject:
 *
 *   drop-watches@10s       end every open watch
 *   error-500[=N]@30s      the next N (1) list/watch requests answer 500
 *   error-429[=S]@20s      the next list/watch request answers 429 with Retry-After: S (1)
 *   delay=200ms            every answer is delayed (constant, no @)
 *   expire[=N]@1m          compact history, and the next N (1) resumed watches answer 410
 *   malformed@45s          write a line that is not JSON into every open watch
 *   restart[=DOWN]@2m      stop listening for DOWN (1s), come back on the same port and state
 *
 * Parsing is pure; the scheduler takes the timer functions so it can be tested without waiting.
 */
import type { SandboxApiServer } from "./server.ts";

/** One parsed `--fault`. `everyMs` is undefined only for `delay`. */
export type FaultSpec =
  | { name: "drop-watches" | "malformed"; everyMs: number }
  | { name: "error-500" | "expire"; count: number; everyMs: number }
  | { name: "error-429"; retryAfterSeconds: number; everyMs: number }
  | { name: "delay"; ms: number }
  | { name: "restart"; downMs: number; everyMs: number };

/** `250ms`, `10s`, `2m`, `1h` in ms; undefined when it is none of those. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "ms" | "s" | "m" | "h"]);
}

const NAMES = ["drop-watches", "error-500", "error-429", "delay", "expire", "malformed", "restart"] as const;

/** Parses one `--fault` value; returns a message naming the problem instead of throwing. */
export function parseFaultSpec(text: string): FaultSpec | { error: string } {
  const m = /^([a-z0-9-]+)(?:=([^@]*))?(?:@(.*))?$/.exec(text);
  const name = m?.[1] as (typeof NAMES)[number] | undefined;
  if (!m || !name || !NAMES.includes(name)) return { error: `unknown fault ${JSON.stringify(text)}; expected one of ${NAMES.join(", ")}` };
  const [, , arg, every] = m;
  if (name === "delay") {
    if (every !== undefined) return { error: "delay is constant: no @EVERY" };
    const ms = arg === undefined ? undefined : parseDuration(arg);
    return ms === undefined ? { error: "delay needs =DURATION, e.g. delay=200ms" } : { name, ms };
  }
  const everyMs = every === undefined ? undefined : parseDuration(every);
  if (everyMs === undefined || everyMs <= 0) return { error: `${name} needs @EVERY, a duration such as @10s` };
  const count = (fallback: number) => (arg === undefined ? fallback : /^[1-9]\d*$/.test(arg) ? Number(arg) : undefined);
  switch (name) {
    case "drop-watches":
    case "malformed":
      return arg === undefined ? { name, everyMs } : { error: `${name} takes no =ARG` };
    case "error-500":
    case "expire": {
      const n = count(1);
      return n === undefined ? { error: `${name}=N needs a positive whole number` } : { name, count: n, everyMs };
    }
    case "error-429": {
      const s = arg === undefined ? 1 : /^\d+$/.test(arg) ? Number(arg) : undefined;
      return s === undefined ? { error: "error-429=S needs whole seconds" } : { name, retryAfterSeconds: s, everyMs };
    }
    case "restart": {
      const downMs = arg === undefined ? 1000 : parseDuration(arg);
      return downMs === undefined ? { error: "restart=DOWN needs a duration" } : { name, downMs, everyMs };
    }
  }
}

/** What the scheduler acts on: the sandbox's fault hooks. */
type FaultTarget = Pick<SandboxApiServer, "dropWatches" | "sendMalformed" | "compact" | "restart" | "faults">;

/** Fires one fault once. */
export function fireFault(server: FaultTarget, f: FaultSpec): void | Promise<void> {
  switch (f.name) {
    case "drop-watches": return void server.dropWatches();
    case "malformed": return void server.sendMalformed();
    case "error-500": return server.faults.failNext(f.count);
    case "error-429": return server.faults.throttleNext(1, f.retryAfterSeconds);
    case "delay": server.faults.delayMs = f.ms; return;
    case "expire":
      server.compact();
      return server.faults.expireNext(f.count);
    case "restart": return server.restart(f.downMs);
  }
}

/** Applies constant faults now and fires periodic ones every `everyMs`; returns the function that stops them. */
export function startFaultSchedule(
  server: FaultTarget,
  specs: FaultSpec[],
  onError: (e: unknown) => void,
  timers: { every: (fn: () => void, ms: number) => unknown; cancel: (t: unknown) => void } = {
    every: (fn, ms) => setInterval(fn, ms),
    cancel: (t) => clearInterval(t as ReturnType<typeof setInterval>),
  },
): () => void {
  const handles: unknown[] = [];
  for (const f of specs) {
    if (!("everyMs" in f)) {
      void fireFault(server, f);
      continue;
    }
    handles.push(timers.every(() => void Promise.resolve(fireFault(server, f)).catch(onError), f.everyMs));
  }
  return () => handles.forEach((h) => timers.cancel(h));
}
