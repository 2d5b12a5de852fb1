import { describe, expect, test } from "bun:test";
import { createHealthzApp } from "./healthz-app.ts";
import { createMetricsApp } from "./metrics-app.ts";
import { initialHealth } from "./proxy-health.ts";
import { createProxyMetrics } from "./proxy-metrics.ts";
import { StatusBoard, type SyncRecord } from "./proxy-status.ts";
import { configToFile } from "../cli/config-to-file.ts";
import { defaultConfig } from "../cli/config.ts";

const T0 = Date.UTC(2025, 0, 1);
const info = { mode: "nftables", version: "v0.1.0", runtime: "bun 1.4.5", node: "n1", startedAt: T0 };
const sync = (over: Partial<SyncRecord> = {}): SyncRecord => ({ family: "IPv4", at: T0 + 5000, durationMs: 12.5, ok: true, full: true, error: null, services: 2, servicePorts: 3, endpoints: 6, ...over });

function apps(board: StatusBoard, now = T0 + 10_000) {
  const metrics = createProxyMetrics();
  const health = createHealthzApp({ health: initialHealth, now: () => now, timeoutMs: 60_000, metrics, ready: () => board.ready() });
  const m = createMetricsApp({ metrics, mode: "nftables", configz: () => configToFile(defaultConfig("n1")), status: () => board.report(now) });
  return { health, m };
}

