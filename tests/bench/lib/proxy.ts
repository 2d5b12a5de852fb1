/**
 * The compiled proxy as the benchmarks run it: `dist/kube-proxy --sandbox-netns=<ns>` against a
 * sandbox API server, status servers on loopback, every log line time-stamped on arrival (so a
 * "Synced rules" line tells when a sync's nft process had returned), /readyz polling, and the
 * process's memory from /proc/PID/status.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SandboxApiServer } from "../../../src/sandbox/apiserver/server.ts";
import { writeKubeconfigFile } from "../../../src/sandbox/kubeconfig-file.ts";
import { freePort } from "../../../src/sandbox/proxy-process.ts";
import { NODE_NAME } from "../../support/addresses.ts";
import { ensureBinary } from "../../support/binary.ts";

export interface LogLine { t: number; text: string }

export interface BenchProxy {
  pid: number;
  startedAt: number;
  lines: LogLine[];
  metricsUrl: string;
  readyzUrl: string;
  /**
   * performance.now() when /readyz first answered 200: polled every `pollMs`, and every 1 ms
   * once a log line matching `cue` has arrived (B1: a 5 ms poll from the start put ~200 HTTP
   * requests a second on the CPUs the start being measured uses, ~10 ms at 1k x 10).
   */
  waitReady(timeoutMs: number, pollMs?: number, cue?: RegExp): Promise<number>;
  /** The first line at index >= `from` matching `re`, as soon as it arrives. */
  waitLine(re: RegExp, from: number, timeoutMs: number): Promise<LogLine & { index: number }>;
  status(): { vmHWMKB: number; vmRSSKB: number };
  metrics(): Promise<string>;
  exited(): boolean;
  stop(signal?: "SIGTERM" | "SIGKILL"): Promise<void>;
}

const dirs: string[] = [];
process.on("exit", () => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

export async function startBenchProxy(server: SandboxApiServer, ns: string, opts: { mode?: "nftables" | "iptables"; flags?: string[]; env?: Record<string, string> } = {}): Promise<BenchProxy> {
  const binary = await ensureBinary();
  const dir = mkdtempSync(join(tmpdir(), "kpb-bench-"));
  dirs.push(dir);
  writeKubeconfigFile(join(dir, "kubeconfig"), server.url, server.token);
  const healthz = freePort();
  const metricsPort = freePort();
  const argv = [binary, `--kubeconfig=${join(dir, "kubeconfig")}`, `--hostname-override=${NODE_NAME}`, `--sandbox-netns=${ns}`,
    `--healthz-bind-address=127.0.0.1:${healthz}`, `--metrics-bind-address=127.0.0.1:${metricsPort}`, `--proxy-mode=${opts.mode ?? "nftables"}`, "-v=2", ...(opts.flags ?? [])];
  const startedAt = performance.now();
  const child = Bun.spawn(argv, { stdout: "pipe", stderr: "pipe", env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin`, ...opts.env } });
  const lines: LogLine[] = [];
  const waiters = new Set<() => void>();
  let exited = false;
  void child.exited.then(() => { exited = true; for (const w of waiters) w(); });
  for (const stream of [child.stdout, child.stderr]) {
    void (async () => {
      const dec = new TextDecoder();
      let buf = "";
      for await (const chunk of stream) {
        buf += dec.decode(chunk, { stream: true });
        let i: number;
        while ((i = buf.indexOf("\n")) >= 0) {
          lines.push({ t: performance.now(), text: buf.slice(0, i) });
          buf = buf.slice(i + 1);
        }
        for (const w of waiters) w();
      }
    })().catch(() => {});
  }
  const tail = () => lines.slice(-30).map((l) => l.text).join("\n");
  const waitLine: BenchProxy["waitLine"] = (re, from, timeoutMs) =>
    new Promise((resolve, reject) => {
      const check = () => {
        for (let i = from; i < lines.length; i++) {
          if (re.test(lines[i]!.text)) {
            cleanup();
            return resolve({ ...lines[i]!, index: i });
          }
        }
        if (exited) (cleanup(), reject(new Error(`kube-proxy exited while waiting for ${re}:\n${tail()}`)));
      };
      const timer = setTimeout(() => (cleanup(), reject(new Error(`no log line ${re} within ${timeoutMs} ms:\n${tail()}`))), timeoutMs);
      const cleanup = () => (clearTimeout(timer), waiters.delete(check));
      waiters.add(check);
      check();
    });
  const readyzUrl = `http://127.0.0.1:${healthz}/readyz`;
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  return {
    pid: child.pid,
    startedAt,
    lines,
    metricsUrl,
    readyzUrl,
    async waitReady(timeoutMs, pollMs = 20, cue) {
      const deadline = performance.now() + timeoutMs;
      let cued = false;
      const cueSeen = cue ? waitLine(cue, 0, timeoutMs).then(() => void (cued = true), () => {}) : Promise.resolve();
      while (performance.now() < deadline) {
        if (exited) throw new Error(`kube-proxy exited (${child.exitCode}) before ready:\n${tail()}`);
        const ok = await fetch(readyzUrl).then((r) => r.status === 200, () => false);
        if (ok) return performance.now();
        // The cue cuts a slow poll's sleep short: it is awaited beside it, not checked after it.
        await (cued ? Bun.sleep(1) : cue ? Promise.race([Bun.sleep(pollMs), cueSeen]) : Bun.sleep(pollMs));
      }
      throw new Error(`kube-proxy not ready after ${timeoutMs} ms:\n${tail()}`);
    },
    waitLine,
    status() {
      const text = readFileSync(`/proc/${child.pid}/status`, "utf8");
      const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(text)?.[1] ?? NaN);
      return { vmHWMKB: kb("VmHWM"), vmRSSKB: kb("VmRSS") };
    },
    metrics: async () => (await fetch(metricsUrl)).text(),
    exited: () => exited,
    async stop(signal = "SIGTERM") {
      if (exited) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await child.exited;
      clearTimeout(timer);
    },
  };
}

/** The "Synced rules" line of the IPv4 sync, as the proxier logs it. */
export const SYNCED_V4 = /Synced rules.*ipFamily="?IPv4/;
