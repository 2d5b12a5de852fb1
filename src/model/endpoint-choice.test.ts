/**
 * buildProxyState's endpoint choice from real API shapes: conditions with upstream's defaults,
 * locality from nodeName, zone hints with the Node's zone, the traffic policies, session
 * affinity, health-check node ports and the serving IPs the conntrack cleanup keeps.
 */
import { describe, expect, test } from "bun:test";
import type { EndpointSlice } from "../kube/schemas/endpoint-slice.ts";
import type { Service } from "../kube/schemas/service.ts";
import { buildProxyState, type NodeTopology } from "./build-state.ts";
import { ClusterCache } from "./cluster-cache.ts";
import type { ServicePortState } from "./proxy-state.ts";

const ME = "node-a";
const OTHER = "node-b";

type Cond = { ready?: boolean; serving?: boolean; terminating?: boolean };
interface Ep {
  ip: string;
  node?: string;
  cond?: Cond;
  zones?: string[];
}

const svc = (spec: Partial<Service["spec"]>): Service =>
  ({ metadata: { name: "web", namespace: "demo" }, spec: { type: "ClusterIP", clusterIP: "10.96.0.10", sessionAffinity: "None", ports: [{ name: "http", port: 80, protocol: "TCP" }], ...spec } }) as Service;

const slice = (eps: Ep[], name = "web-1"): EndpointSlice =>
  ({
    metadata: { name, namespace: "demo", labels: { "kubernetes.io/service-name": "web" } },
    addressType: "IPv4",
    endpoints: eps.map((e) => ({ addresses: [e.ip], conditions: e.cond ?? {}, ...(e.node ? { nodeName: e.node } : {}), ...(e.zones ? { hints: { forZones: e.zones.map((name) => ({ name })) } } : {}) })),
    ports: [{ name: "http", port: 8080, protocol: "TCP" }],
  }) as EndpointSlice;

function port(s: Service, slices: EndpointSlice[], topo: NodeTopology = { nodeName: ME, zone: "zone-a" }): ServicePortState {
  const cache = new ClusterCache();
  cache.upsertService(s);
  slices.forEach((x) => cache.upsertSlice(x));
  const st = buildProxyState(cache, "IPv4", undefined, topo);
  expect(st.servicePorts).toHaveLength(1);
  return st.servicePorts[0]!;
}

const ips = (eps: { ip: string }[] | undefined) => (eps ?? []).map((e) => e.ip);
const TERM: Cond = { ready: false, serving: true, terminating: true };
const GONE: Cond = { ready: false, serving: false, terminating: true };
const LB = { type: "LoadBalancer" as const, ports: [{ name: "http", port: 80, protocol: "TCP" as const, nodePort: 30080 }] };

interface Row {
  name: string;
  spec: Partial<Service["spec"]>;
  eps: Ep[];
  topo?: NodeTopology;
  cluster: string[];
  local: string[];
  hasEndpoints: boolean;
  serving?: string[];
  localReady?: number;
}

const rows: Row[] = [
  { name: "conditions absent: ready (nil ready, serving true, terminating false)", spec: {}, eps: [{ ip: "10.244.1.2" }], cluster: ["10.244.1.2"], local: [], hasEndpoints: true },
  { name: "not ready, not serving: never used, not serving", spec: {}, eps: [{ ip: "10.244.1.2", cond: GONE }, { ip: "10.244.1.3" }], cluster: ["10.244.1.3"], local: [], hasEndpoints: true, serving: ["10.244.1.3"] },
  { name: "only terminating-but-serving: the cluster set falls back to them", spec: {}, eps: [{ ip: "10.244.1.2", cond: TERM }, { ip: "10.244.1.3", cond: GONE }], cluster: ["10.244.1.2"], local: [], hasEndpoints: true, serving: ["10.244.1.2"] },
  { name: "ready and terminating: terminating ones unused", spec: {}, eps: [{ ip: "10.244.1.2", cond: TERM }, { ip: "10.244.1.3" }], cluster: ["10.244.1.3"], local: [], hasEndpoints: true, serving: ["10.244.1.2", "10.244.1.3"] },
  { name: "no endpoints at all", spec: {}, eps: [], cluster: [], local: [], hasEndpoints: false },
  { name: "iTP Local: local ready only, no cluster set", spec: { internalTrafficPolicy: "Local" }, eps: [{ ip: "10.244.1.2", node: ME }, { ip: "10.244.2.2", node: OTHER }], cluster: [], local: ["10.244.1.2"], hasEndpoints: true, localReady: 1 },
  { name: "iTP Local, none local: drop (has endpoints, empty local set)", spec: { internalTrafficPolicy: "Local" }, eps: [{ ip: "10.244.2.2", node: OTHER }], cluster: [], local: [], hasEndpoints: true, localReady: 0 },
  { name: "iTP Local, local only terminating: used, not counted as ready", spec: { internalTrafficPolicy: "Local" }, eps: [{ ip: "10.244.1.2", node: ME, cond: TERM }, { ip: "10.244.2.2", node: OTHER }], cluster: [], local: ["10.244.1.2"], hasEndpoints: true, localReady: 0 },
  { name: "eTP Local LoadBalancer: cluster and local sets", spec: { ...LB, externalTrafficPolicy: "Local", healthCheckNodePort: 32000 }, eps: [{ ip: "10.244.1.2", node: ME }, { ip: "10.244.2.2", node: OTHER }], cluster: ["10.244.1.2", "10.244.2.2"], local: ["10.244.1.2"], hasEndpoints: true, localReady: 1 },
  { name: "eTP Local on a ClusterIP-only port: not external, no local set", spec: { externalTrafficPolicy: "Local" }, eps: [{ ip: "10.244.1.2", node: ME }], cluster: ["10.244.1.2"], local: [], hasEndpoints: true },
  { name: "zone hints on every ready endpoint, one for our zone: only those", spec: {}, eps: [{ ip: "10.244.1.2", zones: ["zone-a"] }, { ip: "10.244.2.2", zones: ["zone-b"] }], cluster: ["10.244.1.2"], local: [], hasEndpoints: true },
  { name: "zone hints but the Node has no zone label: ignored", spec: {}, eps: [{ ip: "10.244.1.2", zones: ["zone-a"] }, { ip: "10.244.2.2", zones: ["zone-b"] }], topo: { nodeName: ME, zone: "" }, cluster: ["10.244.1.2", "10.244.2.2"], local: [], hasEndpoints: true },
  { name: "zone hints are ignored by the local set", spec: { internalTrafficPolicy: "Local" }, eps: [{ ip: "10.244.1.2", node: ME, zones: ["zone-b"] }, { ip: "10.244.1.3", node: ME, zones: ["zone-a"] }], cluster: [], local: ["10.244.1.2", "10.244.1.3"], hasEndpoints: true, localReady: 2 },
  { name: "no node name: nothing is local", spec: { internalTrafficPolicy: "Local" }, eps: [{ ip: "10.244.1.2", node: ME }], topo: { nodeName: "", zone: "" }, cluster: [], local: [], hasEndpoints: true },
];

