/**
 * B2, partial sync: with N Services loaded by the binary, one change at a time (an endpoint
 * added, an endpoint removed, a new Service with M endpoints) written to the sandbox API server;
 * event-to-commit is from that write until the proxy's IPv4 "Synced rules" log line that shows
 * the new endpoint count arrives (logged once its `nft -f` returned, i.e. the kernel committed).
 * Compared in the same run with raw `nft -f` of the same delta scripts (recorded in-process with
 * the same backend, see lib/capture-child.ts) on a table loaded with the same full script.
 * Changes are spaced by more than --min-sync-period (1 s), so none waits on the rate limit.
 *
 *   bun tests/bench/b2-partial-sync.bench.ts [--quick] [--runs=N] [--sizes=...]
 */
import { applyService, endpointsOf, serviceName, sliceObjects, startFixture } from "./lib/fixture.ts";
import { capture, replay, type Change } from "./lib/capture.ts";
import { withNetns } from "./lib/netns.ts";
import { startBenchProxy, SYNCED_V4 } from "./lib/proxy.ts";
import { benchArgs, emitNote, emitRow, fmtMs, median, medMax, ratio, sizeLabel } from "./lib/report.ts";

const { runs, sizes } = benchArgs();
const KINDS = ["add-endpoint", "remove-endpoint", "new-service"] as const;
const endpointsIn = (line: string) => Number(/ endpoints=(\d+)/.exec(line)?.[1] ?? NaN);
const elapsedIn = (line: string) => Number(/elapsed="?([\d.]+)ms/.exec(line)?.[1] ?? NaN);
const perSizeMedian = new Map<number, number>();

for (const size of sizes) {
  const { n, m } = size;
  const server = await startFixture(n, m);
  try {
    const changes: Change[] = [];
    for (let r = 0; r < runs; r++) {
      const i = (17 + r * 101) % n;
      changes.push({ kind: "add-endpoint", i, m }, { kind: "remove-endpoint", i, m }, { kind: "new-service", i: n + r, m });
    }
    const cap = await capture(server, "nftables", changes);
    const ours = new Map<string, number[]>(KINDS.map((k) => [k, []]));
    const inProxy = new Map<string, number[]>(KINDS.map((k) => [k, []]));
    await withNetns("b2", async (ns) => {
      const proxy = await startBenchProxy(server, ns);
      try {
        await proxy.waitReady(600_000);
        let endpoints = n * m;
        await Bun.sleep(1500);
        for (const c of changes) {
          const from = proxy.lines.length;
          const t0 = performance.now();
          if (c.kind === "new-service") applyService(server, c.i, m);
          else for (const s of sliceObjects(serviceName(c.i), endpointsOf(c.i, c.kind === "add-endpoint" ? m + 1 : m))) server.apply("endpointslices", s);
          endpoints += c.kind === "add-endpoint" ? 1 : c.kind === "remove-endpoint" ? -1 : m;
          let line = await proxy.waitLine(SYNCED_V4, from, 30_000);
          while (endpointsIn(line.text) !== endpoints) line = await proxy.waitLine(SYNCED_V4, line.index + 1, 30_000);
          ours.get(c.kind)!.push(line.t - t0);
          inProxy.get(c.kind)!.push(elapsedIn(line.text));
          await Bun.sleep(1100);
        }
        const check = await new Promise<string>((resolve) => {
          const p = Bun.spawn(["ip", "netns", "exec", ns, "nft", "list", "set", "ip", "kube-proxy", "cluster-ips"], { stdout: "pipe" });
          void new Response(p.stdout).text().then(resolve);
        });
        const last = changes.at(-1)!;
        if (!check.includes(`10.96.${1 + Math.floor(last.i / 250)}.${1 + (last.i % 250)}`)) emitNote(`B2 ${sizeLabel(size)}: WARNING: last new Service not found in the kernel's cluster-ips`);
      } finally {
        await proxy.stop();
      }
    });
    const raw = new Map<string, number[]>(KINDS.map((k) => [k, []]));
    await withNetns("b2raw", async (ns) => {
      await replay(cap.full, ns);
      for (const [k, c] of changes.entries()) {
        // The sync's own transaction is what event-to-commit waits for; a follow-up that deletes
        // groups the sync emptied runs after the commit (replayed for the table's sake, not timed).
        const [own, ...followUp] = cap.changes[k]!;
        raw.get(c.kind)!.push(own ? (await replay([own], ns)).ms : 0);
        if (followUp.length > 0) await replay(followUp, ns);
      }
    });
    const all: number[] = [];
    for (const kind of KINDS) {
      const o = ours.get(kind)!;
      const w = raw.get(kind)!;
      all.push(...o);
      emitRow({
        figure: `B2 partial sync ${sizeLabel(size)}: ${kind.replace("-", " ")} (event to commit)`,
        ours: medMax(o),
        comparison: `raw nft -f of the same delta: ${medMax(w)}`,
        ratio: ratio(median(o), median(w)),
        goal: "<= 30 ms and <= raw + 15 ms",
        met: median(o) <= 30 && median(o) <= median(w) + 15,
      });
      emitNote(`B2 ${sizeLabel(size)} ${kind}: of ${fmtMs(median(o))} event-to-commit, the proxy's own sync (model + render + nft, its log's elapsed) took ${fmtMs(median(inProxy.get(kind)!))}; the rest is watch delivery and scheduling; delta ${cap.changes[changes.findIndex((c) => c.kind === kind)]!.map((s) => `${s.bytes} B`).join(" + then, after the commit, ")}`);
    }
    perSizeMedian.set(n, median(all));
  } finally {
    await server.stop();
  }
}
const small = perSizeMedian.get(Math.min(...perSizeMedian.keys()));
const large = perSizeMedian.get(Math.max(...perSizeMedian.keys()));
if (perSizeMedian.size > 1 && small !== undefined && large !== undefined) {
  emitRow({ figure: `B2 flat in N: ${Math.max(...perSizeMedian.keys())} vs ${Math.min(...perSizeMedian.keys())} Services (median of all changes)`, ours: fmtMs(large), comparison: fmtMs(small), ratio: ratio(large, small), goal: "<= 1.5x", met: large / small <= 1.5 });
}
