/**
 * The conntrack sysctls kube-proxy sets at start (upstream.md row 36): nf_conntrack_max from
 * max(maxPerCore x CPUs, min) capped at 1,048,576, the hash table raised to max/4 when smaller,
 * the TCP established and close-wait timeouts, tcp_be_liberal when asked, and the UDP timeouts
 * when non-zero. A value is written only when it differs. Which values is pure; writing goes
 * through the Runner (`sysctl`), so in the sandbox it acts inside the lab node's namespace.
 */
import type { Runner } from "../lib/exec.ts";
import type { Logger } from "../lib/log.ts";

/** upstream's conntrack settings; zero leaves a value as the kernel has it. */
export interface ConntrackSettings {
  /** conntrack-max-per-core; 0 leaves nf_conntrack_max alone. */
  maxPerCore: number;
  min: number;
  tcpEstablishedTimeoutMs: number;
  tcpCloseWaitTimeoutMs: number;
  tcpBeLiberal: boolean;
  udpTimeoutMs: number;
  udpStreamTimeoutMs: number;
}

export interface Sysctl {
  key: string;
  value: number;
}

/** Upstream's newest cap on the computed nf_conntrack_max. */
export const CONNTRACK_MAX_CAP = 1_048_576;

const seconds = (ms: number) => Math.floor(ms / 1000);

/** The sysctls to set, in order; nf_conntrack_max first (the hash size follows it). */
export function desiredConntrackSysctls(s: ConntrackSettings, cpus: number): Sysctl[] {
  const out: Sysctl[] = [];
  if (s.maxPerCore > 0) out.push({ key: "net.netfilter.nf_conntrack_max", value: Math.min(Math.max(s.maxPerCore * cpus, s.min), CONNTRACK_MAX_CAP) });
  if (s.tcpEstablishedTimeoutMs > 0) out.push({ key: "net.netfilter.nf_conntrack_tcp_timeout_established", value: seconds(s.tcpEstablishedTimeoutMs) });
  if (s.tcpCloseWaitTimeoutMs > 0) out.push({ key: "net.netfilter.nf_conntrack_tcp_timeout_close_wait", value: seconds(s.tcpCloseWaitTimeoutMs) });
  if (s.tcpBeLiberal) out.push({ key: "net.netfilter.nf_conntrack_tcp_be_liberal", value: 1 });
  if (s.udpTimeoutMs > 0) out.push({ key: "net.netfilter.nf_conntrack_udp_timeout", value: seconds(s.udpTimeoutMs) });
  if (s.udpStreamTimeoutMs > 0) out.push({ key: "net.netfilter.nf_conntrack_udp_timeout_stream", value: seconds(s.udpStreamTimeoutMs) });
  return out;
}

const HASHSIZE = "/sys/module/nf_conntrack/parameters/hashsize";

/**
 * Writes what differs. `hostWide` allows nf_conntrack_max and the module's hash size, which are
 * global to the machine: false in the sandbox, where the proxy acts for a lab namespace and must
 * never change the host (the timeouts are per namespace). Failures are logged and returned,
 * never thrown (upstream logs and goes on too).
 */
export async function applyConntrackSysctls(runner: Runner, wanted: Sysctl[], log: Logger, hostWide: boolean): Promise<{ written: string[]; failed: string[] }> {
  const written: string[] = [];
  const failed: string[] = [];
  for (const { key, value } of wanted) {
    if (key === "net.netfilter.nf_conntrack_max" && !hostWide) continue;
    const current = await runner(["sysctl", "-n", key]).catch(() => null);
    if (current?.exitCode === 0 && Number(current.stdout.trim()) === value) continue;
    const r = await runner(["sysctl", "-w", `${key}=${value}`]).catch((e: Error) => ({ exitCode: -1, stdout: "", stderr: e.message }));
    if (r.exitCode !== 0) {
      failed.push(key);
      log.warn("Cannot set a conntrack sysctl", { sysctl: key, value, err: r.stderr.trim() });
      continue;
    }
    written.push(key);
    log.info("Set conntrack sysctl", { sysctl: key, value });
    if (key === "net.netfilter.nf_conntrack_max" && hostWide) await raiseHashSize(runner, value, log, written, failed);
  }
  return { written, failed };
}

/** Upstream raises the hash table to max/4 buckets when it is smaller, so lookups stay short. */
async function raiseHashSize(runner: Runner, max: number, log: Logger, written: string[], failed: string[]): Promise<void> {
  const cur = await runner(["cat", HASHSIZE]).catch(() => null);
  const size = Number(cur?.stdout.trim());
  const want = Math.floor(max / 4);
  if (!Number.isFinite(size) || size >= want) return;
  const r = await runner(["tee", HASHSIZE], String(want)).catch((e: Error) => ({ exitCode: -1, stdout: "", stderr: e.message }));
  if (r.exitCode === 0) written.push(HASHSIZE);
  else {
    failed.push(HASHSIZE);
    log.warn("Cannot raise the conntrack hash size", { want, err: r.stderr.trim() });
  }
}
