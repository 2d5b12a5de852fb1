/**
 * B3, churn: with N x M loaded by the binary, 20 EndpointSlice changes per second (an endpoint
 * flipped away and back, spread over the Services) for 60 s, each slice stamped with
 * `endpoints.kubernetes.io/last-change-trigger-time` at the moment of the write. Reports p50,
 * p90 and p99 of `kubeproxy_network_programming_duration_seconds` (IPv4) from /metrics over the
 * whole run and for its first and last 10 s, the proxy's CPU, and (as a finer check than the
 * histogram's 0.25/0.5/1 s buckets) the same latency measured from the proxy's log lines.
 * The goal's floor, the raw delta time, is measured in the same run.
 *
 *   bun tests/bench/b3-churn.bench.ts [--quick] [--rate=20] [--seconds=60] [--sizes=10000x10]
 */
import { capture, replay } from "./lib/capture.ts";
import { endpointsOf, serviceName, sliceObjects, startFixture } from "./lib/fixture.ts";
import { cpuSeconds, diff, histogram, quantile, total } from "./lib/metrics.ts";
import { withNetns } from "./lib/netns.ts";
import { startBenchProxy, SYNCED_V4 } from "./lib/proxy.ts";
import { benchArgs, emitNote, emitRow, fmtMs, median, percentile, sizeLabel } from "./lib/report.ts";

const { quick } = benchArgs();
const arg = (k: string, d: number) => Number(process.argv.find((a) => a.startsWith(`--${k}=`))?.split("=")[1] ?? d);
const rate = arg("rate", 20);
const seconds = arg("seconds", quick ? 6 : 60);
const windowS = quick ? 2 : 10;
const sizesArg = process.argv.find((a) => a.startsWith("--sizes="));
const size = sizesArg ? benchArgs().sizes[0]! : quick ? { n: 1000, m: 10 } : { n: 10_000, m: 10 };
const MIN_SYNC_S = 1;
const DELIVERY_MS = 10;
const NAME = "kubeproxy_network_programming_duration_seconds";

