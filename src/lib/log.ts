/**
 * Logging in klog's text shape (`I1129 15:04:05.000000 <pid> <source>] msg key="value"`), so
 * operators' grep habits carry over. Verbosity follows `-v`: info(level) prints when level <= v.
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

const stderrSink: LogSink = { write: (line) => process.stderr.write(line) };

function formatValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value instanceof Error) return JSON.stringify(value.message);
  return JSON.stringify(value) ?? "undefined";
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** One klog-style line; the clock is passed in so tests get stable output. */
export function formatLine(severity: "I" | "W" | "E", now: Date, source: string, msg: string, fields?: Record<string, unknown>): string {
  const stamp = `${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())} ${pad(now.getUTCHours())}:${pad(now.getUTCMinutes())}:${pad(now.getUTCSeconds())}.${pad(now.getUTCMilliseconds() * 1000, 6)}`;
  const kv = fields ? Object.entries(fields).map(([k, v]) => ` ${k}=${formatValue(v)}`).join("") : "";
  return `${severity}${stamp} ${process.pid} ${source}] ${msg}${kv}\n`;
}

/** Makes a logger at verbosity `v`, writing to `sink` (stderr by default). */
export function createLogger(v = 0, sink: LogSink = stderrSink, source = "kube-proxy", now: () => Date = () => new Date()): Logger {
  return {
    info: (msg, fields, level = 0) => {
      if (level <= v) sink.write(formatLine("I", now(), source, msg, fields));
    },
    warn: (msg, fields) => sink.write(formatLine("W", now(), source, msg, fields)),
    error: (msg, fields) => sink.write(formatLine("E", now(), source, msg, fields)),
    with: (sub) => createLogger(v, sink, sub, now),
  };
}

/** A logger that keeps its lines in memory, for tests that check what was logged. */
export function memoryLogger(v = 10): Logger & { lines: string[] } {
  const lines: string[] = [];
  return Object.assign(createLogger(v, { write: (l) => lines.push(l) }), { lines });
}
