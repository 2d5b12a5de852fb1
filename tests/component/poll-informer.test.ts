/** The poll-mode informer against the sandbox: periodic lists diffed into the same events as a watch. */
import { afterEach, beforeEach, expect, test } from "bun:test";
import { EndpointSliceSchema, ServiceSchema } from "../../src/kube/schemas/index.ts";
import { type SandboxApiServer, startSandboxApiServer } from "../../src/sandbox/apiserver/server.ts";
import { type Recorded, recordInformer, sandboxConnection, waitInSync } from "./informer-harness.ts";
import { waitFor } from "./wait-for.ts";

let server: SandboxApiServer;
let rec: Recorded<unknown> | undefined;
beforeEach(async () => {
  server = await startSandboxApiServer();
});
afterEach(async () => {
  await rec?.informer.stop();
  await server.stop();
});

const svc = (name: string, ip: string, labels?: Record<string, string>) => ({ metadata: { name, namespace: "default", ...(labels ? { labels } : {}) }, spec: { clusterIP: ip, ports: [{ port: 80 }] } });

test("adds, changes and deletions arrive as upserts and removes; nothing is opened but lists", async () => {
  server.apply("services", svc("a", "10.96.0.1"));
  server.apply("services", svc("b", "10.96.0.2"));
  const r = (rec = recordInformer(sandboxConnection(server), "services", ServiceSchema, { intervalMs: 40, pageSize: 1 }) as Recorded<unknown>);
  await waitInSync(server, "services", r.informer);
  expect(r.syncs()).toBe(1);
  const a2 = server.apply("services", svc("a", "10.96.0.11")).metadata.resourceVersion;
  server.remove("services", "default", "b");
  server.apply("services", svc("c", "10.96.0.3"));
  await waitInSync(server, "services", r.informer);
  // One poll saw all three changes: upserts first, then the removes its diff implies.
  expect(r.events.slice(2)).toEqual([`upsert default/a@${a2}`, `upsert default/c@${Number(a2) + 2}`, "remove default/b"]);
  expect(r.informer.resourceVersion).toBe(String(Number(a2) + 2));
  expect(server.counts.watch).toBe(0);
  // An unchanged list emits nothing.
  const before = r.events.length;
  const lists = server.counts.list;
  await waitFor(() => server.counts.list >= lists + 6, "three more polls");
  expect(r.events.length).toBe(before);
});

test("selectors apply; a failed poll backs off and the next one catches up, deletions included", async () => {
  server.apply("services", svc("mine", "10.96.0.1"));
  server.apply("services", svc("theirs", "10.96.0.2", { "service.kubernetes.io/service-proxy-name": "other" }));
  const r = (rec = recordInformer(sandboxConnection(server), "services", ServiceSchema, { intervalMs: 40, labelSelector: "!service.kubernetes.io/service-proxy-name" }) as Recorded<unknown>);
  await waitFor(() => r.informer.hasSynced, "sync");
  expect(r.informer.cacheKeys()).toEqual(["default/mine"]);
  server.faults.failNext(2);
  server.remove("services", "default", "mine");
  await waitFor(() => r.removed.has("default/mine"), "the deletion");
  expect(server.faults.fired.error500).toBe(2);
  expect(r.delays).toContain(250);
  expect(r.delays).toContain(500);
});

test("an invalid slice is skipped and logged once, not once per poll", async () => {
  server.apply("endpointslices", { metadata: { name: "s", namespace: "default" }, addressType: "IPv4", endpoints: [{ addresses: ["10.0.0.300"] }] });
  const r = (rec = recordInformer(sandboxConnection(server), "endpointslices", EndpointSliceSchema, { intervalMs: 20 }) as Recorded<unknown>);
  await waitFor(() => server.counts.list >= 4, "four polls");
  expect(r.informer.cacheKeys()).toEqual([]);
  expect(r.log.lines.filter((l) => l.includes("Skipping invalid EndpointSlice default/s"))).toHaveLength(1);
});
