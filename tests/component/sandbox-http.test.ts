/** The sandbox API server over HTTP, as any client sees it: auth, writes, conflicts, pages, watch, 410. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { type SandboxApiServer, startSandboxApiServer } from "../../src/sandbox/apiserver/server.ts";

let server: SandboxApiServer;
beforeAll(async () => {
  server = await startSandboxApiServer({ historyWindow: 3 });
});
afterAll(() => server.stop());

const call = (method: string, path: string, body?: unknown, token = server.token) =>
  fetch(`${server.url}${path}`, { method, headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });

const svc = (name: string, extra: Record<string, unknown> = {}) => ({ apiVersion: "v1", kind: "Service", metadata: { name, ...extra }, spec: { clusterIP: "10.96.0.1", ports: [{ port: 80 }] } });

test("no or wrong token: 401 with a Status", async () => {
  const res = await fetch(`${server.url}/api/v1/services`);
  expect(res.status).toBe(401);
  expect(await res.json()).toMatchObject({ kind: "Status", code: 401, reason: "Unauthorized" });
  expect((await call("GET", "/api", undefined, "nope")).status).toBe(401);
});

test("create, conflict on create, get, stale update, update, list with kinds, delete", async () => {
  const created = await call("POST", "/api/v1/namespaces/default/services", svc("web"));
  expect(created.status).toBe(201);
  const obj = (await created.json()) as { metadata: Record<string, string> };
  expect(obj.metadata).toMatchObject({ name: "web", namespace: "default" });
  expect(obj.metadata.uid).toBeTruthy();
  expect(obj.metadata.creationTimestamp).toBeTruthy();
  expect((await call("POST", "/api/v1/namespaces/default/services", svc("web"))).status).toBe(409);
  const rv = obj.metadata.resourceVersion!;
  const ok = await call("PUT", "/api/v1/namespaces/default/services/web", svc("web", { namespace: "default", resourceVersion: rv }));
  expect(ok.status).toBe(200);
  const stale = await call("PUT", "/api/v1/namespaces/default/services/web", svc("web", { resourceVersion: rv }));
  expect(stale.status).toBe(409);
  expect(await stale.json()).toMatchObject({ reason: "Conflict", code: 409 });
  const list = (await (await call("GET", "/api/v1/services")).json()) as { kind: string; apiVersion: string; metadata: { resourceVersion: string }; items: { kind: string; apiVersion: string }[] };
  expect(list).toMatchObject({ kind: "ServiceList", apiVersion: "v1" });
  expect(list.items[0]).toMatchObject({ kind: "Service", apiVersion: "v1" });
  expect(Number(list.metadata.resourceVersion)).toBeGreaterThan(Number(rv));
  expect((await call("DELETE", "/api/v1/namespaces/default/services/web")).status).toBe(200);
  expect((await call("GET", "/api/v1/namespaces/default/services/web")).status).toBe(404);
});

test("the resourceVersion counter is global across kinds", async () => {
  const a = server.apply("nodes", { metadata: { name: "n1" } });
  const b = server.apply("endpointslices", { metadata: { name: "s1", namespace: "default" }, addressType: "IPv4", endpoints: [] });
  expect(Number(b.metadata.resourceVersion)).toBe(Number(a.metadata.resourceVersion) + 1);
  expect(a.metadata.namespace).toBeUndefined();
});

test("pagination with limit and continue", async () => {
  for (const n of ["p1", "p2", "p3"]) server.apply("services", svc(n, { namespace: "pages" }));
  const first = (await (await call("GET", "/api/v1/namespaces/pages/services?limit=2")).json()) as { metadata: { continue?: string; resourceVersion: string }; items: { metadata: { name: string } }[] };
  expect(first.items.map((i) => i.metadata.name)).toEqual(["p1", "p2"]);
  const second = (await (await call("GET", `/api/v1/namespaces/pages/services?limit=2&continue=${first.metadata.continue}`)).json()) as typeof first;
  expect(second.items.map((i) => i.metadata.name)).toEqual(["p3"]);
  expect(second.metadata.continue).toBeUndefined();
  expect(second.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
});

test("watch streams events line by line and answers 410 once history is gone", async () => {
  const rv = server.apply("services", svc("w1", { namespace: "watch" })).metadata.resourceVersion;
  const res = await call("GET", `/api/v1/namespaces/watch/services?watch=true&resourceVersion=${rv}&timeoutSeconds=1`);
  expect(res.status).toBe(200);
  server.apply("services", svc("w2", { namespace: "watch" }));
  server.remove("services", "watch", "w1");
  const text = await res.text();
  const events = text.trim().split("\n").map((l) => JSON.parse(l) as { type: string; object: { metadata: { name: string } } });
  expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(["ADDED w2", "DELETED w1"]);
  for (const n of ["x1", "x2", "x3", "x4"]) server.apply("services", svc(n, { namespace: "watch" }));
  const gone = await call("GET", `/api/v1/services?watch=1&resourceVersion=${rv}`);
  expect(gone.status).toBe(410);
  expect(await gone.json()).toMatchObject({ kind: "Status", code: 410, reason: "Expired" });
});

test("discovery documents", async () => {
  const core = (await (await call("GET", "/api/v1")).json()) as { resources: { name: string; namespaced: boolean }[] };
  expect(core.resources.map((r) => `${r.name}:${r.namespaced}`).sort()).toEqual(["nodes:false", "services:true"]);
  expect(await (await call("GET", "/apis")).json()).toMatchObject({ kind: "APIGroupList", groups: [{ name: "discovery.k8s.io" }] });
  expect((await call("GET", "/nope")).status).toBe(404);
});
