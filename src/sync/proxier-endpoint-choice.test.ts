import { describe, expect, test } from "bun:test";
import { FakeClock } from "../../tests/support/fake-clock.ts";
import type { Backend } from "../backends/backend.ts";
import type { EndpointSlice } from "../kube/schemas/endpoint-slice.ts";
import type { Node } from "../kube/schemas/node.ts";
import type { Service } from "../kube/schemas/service.ts";
import { memoryLogger } from "../lib/log.ts";
import type { ProxyState } from "../model/proxy-state.ts";
import { createProxyMetrics } from "../status/proxy-metrics.ts";
import type { HealthCheckService } from "../status/service-health-servers.ts";
import { Proxier } from "./proxier.ts";

const lb = {
  metadata: { name: "lb", namespace: "demo" },
  spec: { type: "LoadBalancer", clusterIP: "10.96.0.20", sessionAffinity: "None", externalTrafficPolicy: "Local", healthCheckNodePort: 32100, ports: [{ name: "", port: 80, protocol: "TCP", nodePort: 30080 }] },
} as Service;
const itp = { metadata: { name: "itp", namespace: "demo" }, spec: { type: "ClusterIP", clusterIP: "10.96.0.21", sessionAffinity: "None", internalTrafficPolicy: "Local", ports: [{ name: "", port: 80, protocol: "TCP" }] } } as Service;
const slice = (svc: string, eps: { ip: string; node: string; terminating?: boolean; zone?: string }[]) =>
  ({
    metadata: { name: `${svc}-1`, namespace: "demo", labels: { "kubernetes.io/service-name": svc } },
    addressType: "IPv4",
    endpoints: eps.map((e) => ({ addresses: [e.ip], nodeName: e.node, conditions: e.terminating ? { ready: false, serving: true, terminating: true } : {}, ...(e.zone ? { hints: { forZones: [{ name: e.zone }] } } : {}) })),
    ports: [{ name: "", port: 8080, protocol: "TCP" }],
  }) as EndpointSlice;
const node = (zone: string) => ({ metadata: { name: "node-a", labels: { "topology.kubernetes.io/zone": zone } }, spec: {}, status: {} }) as Node;

function setup() {
  const states: { state: ProxyState; full: boolean }[] = [];
  const backend: Backend = {
    mode: "nftables",
    async sync(state, changed) {
      states.push({ state, full: changed == null });
      return { servicePorts: state.servicePorts.length, endpoints: 0, scriptBytes: 0, full: changed == null };
    },
    async cleanup() {},
  };
  const wanted: HealthCheckService[][] = [];
  const metrics = createProxyMetrics();
  const proxier = new Proxier({ backend, family: "IPv4", nodeName: "node-a", metrics, clock: new FakeClock(1_000_000), log: memoryLogger(), requestSync: () => {}, healthServers: { sync: async (w) => void wanted.push(w) } });
  proxier.servicesListed();
  proxier.slicesListed();
  return { proxier, states, wanted, metrics };
}

describe("Proxier: endpoint choice", () => {
  test("locality from nodeName; health-check ports with the local ready count; no-local gauge by policy", async () => {
    const { proxier, states, wanted, metrics } = setup();
    proxier.serviceUpserted(lb);
    proxier.serviceUpserted(itp);
    proxier.sliceUpserted(slice("lb", [{ ip: "10.244.1.2", node: "node-a" }, { ip: "10.244.1.3", node: "node-a", terminating: true }, { ip: "10.244.2.2", node: "node-b" }]));
    proxier.sliceUpserted(slice("itp", [{ ip: "10.244.2.3", node: "node-b" }]));
    expect(await proxier.sync()).toBe(true);
    const sps = states.at(-1)!.state.servicePorts;
    expect(sps.find((s) => s.name === "lb")!.localEndpoints!.map((e) => e.ip)).toEqual(["10.244.1.2"]);
    expect(wanted.at(-1)).toEqual([{ namespace: "demo", name: "lb", port: 32100, localEndpoints: 1 }]);
    expect(metrics.noLocalEndpoints.get({ traffic_policy: "internal", ip_family: "IPv4" })).toBe(1);
    expect(metrics.noLocalEndpoints.get({ traffic_policy: "external", ip_family: "IPv4" })).toBe(0);

    proxier.sliceUpserted(slice("lb", [{ ip: "10.244.2.2", node: "node-b" }]));
    await proxier.sync();
    expect(wanted.at(-1)).toEqual([{ namespace: "demo", name: "lb", port: 32100, localEndpoints: 0 }]);
    expect(metrics.noLocalEndpoints.get({ traffic_policy: "external", ip_family: "IPv4" })).toBe(1);
    proxier.serviceRemoved(lb);
    await proxier.sync();
    expect(wanted.at(-1)).toEqual([]);
  });

  test("the Node's zone label feeds topology hints, and a label change forces a full sync", async () => {
    const { proxier, states } = setup();
    const web = { ...itp, metadata: { name: "web", namespace: "demo" }, spec: { ...itp.spec, internalTrafficPolicy: "Cluster" } } as Service;
    proxier.serviceUpserted(web);
    proxier.sliceUpserted(slice("web", [{ ip: "10.244.1.2", node: "node-a", zone: "z1" }, { ip: "10.244.2.2", node: "node-b", zone: "z2" }]));
    proxier.nodeChanged(node("z1"));
    await proxier.sync();
    expect(states.at(-1)!.state.servicePorts[0]!.endpoints.map((e) => e.ip)).toEqual(["10.244.1.2"]);
    proxier.sliceUpserted(slice("web", [{ ip: "10.244.1.2", node: "node-a", zone: "z1" }, { ip: "10.244.2.2", node: "node-b", zone: "z2" }]));
    await proxier.sync();
    expect(states.at(-1)!.full).toBe(false);
    proxier.nodeChanged(node("z2"));
    await proxier.sync();
    expect(states.at(-1)!.full).toBe(true);
    expect(states.at(-1)!.state.servicePorts[0]!.endpoints.map((e) => e.ip)).toEqual(["10.244.2.2"]);
  });
});
