/**
 * Child process of the benchmarks: does in-process what the binary does before and during its
 * first sync (the real informers list and decode from the sandbox, the real Proxier builds the
 * model and the real backend renders), with a Runner that records each `nft -f -` /
 * `iptables-restore` script instead of running it (read-only commands such as iptables-save go
 * to an empty namespace). Then replays a list of changes through the Proxier and records each
 * partial sync's scripts. Prints one JSON line: phase times and the script files it wrote.
 *
 *   bun capture-child.ts <kubeconfig> <mode> <empty-ns> <out-dir> [changes-json | list-only]
 */
import { heapStats } from "bun:jsc";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { backendForMode, localhostNodePortsFor, nodeFactsConfigFor } from "../../../src/cli/backend-for-mode.ts";
import { connect } from "../../../src/cli/connect.ts";
import { startProxyInformers } from "../../../src/cli/proxy-informers.ts";
import { resolveConfig } from "../../../src/cli/resolve-config.ts";
import { decodeObject } from "../../../src/kube/decode.ts";
import { EndpointSliceSchema, ServiceSchema } from "../../../src/kube/schemas/index.ts";
import { inNetns, realRunner, type Runner } from "../../../src/lib/exec.ts";
import { normalJitPolicy, STARTUP_JIT_POLICY } from "../../../src/lib/jit-tiers.ts";
import { createLogger } from "../../../src/lib/log.ts";
import { buildProxyState } from "../../../src/model/build-state.ts";
import { nodeFactsOf } from "../../../src/model/node-facts.ts";
import { createProxyMetrics } from "../../../src/status/proxy-metrics.ts";
import { StatusBoard } from "../../../src/status/proxy-status.ts";
import { realClock } from "../../../src/sync/clock.ts";
import { Proxier } from "../../../src/sync/proxier.ts";
import { NODE_NAME } from "../../support/addresses.ts";
import { LIST_ONLY } from "./capture.ts";
import { endpointsOf, serviceName, serviceObject, sliceObjects } from "./fixture.ts";

/** A change the benchmarks replay: one endpoint added to / removed from Service i, or Service i created with m endpoints. */
export type Change = { kind: "add-endpoint" | "remove-endpoint"; i: number; m: number } | { kind: "new-service"; i: number; m: number };

export interface CaptureResult {
  listMs: number;
  modelMs: number;
  syncMs: number;
  rssKB: number;
  /** Memory after each phase (after a full GC): live JS heap and RSS, in KiB. */
  memory: { phase: string; heapKB: number; rssKB: number }[];
  /** Script files of the full sync, in the order the proxy ran them, with their argv. */
  full: { argv: string[]; file: string; bytes: number }[];
  /** Script files of each change's partial sync. */
  changes: { argv: string[]; file: string; bytes: number }[][];
}

// The binary starts with the JIT policy its build bakes in (package.json, lib/jit-tiers.ts) and
// goes back to the normal one after its first sync: so does this child, so that the floor's
// list/decode is measured as the binary decodes.
Bun.unsafe.setJITPolicy(STARTUP_JIT_POLICY);
const [kubeconfig, mode, emptyNs, outDir, changesJson] = process.argv.slice(2) as [string, "nftables" | "iptables", string, string, string | undefined];
const { config } = resolveConfig([`--kubeconfig=${kubeconfig}`, `--hostname-override=${NODE_NAME}`, `--proxy-mode=${mode}`]);
const log = createLogger(0);
let recorded: { argv: string[]; file: string; bytes: number }[] = [];
let n = 0;
const forward = inNetns(realRunner, emptyNs);
const recording: Runner = async (argv, stdin) => {
  const writes = (argv[0] === "nft" && argv.includes("-f")) || argv[0]!.endsWith("-restore");
  if (!writes) return forward(argv, stdin);
  const file = join(outDir, `script-${n++}.txt`);
  // The cold-start batches come as `nft -f FILE` (the file exists during the call); replays feed every script on stdin.
  const from = argv.includes("-f") ? argv[argv.indexOf("-f") + 1] : undefined;
  const script = from && from !== "-" ? readFileSync(from, "utf8") : (stdin ?? "");
  writeFileSync(file, script);
  recorded.push({ argv: from && from !== "-" ? argv.map((a) => (a === from ? "-" : a)) : [...argv], file, bytes: Buffer.byteLength(script) });
  return { exitCode: 0, stdout: "", stderr: "" };
};

// The settings run-proxy.ts derives from the same configuration, so the scripts are the binary's
// (iptables: localhost NodePorts and the conntrack-INVALID drop were missing, 229 bytes at 1k).
const backend = backendForMode(mode, { runner: recording, log, masqueradeBit: config.masqueradeBit, localhostNodePorts: localhostNodePortsFor(config), dropInvalid: !config.conntrack.tcpBeLiberal });
const metrics = createProxyMetrics();
const proxier = new Proxier({ backend, family: "IPv4", families: ["IPv4", "IPv6"], nodeFacts: nodeFactsConfigFor(config), metrics, clock: realClock, log, requestSync: () => {} });
const board = new StatusBoard({ mode, version: "bench", runtime: "bun", node: NODE_NAME, startedAt: Date.now() }, "watch");
const connection = await connect(config);
const memory: CaptureResult["memory"] = [];
const mark = (phase: string) => {
  Bun.gc(true);
  memory.push({ phase, heapKB: heapStats().heapSize / 1024, rssKB: process.memoryUsage().rss / 1024 });
};
mark("start");
const t0 = performance.now();
const informers = startProxyInformers({ connection, nodeName: NODE_NAME, proxier, log, board, apiMode: "watch", pollIntervalMs: 1000 });
while (!proxier.ready()) await Bun.sleep(1);
const listMs = performance.now() - t0;
// The floor's list/decode alone, once per B1 run (capture.ts listDecodeMs).
if (changesJson === LIST_ONLY) {
  await Bun.write(Bun.stdout, JSON.stringify({ listMs }) + "\n");
  process.exit(0);
}
mark("listed (informer cache)");
await Bun.sleep(50); // the Node object (one small list) feeds NodeFacts, as in the binary
let t = performance.now();
const facts = nodeFactsOf(nodeFactsConfigFor(config), "IPv4", null);
buildProxyState(proxier.cache, "IPv4", facts);
const modelMs = performance.now() - t;
t = performance.now();
await proxier.sync();
const syncMs = performance.now() - t;
normalJitPolicy();
mark("after the full sync (model, element store; script dropped)");
const rssKB = Number(/VmHWM:\s+(\d+)/.exec(await Bun.file("/proc/self/status").text())?.[1]);
await informers.stop();
const full = recorded;
const changes: CaptureResult["changes"] = [];
for (const c of (changesJson ? JSON.parse(changesJson) : []) as Change[]) {
  recorded = [];
  const m = c.kind === "add-endpoint" ? c.m + 1 : c.kind === "remove-endpoint" ? c.m : c.m;
  if (c.kind === "new-service") {
    const svc = decodeObject(ServiceSchema, "Service", serviceObject(c.i));
    if (svc.ok) proxier.serviceUpserted(svc.value);
  }
  for (const s of sliceObjects(serviceName(c.i), endpointsOf(c.i, m))) {
    const d = decodeObject(EndpointSliceSchema, "EndpointSlice", s);
    if (d.ok) proxier.sliceUpserted(d.value);
  }
  await proxier.sync();
  changes.push(recorded);
}
await Bun.write(Bun.stdout, JSON.stringify({ listMs, modelMs, syncMs, rssKB, memory, full, changes } satisfies CaptureResult) + "\n");
process.exit(0);
