/** The client and informer against the real sandbox API server on 127.0.0.1. */
import { afterEach, beforeEach, expect, test } from "bun:test";
import { ApiClient } from "../../src/kube/client.ts";
import { authHeaders } from "../../src/kube/connection.ts";
import { isApiError } from "../../src/kube/api-error.ts";
import { createInformer, type Informer } from "../../src/kube/informer.ts";
import { EndpointSliceSchema, type EndpointSlice, ServiceSchema, type Service } from "../../src/kube/schemas/index.ts";
import { memoryLogger } from "../../src/lib/log.ts";
import { type SandboxApiServer, startSandboxApiServer } from "../../src/sandbox/apiserver/server.ts";
import { waitFor } from "./wait-for.ts";

let server: SandboxApiServer;
let informers: Informer<unknown>[] = [];

beforeEach(async () => {
  server = await startSandboxApiServer({ bookmarkIntervalMs: 50 });
});
afterEach(async () => {
  await Promise.all(informers.map((i) => i.stop()));
  informers = [];
  await server.stop();
});

const client = (token = server.token) => new ApiClient({ server: server.url, headers: authHeaders({ type: "token", token }), source: "test" });

const svc = (name: string, clusterIP: string, labels?: Record<string, string>) => ({
  metadata: { name, namespace: "default", ...(labels ? { labels } : {}) },
  spec: { clusterIP, ports: [{ port: 80 }] },
});
const slice = (name: string, ...addresses: string[]) => ({
  metadata: { name, namespace: "default", labels: { "kubernetes.io/service-name": "web" } },
  addressType: "IPv4",
  endpoints: addresses.map((a) => ({ addresses: [a] })),
});

/** An informer whose handler records what it saw, as `upsert key` / `remove key` lines. */
function recorder<T>(resource: "services" | "endpointslices", schema: import("valibot").GenericSchema<unknown, T>, extra: { labelSelector?: string; pageSize?: number } = {}) {
  const seen: string[] = [];
  const latest = new Map<string, T>();
  let syncs = 0;
  const log = memoryLogger();
  const informer = createInformer<T>({
    client: client(), resource, schema, log, ...extra,
    handler: {
      upsert: (k, o) => (seen.push(`upsert ${k}`), latest.set(k, o)),
      remove: (k) => (seen.push(`remove ${k}`), latest.delete(k)),
      synced: () => syncs++,
    },
  });
  informers.push(informer as Informer<unknown>);
  return { informer, seen, latest, log, syncs: () => syncs };
}

test("initial list (paginated) then add, modify and delete through the watch", async () => {
  for (const n of ["a", "b", "c"]) server.apply("services", svc(n, `10.96.0.${n.charCodeAt(0) - 90}`));
  const r = recorder("services", ServiceSchema, { pageSize: 2 });
  r.informer.start();
  await waitFor(() => r.informer.hasSynced, "sync");
  expect(r.seen).toEqual(["upsert default/a", "upsert default/b", "upsert default/c"]);
  expect(r.syncs()).toBe(1);
  expect(server.counts.list).toBe(2);
  r.seen.length = 0;
  server.apply("services", svc("d", "10.96.0.9"));
  server.apply("services", svc("a", "10.96.0.99"));
  server.remove("services", "default", "b");
  await waitFor(() => r.seen.length === 3, "three watch events");
  expect(r.seen).toEqual(["upsert default/d", "upsert default/a", "remove default/b"]);
  expect((r.latest.get("default/a") as Service).spec.clusterIP).toBe("10.96.0.99");
  expect(r.informer.cacheKeys()).toEqual(["default/a", "default/c", "default/d"]);
});

test("label selector: objects moving out of scope are removed", async () => {
  server.apply("services", svc("plain", "10.96.0.1"));
  server.apply("services", svc("other", "10.96.0.2", { "service.kubernetes.io/service-proxy-name": "x" }));
  const r = recorder("services", ServiceSchema, { labelSelector: "!service.kubernetes.io/service-proxy-name,!service.kubernetes.io/headless" });
  r.informer.start();
  await waitFor(() => r.informer.hasSynced, "sync");
  expect(r.informer.cacheKeys()).toEqual(["default/plain"]);
  server.apply("services", svc("plain", "10.96.0.1", { "service.kubernetes.io/headless": "" }));
  await waitFor(() => r.seen.includes("remove default/plain"), "removal");
});

