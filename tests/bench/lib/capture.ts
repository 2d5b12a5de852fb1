/**
 * Runs capture-child.ts (see there) in its own process against a sandbox API server, so its
 * list/decode, model and render times and its memory are not mixed with the server's. It runs
 * with the JIT tiers the binary gives itself (src/lib/jit-tiers.ts: FTL off), so the floor's
 * list/decode is measured the way the binary lists and decodes.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SandboxApiServer } from "../../../src/sandbox/apiserver/server.ts";
import { FTL_VARIABLE } from "../../../src/lib/jit-tiers.ts";
import { writeKubeconfigFile } from "../../../src/sandbox/kubeconfig-file.ts";
import type { CaptureResult, Change } from "./capture-child.ts";
import { withNetns } from "./netns.ts";
import { timedRun, type TimedRun } from "./timed-run.ts";

export type { CaptureResult, Change };

/** capture-child.ts's last argument in place of the changes: list and decode, print `{ listMs }`, and stop. */
export const LIST_ONLY = "list-only";

/** Runs capture-child.ts with `last` as its last argument; its JSON line. */
async function runChild<T>(server: SandboxApiServer, mode: "nftables" | "iptables", last: string): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "kpb-bench-capture-"));
  // The scripts are replayed later in this process; they go when it exits (they were left behind, up to 12 MB a run).
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  writeKubeconfigFile(join(dir, "kubeconfig"), server.url, server.token);
  return withNetns("cap", async (ns) => {
    const p = Bun.spawn([process.execPath, join(import.meta.dir, "capture-child.ts"), join(dir, "kubeconfig"), mode, ns, dir, last], { stdout: "pipe", stderr: "pipe", env: { ...process.env, [FTL_VARIABLE]: "0" } });
    const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    if (code !== 0) throw new Error(`capture-child failed (${code}): ${err.slice(-3000)}`);
    return JSON.parse(out.trim().split("\n").at(-1)!) as T;
  });
}

export function capture(server: SandboxApiServer, mode: "nftables" | "iptables", changes: Change[] = []): Promise<CaptureResult> {
  return runChild<CaptureResult>(server, mode, JSON.stringify(changes));
}

/** One more measurement of the list and decode alone, as capture() measures them (B1 takes one per run for its floor). */
export async function listDecodeMs(server: SandboxApiServer, mode: "nftables" | "iptables"): Promise<number> {
  return (await runChild<{ listMs: number }>(server, mode, LIST_ONLY)).listMs;
}

/** Replays recorded scripts with the same argv inside `ns`, one process each; the sum of their costs. */
export async function replay(scripts: { argv: string[]; file: string }[], ns: string): Promise<TimedRun & { runs: number }> {
  const sum = { ms: 0, userMs: 0, sysMs: 0, maxRssKB: 0, exitCode: 0, stdout: "", stderr: "", runs: 0 };
  for (const s of scripts) {
    const r = await timedRun(s.argv, { ns, stdin: Bun.file(s.file) });
    if (r.exitCode !== 0) throw new Error(`replay of ${s.argv.join(" ")} (${s.file}) exited ${r.exitCode}: ${r.stderr.slice(0, 2000)}`);
    sum.ms += r.ms;
    sum.userMs += r.userMs;
    sum.sysMs += r.sysMs;
    sum.maxRssKB = Math.max(sum.maxRssKB, r.maxRssKB);
    sum.runs++;
  }
  return sum;
}
