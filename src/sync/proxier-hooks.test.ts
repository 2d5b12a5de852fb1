/** The Proxier's reporting hooks for /status and the network programming latency metric. */
import { expect, test } from "bun:test";
import { FakeClock } from "../../tests/support/fake-clock.ts";
import { BackendError, type Backend } from "../backends/backend.ts";
import type { EndpointSlice } from "../kube/schemas/endpoint-slice.ts";
import type { Service } from "../kube/schemas/service.ts";
import { memoryLogger } from "../lib/log.ts";
import { createProxyMetrics } from "../status/proxy-metrics.ts";
import type { SyncRecord } from "../status/proxy-status.ts";
import { Proxier } from "./proxier.ts";

const T0 = Date.UTC(2025, 0, 1);
const svc = { metadata: { name: "web", namespace: "default" }, spec: { type: "ClusterIP", clusterIP: "10.96.0.10", sessionAffinity: "None", ports: [{ name: "", port: 80, protocol: "TCP" }] } } as Service;
const slice = (name: string, trigger?: string) =>
  ({
    metadata: { name, namespace: "default", labels: { "kubernetes.io/service-name": "web" }, annotations: trigger ? { "endpoints.kubernetes.io/last-change-trigger-time": trigger } : {} },
    addressType: "IPv4",
    endpoints: [{ addresses: ["10.244.1.2"], conditions: {} }],
    ports: [{ name: "", port: 8080, protocol: "TCP" }],
  }) as EndpointSlice;

function setup(fail: () => boolean) {
  const clock = new FakeClock(T0);
  const metrics = createProxyMetrics();
  const records: SyncRecord[] = [];
  const backend: Backend = {
    mode: "nftables",
    async sync(state) {
      if (fail()) throw new BackendError("apply", "nft: refused");
      return { servicePorts: state.servicePorts.length, endpoints: 1, scriptBytes: 1, full: false };
    },
    async cleanup() {},
  };
  const proxier = new Proxier({ backend, family: "IPv4", metrics, clock, log: memoryLogger(), requestSync: () => {}, onSync: (r) => records.push(r) });
  proxier.servicesListed();
  proxier.slicesListed();
  proxier.serviceUpserted(svc);
  return { clock, metrics, records, proxier };
}

test("every sync attempt is reported: result, kind, counts, error", async () => {
  let failing = true;
  const { proxier, records, clock } = setup(() => failing);
  await proxier.sync();
  failing = false;
  await clock.advance(1000);
  await proxier.sync();
  expect(records.map(({ durationMs: _, ...r }) => r)).toEqual([
    { family: "IPv4", at: T0, ok: false, full: null, error: "nft: refused", services: 0, servicePorts: 0, endpoints: 0 },
    { family: "IPv4", at: T0 + 1000, ok: true, full: false, error: null, services: 1, servicePorts: 1, endpoints: 1 },
  ]);
});

test("network programming latency: now minus each applied slice's trigger time, kept across a failed sync, not for times before start", async () => {
  let failing = true;
  const { proxier, metrics, clock } = setup(() => failing);
  proxier.sliceUpserted(slice("a", new Date(T0 + 500).toISOString()));
  proxier.sliceUpserted(slice("b", new Date(T0 - 60_000).toISOString()));
  proxier.sliceUpserted(slice("c"));
  await clock.advance(2000);
  await proxier.sync();
  expect(metrics.networkProgrammingDuration.count({ ip_family: "IPv4" })).toBe(0);
  failing = false;
  await clock.advance(1000);
  await proxier.sync();
  expect(metrics.networkProgrammingDuration.count({ ip_family: "IPv4" })).toBe(1);
  expect(metrics.registry.render()).toContain('kubeproxy_network_programming_duration_seconds_sum{ip_family="IPv4"} 2.5');
  await proxier.sync();
  expect(metrics.networkProgrammingDuration.count({ ip_family: "IPv4" })).toBe(1);
});

test("network programming latency: a slice that arrives during a sync is counted by the next sync, not by the one in flight", async () => {
  const clock = new FakeClock(T0);
  const metrics = createProxyMetrics();
  let release = () => {};
  let gate: Promise<void> | null = null;
  const backend: Backend = {
    mode: "nftables",
    async sync(state) {
      if (gate) await gate;
      return { servicePorts: state.servicePorts.length, endpoints: 1, scriptBytes: 1, full: false };
    },
    async cleanup() {},
  };
  const proxier = new Proxier({ backend, family: "IPv4", metrics, clock, log: memoryLogger(), requestSync: () => {} });
  proxier.servicesListed();
  proxier.slicesListed();
  proxier.serviceUpserted(svc);
  proxier.sliceUpserted(slice("a", new Date(T0 + 100).toISOString()));
  gate = new Promise<void>((r) => (release = r));
  await clock.advance(1000);
  const inFlight = proxier.sync();
  proxier.sliceUpserted(slice("b", new Date(T0 + 1000).toISOString()));
  release();
  await inFlight;
  gate = null;
  expect(metrics.networkProgrammingDuration.count({ ip_family: "IPv4" })).toBe(1);
  expect(metrics.registry.render()).toContain('kubeproxy_network_programming_duration_seconds_sum{ip_family="IPv4"} 0.9');
  await clock.advance(500);
  await proxier.sync();
  expect(metrics.networkProgrammingDuration.count({ ip_family: "IPv4" })).toBe(2);
  expect(metrics.registry.render()).toContain('kubeproxy_network_programming_duration_seconds_sum{ip_family="IPv4"} 1.4');
});
