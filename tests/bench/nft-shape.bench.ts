/**
 * Load time of the nftables ruleset shape at scale, on the real kernel in a throw-away namespace
 * (`kpb-bench-<pid>`, deleted at the end, also on failure). Run as root:
 *
 *   bun tests/bench/nft-shape.bench.ts [services=10000] [endpoints=10] [family=IPv4]
 *
 * Prints the full-sync render and load times, script size, and the time of one-Service partial
 * syncs (an endpoint change, a new Service, a deleted Service) on the loaded table.
 */
import { createNftablesBackend } from "../../src/backends/nftables/nftables-backend.ts";
import { inNetns, realRunner } from "../../src/lib/exec.ts";
import type { ProxyState, ServicePortState } from "../../src/model/proxy-state.ts";
import { clusterIP, clusterIP6 } from "../support/addresses.ts";

const services = Number(process.argv[2] ?? 10_000);
const perService = Number(process.argv[3] ?? 10);
const family = (process.argv[4] ?? "IPv4") as "IPv4" | "IPv6";
const v4 = family === "IPv4";

const ep = (i: number, j: number) => (v4 ? `10.${128 + Math.floor(i / 250)}.${i % 250}.${1 + j}` : `fd00:244::${i.toString(16)}:${(1 + j).toString(16)}`);
function sp(i: number, k = perService): ServicePortState {
  return {
    id: `bench/svc-${i}:http/TCP`,
    namespace: "bench",
    name: `svc-${i}`,
    portName: "http",
    protocol: "TCP",
    clusterIP: v4 ? clusterIP(i) : clusterIP6(i),
    port: 80,
    nodePort: i < 2000 ? 30000 + i : null,
    endpoints: Array.from({ length: k }, (_, j) => ({ ip: ep(i, j), port: 8080 })).sort((a, b) => (`${a.ip}:8080` < `${b.ip}:8080` ? -1 : 1)),
  };
}
const node = { nodeIP: v4 ? "10.0.0.10" : "fd00:10::10", nodePorts: { matchAll: false, cidrs: [v4 ? "10.0.0.10/32" : "fd00:10::10/128"] }, masqueradeAll: false, localDetector: { kind: "cidr" as const, cidr: v4 ? "10.128.0.0/9" : "fd00:244::/32" } };
const ports = Array.from({ length: services }, (_, i) => sp(i));
const state = (servicePorts: ServicePortState[]): ProxyState => ({ family, node, servicePorts });

const ns = `kpb-bench-${process.pid}`;
await realRunner(["ip", "netns", "add", ns]);
try {
  const backend = createNftablesBackend({ runner: inNetns(realRunner, ns) });
  let t = performance.now();
  const full = await backend.sync(state(ports));
  const fullMs = performance.now() - t;
  console.log(`${services} services x ${perService} endpoints (${family}): full sync ${fullMs.toFixed(0)} ms, ${(full.scriptBytes / 1e6).toFixed(1)} MB script`);

  const changes: [string, ServicePortState[], string][] = [
    ["one endpoint changed", ports.map((p, i) => (i === 17 ? { ...p, endpoints: p.endpoints.slice(1) } : p)), "bench/svc-17"],
    ["one Service added", [...ports, sp(services)], `bench/svc-${services}`],
    ["one Service deleted", ports.slice(1), "bench/svc-0"],
  ];
  for (const [what, next, key] of changes) {
    t = performance.now();
    const r = await backend.sync(state(next), new Set([key]));
    console.log(`  partial sync, ${what}: ${(performance.now() - t).toFixed(1)} ms (full=${r.full}, ${r.scriptBytes} bytes)`);
  }
  const rules = await inNetns(realRunner, ns)(["nft", "list", "table", v4 ? "ip" : "ip6", "kube-proxy"]);
  console.log(`  table: ${rules.stdout.split("\n").filter((l) => l.trim().startsWith("chain ")).length} chains, ${rules.stdout.split("\n").filter((l) => /^\s+(set|map) /.test(l)).length} sets and maps`);
} finally {
  await realRunner(["ip", "netns", "del", ns]);
}
