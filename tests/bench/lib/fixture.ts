/**
 * The benchmark cluster: N Services (one TCP port, 80 -> 8080) with M endpoints each, in
 * EndpointSlices of up to 100 endpoints, written into a sandbox API server the way the
 * controllers would. Slices can carry `endpoints.kubernetes.io/last-change-trigger-time`, which
 * is what `kubeproxy_network_programming_duration_seconds` measures from.
 */
import { startSandboxApiServer, type SandboxApiServer } from "../../../src/sandbox/apiserver/server.ts";
import type { KubeObject } from "../../../src/sandbox/apiserver/store.ts";
import { clusterIP, NODE_IP, NODE_NAME } from "../../support/addresses.ts";
import { nodeObject } from "../../../src/sandbox/objects.ts";

export const NS = "bench";
export const SLICE_MAX = 100;
export const TRIGGER = "endpoints.kubernetes.io/last-change-trigger-time";

/** Endpoint j of Service i: 10.(128 + i/250).(i%250).(1+j), distinct for i < 31250 and j < 254. */
export function endpointIP(i: number, j: number): string {
  return `10.${128 + Math.floor(i / 250)}.${i % 250}.${1 + j}`;
}

export const serviceName = (i: number) => `svc-${i}`;

export function serviceObject(i: number, name = serviceName(i), ip = clusterIP(i)): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { namespace: NS, name },
    spec: { type: "ClusterIP", clusterIP: ip, clusterIPs: [ip], ipFamilies: ["IPv4"], selector: { app: name }, ports: [{ name: "http", protocol: "TCP", port: 80, targetPort: 8080 }] },
  };
}

/** The slices of a Service with these endpoint IPs, up to SLICE_MAX endpoints each. */
export function sliceObjects(name: string, ips: string[], trigger?: Date): KubeObject[] {
  const out: KubeObject[] = [];
  for (let k = 0; k * SLICE_MAX < Math.max(ips.length, 1); k++) {
    const chunk = ips.slice(k * SLICE_MAX, (k + 1) * SLICE_MAX);
    out.push({
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: {
        namespace: NS,
        name: `${name}-${k}`,
        labels: { "kubernetes.io/service-name": name, "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io" },
        ...(trigger ? { annotations: { [TRIGGER]: trigger.toISOString() } } : {}),
      },
      addressType: "IPv4",
      endpoints: chunk.map((ip, j) => ({ addresses: [ip], conditions: { ready: true, serving: true, terminating: false }, nodeName: "node-b", targetRef: { kind: "Pod", namespace: NS, name: `${name}-pod-${k * SLICE_MAX + j}` } })),
      ports: [{ name: "http", protocol: "TCP", port: 8080 }],
    });
  }
  return out;
}

export const endpointsOf = (i: number, m: number) => Array.from({ length: m }, (_, j) => endpointIP(i, j));

/** Writes Service i and its slices. */
export function applyService(server: SandboxApiServer, i: number, m: number, trigger?: Date): void {
  server.apply("services", serviceObject(i));
  for (const s of sliceObjects(serviceName(i), endpointsOf(i, m), trigger)) server.apply("endpointslices", s);
}

/** A sandbox API server holding the Node and N x M (Services x endpoints). */
export async function startFixture(n: number, m: number): Promise<SandboxApiServer> {
  const server = await startSandboxApiServer({ historyWindow: 1000, bookmarkIntervalMs: 60_000 });
  server.apply("nodes", nodeObject(NODE_NAME, NODE_IP));
  for (let i = 0; i < n; i++) applyService(server, i, m);
  return server;
}