const server = await startFixture(size.n, size.m);
try {
  // The floor: raw nft -f of one slice change's delta on the loaded table, three times.
  const cap = await capture(server, "nftables", [0, 1, 2].map((k) => ({ kind: "add-endpoint" as const, i: 100 + k, m: size.m })));
  const floorMs = await withNetns("b3raw", async (ns) => {
    await replay(cap.full, ns);
    const xs: number[] = [];
    for (const c of cap.changes) xs.push((await replay(c, ns)).ms);
    return median(xs);
  });
  await withNetns("b3", async (ns) => {
    const proxy = await startBenchProxy(server, ns);
    try {
      await proxy.waitReady(600_000);
      await Bun.sleep(1500);
      const snaps: { at: number; b: ReturnType<typeof histogram> }[] = [];
      const snap = async (at: number) => snaps.push({ at, b: histogram(await proxy.metrics(), NAME, 'ip_family="IPv4"') });
      await snap(0);
      const cpu0 = await cpuSeconds(proxy.pid);
      const firstLine = proxy.lines.length;
      const writes: number[] = [];
      const flipped = new Set<number>();
      const start = performance.now();
      const count = rate * seconds;
      let snappedFirst = false;
      let snappedLast = false;
      for (let k = 0; k < count; k++) {
        const due = start + (k * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 1) await Bun.sleep(wait);
        const elapsed = (performance.now() - start) / 1000;
        if (!snappedFirst && elapsed >= windowS) (snappedFirst = true, await snap(windowS));
        if (!snappedLast && elapsed >= seconds - windowS) (snappedLast = true, await snap(seconds - windowS));
        const i = (k * 7919) % size.n;
        const off = flipped.has(i);
        off ? flipped.delete(i) : flipped.add(i);
        writes.push(performance.now());
        for (const s of sliceObjects(serviceName(i), endpointsOf(i, off ? size.m : size.m - 1), new Date())) server.apply("endpointslices", s);
      }
      const cpu1 = await cpuSeconds(proxy.pid);
      const wallS = (performance.now() - start) / 1000;
      await Bun.sleep(2500);
      await snap(seconds + 2.5);
      const [s0, sFirst, sLast, sEnd] = snaps as [typeof snaps[0], typeof snaps[0], typeof snaps[0], typeof snaps[0]];
      const whole = diff(sEnd.b, s0.b);
      const first = diff(sFirst.b, s0.b);
      const last = diff(sEnd.b, sLast.b);
      const q = (b: typeof whole) => [0.5, 0.9, 0.99].map((x) => quantile(b, x) * 1000);
      const [p50, p90, p99] = q(whole) as [number, number, number];
      // The same latency from the log, exact where the histogram's buckets (0.5, 1, 2 s) are not: a
      // write counts as committed by the first IPv4 sync that started at least DELIVERY_MS after
      // it (the watch needs a few ms to deliver it; B2 shows 3-10 ms), which errs on the slow side.
      const syncs = proxy.lines.slice(firstLine).filter((l) => SYNCED_V4.test(l.text)).map((l) => ({ end: l.t, start: l.t - Number(/elapsed="?([\d.]+)ms/.exec(l.text)?.[1] ?? 0) }));
      const lat: number[] = [];
      const latFirst: number[] = [];
      const latLast: number[] = [];
      for (const w of writes) {
        const s = syncs.find((x) => x.start >= w + DELIVERY_MS);
        if (!s) continue;
        lat.push(s.end - w);
        const at = (w - start) / 1000;
        if (at < windowS) latFirst.push(s.end - w);
        if (at >= seconds - windowS) latLast.push(s.end - w);
      }
      const exact99 = percentile(lat, 99);
      const goalMs = MIN_SYNC_S * 1000 + 2 * floorMs;
      emitRow({
        figure: `B3 churn ${rate}/s for ${seconds} s at ${sizeLabel(size)}: network programming p50/p90/p99`,
        ours: `histogram ${fmtMs(p50)} / ${fmtMs(p90)} / ${fmtMs(p99)} (${total(whole)} obs.); exact ${fmtMs(percentile(lat, 50))} / ${fmtMs(percentile(lat, 90))} / ${fmtMs(exact99)}`,
        comparison: `min-sync-period ${MIN_SYNC_S} s + 2 x raw delta ${fmtMs(floorMs)}`,
        ratio: `p99 ${(exact99 / goalMs).toFixed(2)}x (histogram ${(p99 / goalMs).toFixed(2)}x)`,
        goal: `exact p99 <= ${fmtMs(goalMs)}`,
        met: exact99 <= goalMs,
      });
      // Growth is judged on the exact latencies: the histogram's p99 sits in its (1 s, 2 s] bucket
      // as soon as 1% of a window's writes take just over 1 s (1 s + one ~10 ms sync), and is then
      // interpolated to ~1.5 s, so it flips between ~0.99 and ~1.45 s on a few writes.
      const [f50, , f99] = q(first) as [number, number, number];
      const [l50, , l99] = q(last) as [number, number, number];
      const [ef50, ef99, el50, el99] = [percentile(latFirst, 50), percentile(latFirst, 99), percentile(latLast, 50), percentile(latLast, 99)];
      emitRow({
        figure: `B3 churn: first vs last ${windowS} s (exact p50 / p99)`,
        ours: `last: ${fmtMs(el50)} / ${fmtMs(el99)} (histogram ${fmtMs(l50)} / ${fmtMs(l99)})`,
        comparison: `first: ${fmtMs(ef50)} / ${fmtMs(ef99)} (histogram ${fmtMs(f50)} / ${fmtMs(f99)})`,
        ratio: `${(el50 / ef50).toFixed(2)}x / ${(el99 / ef99).toFixed(2)}x`,
        goal: "no growth (<= 1.2x)",
        met: el50 <= ef50 * 1.2 && el99 <= ef99 * 1.2,
      });
      const durs = syncs.map((s) => s.end - s.start);
      emitNote(`B3 ${sizeLabel(size)}: ${writes.length} writes in ${wallS.toFixed(1)} s, ${syncs.length} IPv4 syncs (median ${fmtMs(median(durs))}, max ${fmtMs(Math.max(...durs))} each); ` +
        `${lat.length} writes placed from the log; the histogram's p99 interpolates inside its (1 s, 2 s] bucket, so any share of writes over 1 s shows as ~1.5 s there; proxy CPU ${(((cpu1 - cpu0) / wallS) * 100).toFixed(0)}% of one core`);
    } finally {
      await proxy.stop();
    }
  });
} finally {
  await server.stop();
}
