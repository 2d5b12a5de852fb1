/**
 * One test per fault the sandbox can inject: afterwards the informer's cache equals the server's
 * state (same objects, same resourceVersions), the deletion made during the fault was delivered,
 * and the informer listed no more often than the fault forced (the sandbox counts list requests).
 */
import { afterEach, beforeEach, expect, test } from "bun:test";
import { ServiceSchema } from "../../src/kube/schemas/index.ts";
import { type SandboxApiServer, startSandboxApiServer } from "../../src/sandbox/apiserver/server.ts";
import { type Recorded, recordInformer, sandboxConnection, waitInSync } from "./informer-harness.ts";
import { waitFor } from "./wait-for.ts";

let server: SandboxApiServer;
let rec: Recorded<unknown> | undefined;

const svc = (name: string, ip: string) => ({ metadata: { name, namespace: "default" }, spec: { clusterIP: ip, ports: [{ port: 80 }] } });

beforeEach(async () => {
  server = await startSandboxApiServer({ bookmarkIntervalMs: 100 });
  for (const [i, n] of ["a", "b", "c"].entries()) server.apply("services", svc(n, `10.96.0.${i + 1}`));
});
afterEach(async () => {
  await rec?.informer.stop();
  rec = undefined;
  await server.stop();
});

/** Starts the informer and waits for its first sync. */
async function started(extra: { pageSize?: number } = {}): Promise<Recorded<unknown>> {
  rec = recordInformer(sandboxConnection(server), "services", ServiceSchema, extra) as Recorded<unknown>;
  await waitInSync(server, "services", rec.informer);
  return rec;
}

/** The changes every scenario makes while the fault is on: an add, a modify and a delete. */
function churn(): void {
  server.apply("services", svc("d", "10.96.0.4"));
  server.apply("services", svc("a", "10.96.0.11"));
  server.remove("services", "default", "b");
}

async function settled(r: Recorded<unknown>, lists: number): Promise<void> {
  await waitInSync(server, "services", r.informer);
  expect(r.removed).toEqual(new Set(["default/b"]));
  expect(server.counts.list).toBe(lists);
  expect(r.syncs()).toBe(1);
}

test("a watch dropped mid-stream is renewed from its resourceVersion: no relist", async () => {
  const r = await started();
  await waitFor(() => server.openWatches() === 1, "watch open");
  expect(server.dropWatches()).toBe(1);
  churn();
  await settled(r, 1);
  expect(server.counts.watch).toBeGreaterThanOrEqual(2);
});

test("500 on the first list and on a watch: backoff, then one list that succeeds", async () => {
  server.faults.failNext(1);
  const r = await started();
  expect(server.faults.fired.error500).toBe(1);
  server.faults.failNext(1);
  server.dropWatches();
  churn();
  await settled(r, 2);
  expect(server.faults.fired.error500).toBe(2);
  // Jitter is fixed at its minimum: 0.5 x 500 ms for the first failure.
  expect(r.delays[0]).toBe(250);
  expect(r.log.lines.filter((l) => l.includes("failed; retrying"))).toHaveLength(2);
});

test("429 with Retry-After: the informer waits at least that long, and does not relist", async () => {
  const r = await started();
  server.faults.throttleNext(1, 1);
  server.dropWatches();
  churn();
  await settled(r, 1);
  expect(server.faults.fired.error429).toBe(1);
  expect(r.delays).toContain(1000);
  expect(r.log.lines.join("")).toContain("retry after 1s");
});

test("slow answers (300 ms each) still converge with one list", async () => {
  server.faults.delayMs = 300;
  const r = await started();
  server.dropWatches();
  churn();
  await settled(r, 1);
});

test("a 410 storm: one relist per forced expiry, deletions found by diffing, backoff between relists", async () => {
  const r = await started();
  server.apply("services", svc("e", "10.96.0.5"));
  await waitFor(() => r.events.some((e) => e.startsWith("upsert default/e")), "a watch event");
  server.holdWatches();
  server.dropWatches();
  await waitFor(() => server.counts.watch === 2, "the informer's next watch request");
  churn();
  server.compact();
  server.faults.expireNext(2);
  server.releaseWatches();
  await waitFor(() => server.faults.fired.expired === 2 && server.openWatches() === 1, "the storm to pass");
  // The held watch meets the compaction (410 #1), the next two watches the storm: 1 + 3 lists.
  await settled(r, 4);
  // The first 410 relists at once; the next ones in a row wait (jitter fixed at its minimum).
  expect(r.delays).toEqual([250, 500]);
});

test("an expired continue token restarts the list without pages", async () => {
  server.faults.expireNext(1);
  const r = await started({ pageSize: 2 });
  // page 1, page 2 (410), one unpaginated list.
  expect(server.counts.list).toBe(3);
  expect(server.faults.fired.expired).toBe(1);
  churn();
  await settled(r, 3);
});

test("a malformed line in the watch stream: the watch is renewed from its resourceVersion, no relist", async () => {
  const r = await started();
  await waitFor(() => server.openWatches() === 1, "watch open");
  expect(server.sendMalformed()).toBe(1);
  churn();
  await settled(r, 1);
  expect(r.log.lines.join("")).toContain("a line is not JSON");
});

test("the server stops and comes back on the same port with the same state: resume, no relist", async () => {
  const r = await started();
  await waitFor(() => server.openWatches() === 1, "watch open");
  const back = server.restart(400);
  churn();
  await back;
  await settled(r, 1);
});

test("the server comes back with its history compacted: exactly one relist, the deletion is found", async () => {
  const r = await started();
  await waitFor(() => server.openWatches() === 1, "watch open");
  const back = server.restart(300);
  churn();
  server.compact();
  await back;
  await settled(r, 2);
});