describe("endpoint choice in buildProxyState", () => {
  test.each(rows)("$name", (r) => {
    const sp = port(svc(r.spec), [slice(r.eps)], r.topo);
    expect({ cluster: ips(sp.endpoints), local: ips(sp.localEndpoints), hasEndpoints: sp.hasEndpoints }).toEqual({ cluster: r.cluster, local: r.local, hasEndpoints: r.hasEndpoints });
    if (r.serving) expect(sp.servingEndpointIPs).toEqual(r.serving);
    if (r.localReady !== undefined) expect(sp.localReadyEndpoints).toBe(r.localReady);
  });

  test("EndpointTarget.local says which endpoints are on this node", () => {
    const sp = port(svc({}), [slice([{ ip: "10.244.1.2", node: ME }, { ip: "10.244.2.2", node: OTHER }])]);
    expect(sp.endpoints).toEqual([{ ip: "10.244.1.2", port: 8080, local: true }, { ip: "10.244.2.2", port: 8080, local: false }]);
  });

  test("a duplicate across slices merges, the local copy winning", () => {
    const sp = port(svc({ internalTrafficPolicy: "Local" }), [slice([{ ip: "10.244.1.2", node: OTHER }], "a"), slice([{ ip: "10.244.1.2", node: ME }], "b")]);
    expect(ips(sp.localEndpoints)).toEqual(["10.244.1.2"]);
  });

  test("policies: defaults, iTP and eTP carried", () => {
    expect(port(svc({}), [])).toMatchObject({ internalTrafficPolicy: "Cluster", externalTrafficPolicy: "Cluster", affinityTimeoutSeconds: null, healthCheckNodePort: null });
    expect(port(svc({ ...LB, internalTrafficPolicy: "Local", externalTrafficPolicy: "Local" }), [])).toMatchObject({ internalTrafficPolicy: "Local", externalTrafficPolicy: "Local" });
  });

  test("sessionAffinity ClientIP: the timeout, API default 10800", () => {
    expect(port(svc({ sessionAffinity: "ClientIP" }), []).affinityTimeoutSeconds).toBe(10800);
    expect(port(svc({ sessionAffinity: "ClientIP", sessionAffinityConfig: { clientIP: { timeoutSeconds: 30 } } }), []).affinityTimeoutSeconds).toBe(30);
    expect(port(svc({ sessionAffinity: "None", sessionAffinityConfig: { clientIP: { timeoutSeconds: 30 } } }), []).affinityTimeoutSeconds).toBeNull();
  });

  test("healthCheckNodePort only for LoadBalancer with eTP Local", () => {
    expect(port(svc({ ...LB, externalTrafficPolicy: "Local", healthCheckNodePort: 32000 }), []).healthCheckNodePort).toBe(32000);
    expect(port(svc({ ...LB, externalTrafficPolicy: "Cluster", healthCheckNodePort: 32000 }), []).healthCheckNodePort).toBeNull();
    expect(port(svc({ type: "NodePort", ports: LB.ports, externalTrafficPolicy: "Local", healthCheckNodePort: 32000 }), []).healthCheckNodePort).toBeNull();
  });
});
