/**
 * B5, data path: TCP connect latency (client's connect() to established, i.e. SYN to SYN-ACK)
 * from a client namespace through the node namespace's rules to a pod, over many sequential
 * fresh connections, with 1 Service and with N Services loaded (the target Service named so it
 * sorts last, the worst case for iptables' linear KUBE-SERVICES walk), in nftables and iptables
 * mode, all in one lab (client -> node -> pod namespaces).
 *
 *   bun tests/bench/b5-data-path.bench.ts [--quick] [--count=20000] [--n=10000] [--ipt-n=2000] [--rounds=2]
 */
import { join } from "node:path";
import { realRunner } from "../../src/lib/exec.ts";
import { createLab } from "../../src/sandbox/lab/create-lab.ts";
import { startSandboxApiServer } from "../../src/sandbox/apiserver/server.ts";
import { nodeObject } from "../../src/sandbox/objects.ts";
import { clusterIP, NODE_IP, NODE_NAME } from "../support/addresses.ts";
import { ensureBinary } from "../support/binary.ts";
import { applyService, serviceObject, sliceObjects } from "./lib/fixture.ts";
import { startBenchProxy } from "./lib/proxy.ts";
import { benchArgs, emitNote, emitRow, fmtMs, percentile } from "./lib/report.ts";

const { quick } = benchArgs();
const count = Number(process.argv.find((a) => a.startsWith("--count="))?.slice(8) ?? (quick ? 2000 : 20_000));
const bigN = Number(process.argv.find((a) => a.startsWith("--n="))?.slice(4) ?? (quick ? 1000 : 10_000));
const rounds = Number(process.argv.find((a) => a.startsWith("--rounds="))?.slice(9) ?? (quick ? 1 : 2));
const iptN = Number(process.argv.find((a) => a.startsWith("--ipt-n="))?.slice(8) ?? (quick ? 1000 : 2000));
const M = 10;
const TARGET_IP = clusterIP(40_000);
const us = (ms: number) => `${(ms * 1000).toFixed(0)} us`;

const binary = await ensureBinary();
const lab = await createLab({ runner: realRunner, pods: 1, command: [binary], prefix: `kpb-bench-${process.pid}-b5` });
try {
  await lab.startEchoServers({ tcpPort: 8080, udpPort: 5353 });
  await lab.exec(lab.client.ns, ["sysctl", "-qw", "net.ipv4.ip_local_port_range=1024 65000", "net.ipv4.tcp_tw_reuse=1"]);
  const pod = lab.pods[0]!;
  // iptables mode loads 10k x 10 (about 420k restore lines, 110k chains) very slowly with
  // iptables-nft 1.8.9 (over 15 minutes here), so its large size is smaller by default.
  const sizes = { nftables: bigN, iptables: iptN };
  const servers = new Map<number, Awaited<ReturnType<typeof startSandboxApiServer>>>();
  const serverFor = async (n: number) => {
    let server = servers.get(n);
    if (server) return server;
    server = await startSandboxApiServer({ historyWindow: 1000, bookmarkIntervalMs: 60_000 });
    server.apply("nodes", nodeObject(NODE_NAME, NODE_IP));
    for (let i = 0; i < n - 1; i++) applyService(server, i, M);
    server.apply("services", serviceObject(0, "zz-target", TARGET_IP));
    for (const s of sliceObjects("zz-target", [pod.ip])) server.apply("endpointslices", s);
    servers.set(n, server);
    return server;
  };
  try {
    for (const mode of ["nftables", "iptables"] as const) {
      // Rounds alternate the order (1 then N, N then 1) and pool their connections, so a drift of
      // the machine during the run does not land on one side only.
      const pooled = new Map<number, { ms: number[]; failed: number }>([[1, { ms: [], failed: 0 }], [sizes[mode], { ms: [], failed: 0 }]]);
      for (let round = 0; round < rounds; round++) for (const n of round % 2 === 0 ? [1, sizes[mode]] : [sizes[mode], 1]) {
        const proxy = await startBenchProxy(await serverFor(n), lab.node.ns, { mode });
        try {
          const ready = await proxy.waitReady(900_000);
          if (mode === "iptables") {
            const save = (await lab.exec(lab.node.ns, ["iptables-save", "-t", "nat"])).stdout.split("\n").filter((l) => l.startsWith("-A KUBE-SERVICES -d "));
            emitNote(`B5 iptables ${n} Services: loaded in ${fmtMs(ready - proxy.startedAt)}; the target's KUBE-SERVICES rule is at position ${save.findIndex((l) => l.includes(`${TARGET_IP}/32`)) + 1} of ${save.length}`);
          }
          const client = (k: number) => lab.exec(lab.client.ns, [process.execPath, join(import.meta.dir, "lib/connect-client.ts"), "seq", TARGET_IP, "80", String(k)]);
          await client(200); // warm-up: ARP, neighbour caches, the client's JIT
          const r = await client(Math.ceil(count / rounds));
          if (r.exitCode !== 0) throw new Error(`client failed: ${r.stderr}`);
          const { ms, failed } = JSON.parse(r.stdout.trim()) as { ms: number[]; failed: number };
          const pool = pooled.get(n)!;
          pool.ms.push(...ms);
          pool.failed += failed;
          emitNote(`B5 ${mode} ${n} Services, round ${round + 1} of ${rounds}: ${ms.length} connects, p01 ${us(percentile(ms, 1))} p50 ${us(percentile(ms, 50))} p90 ${us(percentile(ms, 90))} p99 ${us(percentile(ms, 99))}, ${failed} failed`);
        } finally {
          await proxy.stop();
        }
      }
      const summary = (p: { ms: number[]; failed: number }) => ({ p50: percentile(p.ms, 50), p99: percentile(p.ms, 99), failed: p.failed });
      const one = summary(pooled.get(1)!);
      const big = summary(pooled.get(sizes[mode])!);
      emitRow({
        figure: `B5 connect p50/p99 ${mode}, ${sizes[mode]} Services vs 1 (${count} conns)`,
        ours: `${us(big.p50)} / ${us(big.p99)}`,
        comparison: `1 Service: ${us(one.p50)} / ${us(one.p99)}`,
        ratio: `${(big.p50 / one.p50).toFixed(2)}x / ${(big.p99 / one.p99).toFixed(2)}x`,
        goal: mode === "nftables" ? "p50 within 10%" : "(shows linear growth)",
        met: mode === "nftables" ? big.p50 <= one.p50 * 1.1 && big.failed + one.failed === 0 : null,
      });
    }
  } finally {
    for (const server of servers.values()) await server.stop();
  }
} finally {
  await lab.destroy();
}