describe("StatusBoard and /status", () => {
  test("before anything: connecting, not ready, no sync", async () => {
    const board = new StatusBoard(info, "watch");
    const { health, m } = apps(board);
    const ready = await health.request("/readyz");
    expect(ready.status).toBe(503);
    expect(await ready.text()).toContain("no successful sync yet");
    const body = (await (await m.request("/status")).json()) as Record<string, unknown>;
    expect(body).toMatchObject({ mode: "nftables", version: "v0.1.0", ready: false, api: { mode: "watch", state: "connecting", since: new Date(T0).toISOString(), forSeconds: 10 }, lastSync: {}, programmed: {}, skipped: [] });
  });

  test("after a successful sync: ready, last sync and counts per family", async () => {
    const board = new StatusBoard(info, "watch");
    board.apiReachable(T0 + 1000);
    board.recordSync(sync());
    const { health, m } = apps(board);
    expect((await health.request("/readyz")).status).toBe(200);
    const body = (await (await m.request("/status")).json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      ready: true,
      api: { state: "watching", since: new Date(T0 + 1000).toISOString(), lastError: null },
      lastSync: { IPv4: { time: new Date(T0 + 5000).toISOString(), durationSeconds: 0.0125, kind: "full", result: "success", error: null } },
      programmed: { IPv4: { services: 2, servicePorts: 3, endpoints: 6 } },
    });
  });

  test("with both families programmed, ready waits for the other one's first sync to finish (they sync side by side)", () => {
    const board = new StatusBoard(info, "watch", ["IPv4", "IPv6"]);
    board.recordSync(sync({ family: "IPv6" }));
    expect(board.ready()).toBe(false);
    board.recordSync(sync());
    expect(board.ready()).toBe(true);
  });

  test("a family that cannot be programmed (no IPv6 in the kernel) does not keep the node unready; no success at all does", () => {
    const board = new StatusBoard(info, "watch", ["IPv4", "IPv6"]);
    board.recordSync(sync({ family: "IPv6", ok: false, full: null, error: "nft: no ip6 support" }));
    expect(board.ready()).toBe(false);
    board.recordSync(sync());
    expect(board.ready()).toBe(true);
    const none = new StatusBoard(info, "watch", ["IPv4", "IPv6"]);
    none.recordSync(sync({ family: "IPv6", ok: false, full: null, error: "x" }));
    none.recordSync(sync({ ok: false, full: null, error: "y" }));
    expect(none.ready()).toBe(false);
  });

  test("a failed sync is the last sync; what is programmed stays the last success", () => {
    const board = new StatusBoard(info, "watch");
    board.recordSync(sync());
    board.recordSync(sync({ at: T0 + 9000, ok: false, full: null, error: "nft: refused", services: 0, servicePorts: 0, endpoints: 0 }));
    const r = board.report(T0 + 10_000);
    expect(r.lastSync.IPv4).toMatchObject({ result: "failure", kind: "unknown", error: "nft: refused" });
    expect(r.programmed.IPv4).toMatchObject({ servicePorts: 3 });
    expect(r.ready).toBe(true);
  });

  test("API connection: reconnecting since the first failure in a row, then back", () => {
    const board = new StatusBoard(info, "poll");
    board.apiReachable(T0 + 1);
    expect(board.apiConnection()).toMatchObject({ state: "polling", since: T0 + 1 });
    board.apiFailed(T0 + 100, "connection refused");
    board.apiFailed(T0 + 200, "connection refused again");
    expect(board.apiConnection()).toEqual({ mode: "poll", state: "reconnecting", since: T0 + 100, lastError: "connection refused again" });
    board.apiReachable(T0 + 300);
    expect(board.apiConnection()).toMatchObject({ state: "polling", since: T0 + 300 });
  });

  test("skipped objects are listed with the reason until they are good again or gone", () => {
    const board = new StatusBoard(info, "watch");
    board.skipped("EndpointSlice", "demo/web-broken", 'endpoints.0.addresses.0: not an IP address: "10.244.1.300"', T0 + 1);
    board.skipped("Service", "demo/x", "spec.ports.0.port: Invalid type", T0 + 2);
    expect(board.report(T0 + 3).skipped.map((s) => `${s.kind} ${s.key}`)).toEqual(["EndpointSlice demo/web-broken", "Service demo/x"]);
    board.unskipped("Service", "demo/x");
    expect(board.report(T0 + 3).skipped).toEqual([{ kind: "EndpointSlice", key: "demo/web-broken", reason: 'endpoints.0.addresses.0: not an IP address: "10.244.1.300"', since: new Date(T0 + 1).toISOString() }]);
  });

  test.each([["/status?format=text", {}], ["/status", { Accept: "text/plain" }]] as [string, Record<string, string>][])("%s %p answers plain text for a terminal", async (path, headers) => {
    const board = new StatusBoard(info, "watch");
    board.apiFailed(T0 + 1000, "connect ECONNREFUSED 127.0.0.1:6443");
    board.recordSync(sync());
    board.skipped("EndpointSlice", "demo/web-broken", "endpoints.0.addresses.0: not an IP address", T0);
    const res = await apps(board).m.request(path, { headers });
    expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    const text = await res.text();
    expect(text).toContain("kube-proxy-bun v0.1.0 (bun 1.4.5), mode nftables, node n1");
    expect(text).toContain("API server: reconnecting (watch mode) since 2025-01-01T00:00:01.000Z, 9s; last error: connect ECONNREFUSED 127.0.0.1:6443");
    expect(text).toContain("last sync:  IPv4 success at 2025-01-01T00:00:05.000Z, full, 12.5 ms");
    expect(text).toContain("programmed: IPv4 2 services, 3 service ports, 6 endpoints");
    expect(text).toContain("  EndpointSlice demo/web-broken (since 2025-01-01T00:00:00.000Z): endpoints.0.addresses.0: not an IP address");
  });

  test("/configz serves the running configuration under its API group", async () => {
    const res = await apps(new StatusBoard(info, "watch")).m.request("/configz");
    expect(res.headers.get("content-type")).toBe("application/json");
    const body = (await res.json()) as Record<string, Record<string, unknown>>;
    expect(Object.keys(body)).toEqual(["kubeproxy.config.k8s.io"]);
    expect(body["kubeproxy.config.k8s.io"]).toMatchObject({ kind: "KubeProxyConfiguration", mode: "nftables", healthzBindAddress: "0.0.0.0:10256", nftables: { syncPeriod: "30s" } });
  });
});
