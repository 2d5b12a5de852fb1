import { describe, expect, test } from "bun:test";
import { FakeClock } from "../../tests/support/fake-clock.ts";
import { BackendError, type Backend } from "../backends/backend.ts";
import type { EndpointSlice } from "../kube/schemas/endpoint-slice.ts";
import type { Node } from "../kube/schemas/node.ts";
import type { Service } from "../kube/schemas/service.ts";
import { memoryLogger } from "../lib/log.ts";
import type { ProxyState } from "../model/proxy-state.ts";
import { createProxyMetrics } from "../status/proxy-metrics.ts";
import { Proxier } from "./proxier.ts";

function recordingBackend(fail: () => boolean = () => false): Backend & { states: ProxyState[] } {
  const states: ProxyState[] = [];
  return {
    mode: "nftables",
    states,
    async sync(state) {
      if (fail()) throw new BackendError("apply", "nft: refused");
      states.push(state);
      return { servicePorts: state.servicePorts.length, endpoints: 0, scriptBytes: 0 };
    },
    async cleanup() {},
  };
}

const svc = { metadata: { name: "web", namespace: "default" }, spec: { type: "ClusterIP", clusterIP: "10.96.0.10", sessionAffinity: "None", ports: [{ name: "", port: 80, protocol: "TCP" }] } } as Service;
const slice = { metadata: { name: "web-1", namespace: "default", labels: { "kubernetes.io/service-name": "web" } }, addressType: "IPv4", endpoints: [{ addresses: ["10.244.1.2"], conditions: {} }], ports: [{ name: "", port: 8080, protocol: "TCP" }] } as EndpointSlice;

function setup(fail?: () => boolean) {
  const clock = new FakeClock(1_000_000);
  const backend = recordingBackend(fail);
  const metrics = createProxyMetrics();
  let requests = 0;
  const proxier = new Proxier({ backend, family: "IPv4", metrics, clock, log: memoryLogger(), requestSync: () => requests++ });
  return { proxier, backend, metrics, clock, requests: () => requests };
}

describe("Proxier", () => {
  test("a Node update asks for a sync only when its labels or what NodeFacts read (addresses, pod CIDRs) changed", () => {
    let requests = 0;
    const nodeFacts = { nodePortAddresses: [], masqueradeAll: false, clusterCIDRs: [], detectLocalMode: "NodeCIDR", podBridgeInterface: "", podInterfaceNamePrefix: "" } as const;
    const proxier = new Proxier({ backend: recordingBackend(), family: "IPv4", families: ["IPv4", "IPv6"], nodeFacts, metrics: createProxyMetrics(), clock: new FakeClock(1_000_000), log: memoryLogger(), requestSync: () => requests++ });
    proxier.servicesListed();
    proxier.slicesListed();
    const node = (ip: string, podCIDR: string, labels: Record<string, string>, heartbeat: string) =>
      ({ metadata: { name: "node-a", labels, resourceVersion: heartbeat }, spec: { podCIDR, podCIDRs: [podCIDR] }, status: { addresses: [{ type: "InternalIP", address: ip }], conditions: [{ type: "Ready", status: "True", lastHeartbeatTime: heartbeat }] } }) as unknown as Node;
    const asked = (n: Node | null) => {
      const before = requests;
      proxier.nodeChanged(n);
      return requests > before;
    };
    expect(asked(node("10.0.0.10", "10.244.1.0/24", { zone: "z1" }, "1"))).toBe(true);
    expect(asked(node("10.0.0.10", "10.244.1.0/24", { zone: "z1" }, "2"))).toBe(false);
    expect(asked(node("10.0.0.11", "10.244.1.0/24", { zone: "z1" }, "3"))).toBe(true);
    expect(asked(node("10.0.0.11", "10.244.2.0/24", { zone: "z1" }, "4"))).toBe(true);
    expect(asked(node("10.0.0.11", "10.244.2.0/24", { zone: "z2" }, "5"))).toBe(true);
    expect(asked(node("10.0.0.11", "10.244.2.0/24", { zone: "z2" }, "6"))).toBe(false);
    expect(asked(null)).toBe(true);
  });

  test("no sync is requested before both kinds are listed", async () => {
    const { proxier, requests } = setup();
    proxier.serviceUpserted(svc);
    proxier.servicesListed();
    expect(requests()).toBe(0);
    proxier.slicesListed();
    expect(requests()).toBe(1);
  });

  test("a sync renders the cache and records metrics and health", async () => {
    const { proxier, backend, metrics } = setup();
    proxier.serviceUpserted(svc);
    proxier.sliceUpserted(slice);
    proxier.servicesListed();
    proxier.slicesListed();
    expect(await proxier.sync()).toBe(true);
    expect(backend.states[0]!.servicePorts[0]).toMatchObject({ id: "default/web:/TCP", endpoints: [{ ip: "10.244.1.2", port: 8080 }] });
    expect(metrics.syncDuration.count({ ip_family: "IPv4" })).toBe(1);
    expect(metrics.lastSyncTimestamp.get({ ip_family: "IPv4" })).toBe(1000);
    expect(proxier.healthState().families.IPv4).toEqual({ lastUpdated: 1_000_000, pendingSince: null });
    expect(metrics.serviceChangesTotal.get()).toBe(1);
    expect(metrics.endpointChangesTotal.get()).toBe(1);
    expect(metrics.endpointChangesPending.get()).toBe(0);
  });

  test("a refused sync keeps the changes pending and counts the failure", async () => {
    const { proxier, metrics } = setup(() => true);
    proxier.servicesListed();
    proxier.slicesListed();
    proxier.serviceUpserted(svc);
    expect(await proxier.sync()).toBe(false);
    expect(metrics.nftablesSyncFailures.get({ ip_family: "IPv4" })).toBe(1);
    expect(metrics.serviceChangesPending.get()).toBe(1);
    expect(proxier.healthState().families.IPv4?.pendingSince).toBe(1_000_000);
  });
});

describe("Proxier conntrack cleanup", () => {
  test("runs after a sync that changed something, not after an idle one", async () => {
    const clock = new FakeClock(0);
    const metrics = createProxyMetrics();
    const cleaned: ProxyState[] = [];
    const proxier = new Proxier({
      backend: recordingBackend(),
      family: "IPv4",
      metrics,
      clock,
      log: memoryLogger(),
      requestSync: () => {},
      cleanConntrack: async (s) => (cleaned.push(s), { deleted: 2 }),
    });
    proxier.servicesListed();
    proxier.slicesListed();
    proxier.serviceUpserted(svc);
    await proxier.sync();
    await proxier.sync();
    expect(cleaned).toHaveLength(1);
    expect(metrics.conntrackDeleted.get({ ip_family: "IPv4" })).toBe(2);
  });
});
