/**
 * B4, memory: the binary's VmHWM (peak) and VmRSS after a settle (steady) from /proc/PID/status,
 * with 0 Services, 1k x 10, 10k x 10 and 30k x 4, each in a fresh namespace; and the peak RSS of
 * the nft processes it ran, recorded by a PATH shim that runs the real nft under /usr/bin/time.
 * The comparison is the same binary with an empty cluster (Bun's floor), measured in this run.
 *
 *   bun tests/bench/b4-memory.bench.ts [--quick] [--settle=15] [--sizes=...]
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { capture } from "./lib/capture.ts";
import { startFixture } from "./lib/fixture.ts";
import { withNetns } from "./lib/netns.ts";
import { startBenchProxy } from "./lib/proxy.ts";
import { benchArgs, emitNote, emitRow, fmtMB, ratio, sizeLabel } from "./lib/report.ts";

const { quick, sizes } = benchArgs();
const settleS = Number(process.argv.find((a) => a.startsWith("--settle="))?.slice(9) ?? (quick ? 2 : 15));
const GOAL_KB = 200 * 1024;

const dir = mkdtempSync(join(tmpdir(), "kpb-bench-b4-"));
// The nft shim and its log live here only for this run.
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
const realNft = Bun.which("nft", { PATH: `${process.env.PATH}:/usr/sbin:/sbin` });
const gnuTime = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;
if (realNft && gnuTime) {
  writeFileSync(join(dir, "nft"), `#!/bin/sh\nexec ${gnuTime} -a -o '${join(dir, "nft-rss.log")}' -f '%M' '${realNft}' "$@"\n`);
  chmodSync(join(dir, "nft"), 0o755);
}

async function measure(n: number, m: number): Promise<{ hwm: number; rss: number; nftPeak: number; split: string }> {
  writeFileSync(join(dir, "nft-rss.log"), "");
  const server = await startFixture(n, m);
  try {
    return await withNetns("b4", async (ns) => {
      const proxy = await startBenchProxy(server, ns, { env: gnuTime ? { PATH: `${dir}:${process.env.PATH}:/usr/sbin:/sbin` } : {} });
      try {
        await proxy.waitReady(600_000);
        await Bun.sleep(settleS * 1000);
        const s = proxy.status();
        // The long-lived nft -i (partial and full syncs) is logged when it exits, with the proxy.
        await proxy.stop();
        await Bun.sleep(300);
        const nftPeak = Math.max(0, ...readFileSync(join(dir, "nft-rss.log"), "utf8").split("\n").map(Number).filter(Number.isFinite));
        // Where it goes: the same work in-process, live JS heap after a full GC at each phase.
        const cap = await capture(server, "nftables");
        const split = cap.memory.map((x) => `${x.phase}: heap ${fmtMB(x.heapKB)}, RSS ${fmtMB(x.rssKB)}`).join("; ") + `; peak RSS ${fmtMB(cap.rssKB)}`;
        return { hwm: s.vmHWMKB, rss: s.vmRSSKB, nftPeak, split };
      } finally {
        await proxy.stop();
      }
    });
  } finally {
    await server.stop();
  }
}

const empty = await measure(0, 0);
emitNote(`B4 empty cluster: VmHWM ${fmtMB(empty.hwm)}, VmRSS ${fmtMB(empty.rss)} after ${settleS} s (the plan's 5-minute settle is shortened to ${settleS} s)`);
for (const size of sizes) {
  const r = await measure(size.n, size.m);
  const isGoal = size.n === 10_000 && size.m === 10;
  emitRow({
    figure: `B4 memory ${sizeLabel(size)}: proxy VmRSS steady (VmHWM; nft child peak)`,
    ours: `${fmtMB(r.rss)} (HWM ${fmtMB(r.hwm)}; nft ${r.nftPeak ? fmtMB(r.nftPeak) : "n/a"})`,
    comparison: `empty cluster: ${fmtMB(empty.rss)} (HWM ${fmtMB(empty.hwm)})`,
    ratio: ratio(r.rss, empty.rss),
    goal: isGoal ? "steady <= 200 MiB" : "-",
    met: isGoal ? r.rss <= GOAL_KB : null,
  });
  emitNote(`B4 ${sizeLabel(size)} in-process split: ${r.split}`);
}
