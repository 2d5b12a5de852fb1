/**
 * B6, restart: with N x M loaded by the binary in a lab's node namespace and a client opening
 * 500 connections/s to a Service through those rules, SIGTERM the proxy and start a new one at
 * once. Reports failed connections (the rules must stay in the kernel throughout) and the new
 * process's time from start until its first reconcile completed (/readyz), next to the first
 * process's cold start into the same, then empty, namespace, measured in the same run.
 *
 *   bun tests/bench/b6-restart.bench.ts [--quick] [--rate=500] [--sizes=10000x10]
 */
import { join } from "node:path";
import { realRunner } from "../../src/lib/exec.ts";
import { createLab } from "../../src/sandbox/lab/create-lab.ts";
import { clusterIP } from "../support/addresses.ts";
import { ensureBinary } from "../support/binary.ts";
import { serviceObject, sliceObjects, startFixture } from "./lib/fixture.ts";
import { startBenchProxy } from "./lib/proxy.ts";
import { benchArgs, emitNote, emitRow, fmtMs, ratio, sizeLabel } from "./lib/report.ts";

const { quick } = benchArgs();
const rate = Number(process.argv.find((a) => a.startsWith("--rate="))?.slice(7) ?? 500);
const size = process.argv.some((a) => a.startsWith("--sizes=")) ? benchArgs().sizes[0]! : quick ? { n: 1000, m: 10 } : { n: 10_000, m: 10 };
const TARGET_IP = clusterIP(40_000);

const binary = await ensureBinary();
const server = await startFixture(size.n, size.m);
const lab = await createLab({ runner: realRunner, pods: 1, command: [binary], prefix: `kpb-bench-${process.pid}-b6` });
try {
  await lab.startEchoServers({ tcpPort: 8080, udpPort: 5353 });
  await lab.exec(lab.client.ns, ["sysctl", "-qw", "net.ipv4.ip_local_port_range=1024 65000", "net.ipv4.tcp_tw_reuse=1"]);
  server.apply("services", serviceObject(0, "zz-target", TARGET_IP));
  for (const s of sliceObjects("zz-target", [lab.pods[0]!.ip])) server.apply("endpointslices", s);
  let proxy = await startBenchProxy(server, lab.node.ns);
  const cold = (await proxy.waitReady(600_000)) - proxy.startedAt;
  await Bun.sleep(1000);
  // Long enough to cover the restart with room on both sides.
  const durationMs = Math.round(2000 + 2 * cold + 2000);
  const client = Bun.spawn(["ip", "netns", "exec", lab.client.ns, process.execPath, join(import.meta.dir, "lib/connect-client.ts"), "rate", TARGET_IP, "80", String(rate), String(durationMs)], { stdout: "pipe", stderr: "pipe" });
  let restartMs = NaN;
  try {
    await Bun.sleep(1000);
    await proxy.stop("SIGTERM");
    proxy = await startBenchProxy(server, lab.node.ns);
    restartMs = (await proxy.waitReady(600_000)) - proxy.startedAt;
  } finally {
    const [out, err] = await Promise.all([new Response(client.stdout).text(), new Response(client.stderr).text(), client.exited]);
    await proxy.stop();
    const r = JSON.parse(out.trim() || "{}") as { sent?: number; ok?: number; failedCount?: number; failures?: { at: number; code?: string }[] };
    if (r.sent === undefined) throw new Error(`client failed: ${err}`);
    emitRow({
      figure: `B6 restart under ${rate} conn/s at ${sizeLabel(size)}: failed connections`,
      ours: `${r.failedCount} of ${r.sent}`,
      comparison: "-",
      ratio: "-",
      goal: "0 failed",
      met: r.failedCount === 0,
    });
    emitRow({
      figure: `B6 restart at ${sizeLabel(size)}: start to first reconcile done`,
      ours: fmtMs(restartMs),
      comparison: `cold start, same size: ${fmtMs(cold)}`,
      ratio: ratio(restartMs, cold),
      goal: "(plan: near B2, not B1)",
      met: null,
    });
    if (r.failedCount) emitNote(`B6 failures (ms after client start, code): ${JSON.stringify(r.failures?.slice(0, 10))}`);
  }
} finally {
  await lab.destroy();
  await server.stop();
}
