/**
 * Runs one command (optionally inside a namespace) with its stdin from a file or a string, and
 * reports wall time, user and system CPU (system time is where the kernel's netfilter commit
 * shows up for nft and iptables-restore) and the command's peak RSS. CPU and peak come from GNU
 * time (/usr/bin/time) wrapped around the command: the rusage Bun reports for its own child
 * carries Bun's own RSS (the child starts as a copy of the parent, and ru_maxrss survives exec),
 * so `true` would show 45 MB.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TimedRun {
  ms: number;
  userMs: number;
  sysMs: number;
  maxRssKB: number;
  exitCode: number;
  stdout: string;
  stderr: string;
}

const GNU_TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;
const dir = mkdtempSync(join(tmpdir(), "kpb-bench-time-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
let n = 0;

export async function timedRun(argv: string[], opts: { ns?: string; stdin?: string | Blob } = {}): Promise<TimedRun> {
  const out = join(dir, `t${n++}`);
  const timed = GNU_TIME ? [GNU_TIME, "-o", out, "-f", "%M %U %S", ...argv] : argv;
  const full = opts.ns ? ["ip", "netns", "exec", opts.ns, ...timed] : timed;
  const t0 = performance.now();
  const p = Bun.spawn(full, { stdin: opts.stdin === undefined ? "ignore" : typeof opts.stdin === "string" ? new TextEncoder().encode(opts.stdin) : opts.stdin, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, exitCode] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  const ms = performance.now() - t0;
  let [maxRssKB, userMs, sysMs] = [NaN, NaN, NaN];
  if (GNU_TIME && existsSync(out)) {
    const last = readFileSync(out, "utf8").trim().split("\n").at(-1) ?? "";
    const [m, u, s] = last.split(" ").map(Number);
    [maxRssKB, userMs, sysMs] = [m!, u! * 1000, s! * 1000];
    rmSync(out, { force: true });
  }
  return { ms, userMs, sysMs, maxRssKB, exitCode, stdout, stderr };
}

/** Throws with the command's stderr when it failed. */
export function mustSucceed(r: TimedRun, what: string): TimedRun {
  if (r.exitCode !== 0) throw new Error(`${what} exited ${r.exitCode}: ${r.stderr.slice(0, 2000)}`);
  return r;
}