test("an invalid object is skipped and logged; the last good version stays; DELETED still removes it", async () => {
  server.apply("endpointslices", slice("web-abc", "10.0.0.1"));
  const r = recorder("endpointslices", EndpointSliceSchema);
  r.informer.start();
  await waitFor(() => r.informer.hasSynced, "sync");
  server.apply("endpointslices", slice("web-abc", "10.0.0.1", "10.0.0.300"));
  server.apply("endpointslices", slice("web-new", "10.0.0.400"));
  server.apply("services", svc("marker", "10.96.0.5"));
  await waitFor(() => r.log.lines.length >= 2, "two error lines");
  expect(r.log.lines[0]).toContain('Skipping invalid EndpointSlice default/web-abc: endpoints.1.addresses.0: not an IP address: "10.0.0.300"');
  expect(r.log.lines[1]).toContain('Skipping invalid EndpointSlice default/web-new: endpoints.0.addresses.0: not an IP address: "10.0.0.400"');
  expect(r.seen).toEqual(["upsert default/web-abc"]);
  expect((r.informer.get("default/web-abc") as EndpointSlice).endpoints!.map((e) => e.addresses[0])).toEqual(["10.0.0.1"]);
  server.remove("endpointslices", "default", "web-abc");
  await waitFor(() => r.seen.includes("remove default/web-abc"), "removal of the invalid slice");
  expect(r.informer.cacheKeys()).toEqual([]);
});

test("a dropped watch resumes from the last resourceVersion without a relist", async () => {
  server.apply("services", svc("a", "10.96.0.1"));
  const r = recorder("services", ServiceSchema);
  r.informer.start();
  await waitFor(() => server.openWatches() === 1, "watch open");
  expect(server.dropWatches()).toBe(1);
  server.apply("services", svc("b", "10.96.0.2"));
  await waitFor(() => r.seen.includes("upsert default/b"), "event after the drop");
  expect(server.counts.list).toBe(1);
  expect(server.counts.watch).toBe(2);
});

test("410 Gone forces a relist that emits the missed deletion", async () => {
  server.apply("services", svc("a", "10.96.0.1"));
  server.apply("services", svc("b", "10.96.0.2"));
  const r = recorder("services", ServiceSchema);
  r.informer.start();
  await waitFor(() => server.openWatches() === 1, "watch open");
  server.holdWatches();
  server.dropWatches();
  await waitFor(() => server.counts.watch === 2, "the informer's next watch request");
  server.remove("services", "default", "a");
  server.apply("services", svc("b", "10.96.0.22"));
  server.compact();
  server.releaseWatches();
  await waitFor(() => r.seen.includes("remove default/a"), "missed deletion");
  expect(server.counts.list).toBe(2);
  expect((r.latest.get("default/b") as Service).spec.clusterIP).toBe("10.96.0.22");
  expect(r.informer.cacheKeys()).toEqual(["default/b"]);
  expect(r.syncs()).toBe(1);
});

test("bookmarks advance the informer's resourceVersion", async () => {
  const r = recorder("services", ServiceSchema);
  r.informer.start();
  await waitFor(() => r.informer.hasSynced, "sync");
  server.apply("endpointslices", slice("other-kind", "10.0.0.1"));
  await waitFor(() => r.informer.resourceVersion === String(server.list("endpointslices")[0]!.metadata.resourceVersion), "a bookmark");
});

test("a wrong token is ApiError kind unauthorized; the informer backs off", async () => {
  const err = await client("wrong").list("services").catch((e: unknown) => e);
  expect(isApiError(err, "unauthorized")).toBe(true);
  const watchErr = await client("wrong").watch("services").next().catch((e: unknown) => e);
  expect(isApiError(watchErr, "unauthorized")).toBe(true);
  const log = memoryLogger();
  const delays: number[] = [];
  const informer = createInformer({
    client: client("wrong"), resource: "services", schema: ServiceSchema, log, random: () => 0.5,
    sleep: async (ms) => void delays.push(ms),
    handler: { upsert() {}, remove() {}, synced() {} },
  });
  informers.push(informer as Informer<unknown>);
  informer.start();
  await waitFor(() => delays.length >= 3, "three retries");
  await informer.stop();
  expect(delays.slice(0, 3)).toEqual([500, 1000, 2000]);
  expect(log.lines.join("")).not.toContain(server.token);
});

test("410 on an expired resourceVersion is ApiError kind gone", async () => {
  server.apply("services", svc("a", "10.96.0.1"));
  server.compact();
  const err = await client().watch("services", { resourceVersion: "0" }).next().then(() => null, (e: unknown) => e);
  expect(err).toBeNull();
  server.apply("services", svc("b", "10.96.0.2"));
  server.compact();
  const gone = await client().watch("services", { resourceVersion: "1" }).next().catch((e: unknown) => e);
  expect(isApiError(gone, "gone")).toBe(true);
});
