/**
 * The standard `process_*` metrics (as Prometheus client libraries export them), read from the
 * Bun runtime and /proc/self at scrape time. A value that cannot be read (no /proc) is left out
 * rather than reported wrong.
 */
import { readdirSync, readFileSync } from "node:fs";
import type { MetricsRegistry } from "./metrics-registry.ts";

/** Seconds since boot to unix seconds: /proc/stat's btime plus the start tick of /proc/self/stat. */
function startTimeSeconds(): number {
  try {
    const btime = Number(/^btime (\d+)$/m.exec(readFileSync("/proc/stat", "utf8"))![1]);
    const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1]!.split(" ");
    // Field 22 (starttime) is the 20th after "pid (comm) "; clock ticks are 100 per second on Linux.
    return btime + Number(fields[19]) / 100;
  } catch {
    return Math.round((Date.now() / 1000 - process.uptime()) * 100) / 100;
  }
}

function maxFds(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync("/proc/self/limits", "utf8"));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function virtualMemoryBytes(): number | undefined {
  try {
    return Number(readFileSync("/proc/self/stat", "utf8").split(") ")[1]!.split(" ")[20]);
  } catch {
    return undefined;
  }
}

/** Registers the process metrics on `r`; they are refreshed at every scrape. */
export function registerProcessMetrics(r: MetricsRegistry): void {
  const cpu = r.counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.");
  const rss = r.gauge("process_resident_memory_bytes", "Resident memory size in bytes.");
  const vsize = r.gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.");
  const heap = r.gauge("process_heap_bytes", "Process heap size in bytes.");
  const start = r.gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.");
  const openFds = r.gauge("process_open_fds", "Number of open file descriptors.");
  const maxFdsGauge = r.gauge("process_max_fds", "Maximum number of open file descriptors.");
  const startedAt = startTimeSeconds();
  r.onCollect(() => {
    const u = process.cpuUsage();
    cpu.set((u.user + u.system) / 1e6);
    const mem = process.memoryUsage();
    rss.set(mem.rss);
    heap.set(mem.heapTotal);
    const vs = virtualMemoryBytes();
    if (vs !== undefined) vsize.set(vs);
    start.set(startedAt);
    try {
      openFds.set(readdirSync("/proc/self/fd").length);
    } catch {}
    const max = maxFds();
    if (max !== undefined) maxFdsGauge.set(max);
  });
}
