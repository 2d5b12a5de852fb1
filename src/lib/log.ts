/**
 * Logging in klog's text shape (`I1129 15:04:05.000000  <pid> <source>] msg key="value"`), so
 * operators' grep habits carry over, or one JSON object per line (`--logging-format=json`, the
 * shape of component-base's JSON logger: ts, caller, msg, v or err, then the fields). Verbosity
 * follows `-v`: info(level) prints when level <= v. Fields whose names say they hold a secret
 * (token, password, authorization, client key...) are never written, whatever their value.
 */

export interface Logger {
  info(msg: string, fields?: Record<string, unknown>, level?: number): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger that prefixes a source name (the module or component logging). */
  with(source: string): Logger;
}

export interface LogSink {
  write(line: string): void;
}

export type LogFormat = "text" | "json";

const stderrSink: LogSink = { write: (line) => process.stderr.write(line) };

const SECRET_KEY = /token|password|passwd|secret|authorization|bearer|credential|(^|[^a-z])key($|[^a-z])|keyData|privateKey/i;
export const REDACTED = "<redacted>";

/** The fields with every secret-looking one replaced, and Errors reduced to their message. */
export function safeFields(fields: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields ?? {})) out[k] = SECRET_KEY.test(k) ? REDACTED : v instanceof Error ? v.message : v;
  return out;
}

function formatValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  return JSON.stringify(value) ?? "undefined";
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

type Severity = "I" | "W" | "E";

/** One klog-style line; the clock is passed in so tests get stable output. */
export function formatLine(severity: Severity, now: Date, source: string, msg: string, fields?: Record<string, unknown>): string {
  const stamp = `${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())} ${pad(now.getUTCHours())}:${pad(now.getUTCMinutes())}:${pad(now.getUTCSeconds())}.${pad(now.getUTCMilliseconds() * 1000, 6)}`;
  const kv = Object.entries(safeFields(fields)).map(([k, v]) => ` ${k}=${formatValue(v)}`).join("");
  return `${severity}${stamp} ${String(process.pid).padStart(7)} ${source}] ${msg}${kv}\n`;
}

/** One JSON line: `ts` in unix seconds, `v` for info lines, `err` for errors, then the fields. */
export function formatJsonLine(severity: Severity, now: Date, source: string, msg: string, fields: Record<string, unknown> | undefined, level: number): string {
  const { err, ...rest } = safeFields(fields);
  const head: Record<string, unknown> = { ts: now.getTime() / 1000, caller: source, msg };
  if (severity === "I") head.v = level;
  if (severity === "W") head.severity = "warning";
  if (severity === "E") head.err = err === undefined ? msg : String(err);
  else if (err !== undefined) head.err = String(err);
  return JSON.stringify({ ...head, ...rest }) + "\n";
}

/** Makes a logger at verbosity `v`, writing to `sink` (stderr by default). */
export function createLogger(v = 0, sink: LogSink = stderrSink, source = "kube-proxy", now: () => Date = () => new Date(), format: LogFormat = "text"): Logger {
  const line = (sev: Severity, msg: string, fields: Record<string, unknown> | undefined, level: number) =>
    format === "json" ? formatJsonLine(sev, now(), source, msg, fields, level) : formatLine(sev, now(), source, msg, fields);
  return {
    info: (msg, fields, level = 0) => {
      if (level <= v) sink.write(line("I", msg, fields, level));
    },
    warn: (msg, fields) => sink.write(line("W", msg, fields, 0)),
    error: (msg, fields) => sink.write(line("E", msg, fields, 0)),
    with: (sub) => createLogger(v, sink, sub, now, format),
  };
}

/** A logger that keeps its lines in memory, for tests that check what was logged. */
export function memoryLogger(v = 10, format: LogFormat = "text"): Logger & { lines: string[] } {
  const lines: string[] = [];
  return Object.assign(createLogger(v, { write: (l) => lines.push(l) }, "kube-proxy", () => new Date(), format), { lines });
}
