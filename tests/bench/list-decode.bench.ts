/**
 * Benchmark: list + decode of 10k Services and 10k EndpointSlices (10 endpoints each, 100k
 * endpoints) from the sandbox API server through the informer (paginated list, valibot
 * validation, cache, handler), against raw `fetch` + `JSON.parse` of the same pages without
 * validation (once dropping each page, once keeping every item, which is the least any cache
 * holds), measured in the same run. `--quick` uses 1k + 1k.
 *
 *   bun tests/bench/list-decode.bench.ts [--quick]
 *
 * Each measurement runs in a fresh child process (this file with `--child`), so its peak RSS
 * (VmHWM from /proc/self/status) is its own and not the sandbox's or another run's.
 */
import { readFileSync } from "node:fs";
import { ApiClient } from "../../src/kube/client.ts";
import { authHeaders } from "../../src/kube/connection.ts";
import { createInformer } from "../../src/kube/informer.ts";
import { EndpointSliceSchema, RESOURCES, ServiceSchema } from "../../src/kube/schemas/index.ts";
import { createLogger } from "../../src/lib/log.ts";
import { startSandboxApiServer } from "../../src/sandbox/apiserver/server.ts";

type Method = "informer" | "raw" | "raw-kept";
interface Result { method: Method; ms: number; baseMB: number; peakMB: number; services: number; slices: number; endpoints: number }

function vmHWM(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function child(method: Method, url: string, token: string): Promise<Result> {
  const baseMB = vmHWM();
  const t0 = performance.now();
  let services = 0;
  let slices = 0;
  let endpoints = 0;
  const kept: unknown[] = [];
  if (method !== "informer") {
    for (const resource of ["services", "endpointslices"] as const) {
      let cont = "";
      do {
        const res = await fetch(`${url}${RESOURCES[resource].path}?limit=500${cont ? `&continue=${cont}` : ""}`, { headers: { Authorization: `Bearer ${token}` } });
        const body = JSON.parse(await res.text()) as { metadata: { continue?: string }; items: { endpoints?: unknown[] }[] };
        if (method === "raw-kept") for (const item of body.items) kept.push(item);
        if (resource === "services") services += body.items.length;
        else for (const s of body.items) (slices++, (endpoints += s.endpoints?.length ?? 0));
        cont = body.metadata.continue ?? "";
      } while (cont);
    }
  } else {
    const client = new ApiClient({ server: url, headers: authHeaders({ type: "token", token }), source: "bench" });
    const log = createLogger(0);
    const done: Promise<void>[] = [];
    const informers = [
      createInformer({ client, resource: "services", schema: ServiceSchema, log, handler: { upsert: () => void services++, remove() {}, synced: () => {} } }),
      createInformer({ client, resource: "endpointslices", schema: EndpointSliceSchema, log, handler: { upsert: (_k, s) => (slices++, void (endpoints += s.endpoints?.length ?? 0)), remove() {}, synced: () => {} } }),
    ];
    for (const i of informers) {
      done.push((async () => { while (!i.hasSynced) await Bun.sleep(1); })());
      i.start();
    }
    await Promise.all(done);
    await Promise.all(informers.map((i) => i.stop()));
  }
  const ms = performance.now() - t0;
  const peakMB = vmHWM();
  kept.length = 0; // kept alive until the peak was read
  return { method, ms, baseMB, peakMB, services, slices, endpoints };
}

function service(i: number) {
  return {
    metadata: { name: `svc-${i}`, namespace: `ns-${i % 50}`, labels: { app: `app-${i}` } },
    spec: { type: "ClusterIP", clusterIP: `10.${96 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`, selector: { app: `app-${i}` }, ports: [{ name: "http", protocol: "TCP", port: 80, targetPort: 8080 }, { name: "dns", protocol: "UDP", port: 53, targetPort: 5353 }] },
  };
}

function slice(i: number) {
  return {
    metadata: { name: `svc-${i}-abcde`, namespace: `ns-${i % 50}`, labels: { "kubernetes.io/service-name": `svc-${i}`, "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io" } },
    addressType: "IPv4",
    endpoints: Array.from({ length: 10 }, (_, j) => ({
      addresses: [`10.${(i >> 8) & 255}.${i & 255}.${j + 1}`],
      conditions: { ready: true, serving: true, terminating: false },
      nodeName: `node-${j}`,
      zone: "zone-a",
      targetRef: { kind: "Pod", namespace: `ns-${i % 50}`, name: `svc-${i}-pod-${j}` },
    })),
    ports: [{ name: "http", protocol: "TCP", port: 8080 }, { name: "dns", protocol: "UDP", port: 5353 }],
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === "--child") {
    process.stdout.write(JSON.stringify(await child(args[1] as Method, args[2]!, args[3]!)));
    return;
  }
  const n = args.includes("--quick") ? 1000 : 10_000;
  const server = await startSandboxApiServer({ historyWindow: 100 });
  const tFill = performance.now();
  for (let i = 0; i < n; i++) {
    server.apply("services", service(i));
    server.apply("endpointslices", slice(i));
  }
  const bytes = (await (await fetch(`${server.url}/api/v1/services`, { headers: { Authorization: `Bearer ${server.token}` } })).arrayBuffer()).byteLength
    + (await (await fetch(`${server.url}/apis/discovery.k8s.io/v1/endpointslices`, { headers: { Authorization: `Bearer ${server.token}` } })).arrayBuffer()).byteLength;
  console.log(`sandbox: ${n} Services + ${n} EndpointSlices (${n * 10} endpoints), ${(bytes / 1e6).toFixed(1)} MB of JSON, filled in ${((performance.now() - tFill) / 1000).toFixed(1)} s`);
  const results: Result[] = [];
  for (const method of ["raw", "raw-kept", "informer", "raw", "raw-kept", "informer"] as Method[]) {
    const p = Bun.spawn([process.execPath, import.meta.path, "--child", method, server.url, server.token], { stdout: "pipe", stderr: "inherit" });
    const out = await new Response(p.stdout).text();
    if ((await p.exited) !== 0) throw new Error(`child ${method} failed`);
    results.push(JSON.parse(out) as Result);
  }
  await server.stop();
  const label = { raw: "fetch + JSON.parse, no validation", "raw-kept": "same, all items kept in memory", informer: "informer: pages, valibot, cache" };
  const rows = results.map((r) => [label[r.method], `${r.services}/${r.slices}/${r.endpoints}`, `${r.ms.toFixed(0)} ms`, `${r.peakMB.toFixed(0)} MB`, `${r.baseMB.toFixed(0)} MB`]);
  const head = ["method", "svc/slices/endpoints", "time", "peak RSS", "RSS at start"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  console.log([line(head), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)].join("\n"));
}

await main();
