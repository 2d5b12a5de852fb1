import { expect, test } from "bun:test";
import { createHealthzApp } from "./healthz-app.ts";
import { createMetricsApp } from "./metrics-app.ts";
import { initialHealth, queued, updated, withNode } from "./proxy-health.ts";
import { createProxyMetrics } from "./proxy-metrics.ts";
import type { Node } from "../kube/schemas/node.ts";

const node = { metadata: { name: "n1" }, spec: {}, status: {} } as Node;

test("healthz and livez answer upstream's JSON and count responses", async () => {
  const metrics = createProxyMetrics();
  let state = queued(withNode(initialHealth(), node), "IPv4", 0);
  const app = createHealthzApp({ health: () => state, now: () => 120_000, timeoutMs: 60_000, metrics });
  let res = await app.request("/healthz");
  expect(res.status).toBe(503);
  expect(res.headers.get("content-type")).toBe("application/json");
  expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  expect(((await res.json()) as { healthy: boolean }).healthy).toBe(false);
  state = updated(state, "IPv4", 100_000);
  res = await app.request("/livez");
  expect(res.status).toBe(200);
  expect(await res.json()).not.toHaveProperty("nodeEligible");
  expect((await app.request("/other")).status).toBe(404);
  expect(metrics.healthzTotal.get({ code: "503" })).toBe(1);
  expect(metrics.livezTotal.get({ code: "200" })).toBe(1);
});

test("metrics app serves Prometheus text and the proxy mode", async () => {
  const metrics = createProxyMetrics();
  metrics.syncDuration.observe(0.003, { ip_family: "IPv4" });
  metrics.lastSyncTimestamp.set(1700000000, { ip_family: "IPv4" });
  const app = createMetricsApp({ metrics, mode: "nftables" });
  const text = await (await app.request("/metrics")).text();
  expect(text).toContain("# TYPE kubeproxy_sync_proxy_rules_duration_seconds histogram");
  expect(text).toContain('kubeproxy_sync_proxy_rules_duration_seconds_bucket{ip_family="IPv4",le="0.002"} 0');
  expect(text).toContain('kubeproxy_sync_proxy_rules_duration_seconds_bucket{ip_family="IPv4",le="0.004"} 1');
  expect(text).toContain('kubeproxy_sync_proxy_rules_duration_seconds_bucket{ip_family="IPv4",le="+Inf"} 1');
  expect(text).toContain('kubeproxy_sync_proxy_rules_duration_seconds_count{ip_family="IPv4"} 1');
  expect(text).toContain('kubeproxy_sync_proxy_rules_last_timestamp_seconds{ip_family="IPv4"} 1700000000');
  const mode = await app.request("/proxyMode");
  expect(await mode.text()).toBe("nftables");
  expect(await (await app.request("/healthz")).text()).toBe("ok");
});
