import { describe, expect, test } from "bun:test";
import { categorizeEndpoints, type CategorizeInput, type EndpointInfo } from "./categorize-endpoints.ts";

function ep(ip: string, o: Partial<Omit<EndpointInfo, "ip" | "port">> = {}): EndpointInfo {
  return { ip, port: 80, ready: true, serving: true, terminating: false, local: false, zoneHints: [], nodeHints: [], ...o };
}
const terminating = { ready: false, serving: true, terminating: true };
const notServing = { ready: false, serving: false, terminating: true };

const base: Omit<CategorizeInput, "endpoints"> = { internalTrafficPolicyLocal: false, externalTrafficPolicyLocal: false, externallyAccessible: false, nodeName: "node-a", zone: "zone-a" };

interface Row {
  name: string;
  input: Partial<CategorizeInput> & { endpoints: EndpointInfo[] };
  cluster: string[];
  local: string[];
  reachable?: string[];
  hasAny: boolean;
}

const ips = (eps: EndpointInfo[]) => eps.map((e) => e.ip);

const rows: Row[] = [
  { name: "cluster policy, all ready, no hints", input: { endpoints: [ep("10.0.1.1"), ep("10.0.1.2", { local: true })] }, cluster: ["10.0.1.1", "10.0.1.2"], local: [], hasAny: true },
  { name: "no endpoints at all", input: { endpoints: [] }, cluster: [], local: [], hasAny: false },
  { name: "not-ready endpoints are not used", input: { endpoints: [ep("10.0.1.1", { ready: false, serving: false }), ep("10.0.1.2")] }, cluster: ["10.0.1.2"], local: [], hasAny: true },
  {
    name: "zone hints on every ready endpoint, some for our zone: only those",
    input: { endpoints: [ep("10.0.1.1", { zoneHints: ["zone-a"] }), ep("10.0.1.2", { zoneHints: ["zone-b"] }), ep("10.0.1.3", { zoneHints: ["zone-a", "zone-c"] })] },
    cluster: ["10.0.1.1", "10.0.1.3"], local: [], hasAny: true,
  },
  {
    name: "one ready endpoint without hints: hints ignored",
    input: { endpoints: [ep("10.0.1.1", { zoneHints: ["zone-a"] }), ep("10.0.1.2")] },
    cluster: ["10.0.1.1", "10.0.1.2"], local: [], hasAny: true,
  },
  {
    name: "a not-ready endpoint without hints does not spoil them",
    input: { endpoints: [ep("10.0.1.1", { zoneHints: ["zone-a"] }), ep("10.0.1.2", { zoneHints: ["zone-b"] }), ep("10.0.1.3", { ready: false })] },
    cluster: ["10.0.1.1"], local: [], hasAny: true,
  },
  {
    name: "no hint names our zone: hints ignored",
    input: { endpoints: [ep("10.0.1.1", { zoneHints: ["zone-b"] }), ep("10.0.1.2", { zoneHints: ["zone-c"] })] },
    cluster: ["10.0.1.1", "10.0.1.2"], local: [], hasAny: true,
  },
  {
    name: "a node without a zone label ignores zone hints",
    input: { zone: "", endpoints: [ep("10.0.1.1", { zoneHints: ["zone-a"] }), ep("10.0.1.2", { zoneHints: ["zone-b"] })] },
    cluster: ["10.0.1.1", "10.0.1.2"], local: [], hasAny: true,
  },
  {
    name: "node hints on every ready endpoint, one for us: only it",
    input: { endpoints: [ep("10.0.1.1", { nodeHints: ["node-a"], zoneHints: ["zone-a"] }), ep("10.0.1.2", { nodeHints: ["node-b"], zoneHints: ["zone-a"] })] },
    cluster: ["10.0.1.1"], local: [], hasAny: true,
  },
  {
    name: "node hints with the PreferSameTrafficDistribution gate off: zone hints decide",
    input: { preferSameNode: false, endpoints: [ep("10.0.1.1", { nodeHints: ["node-a"], zoneHints: ["zone-a"] }), ep("10.0.1.2", { nodeHints: ["node-b"], zoneHints: ["zone-a"] })] },
    cluster: ["10.0.1.1", "10.0.1.2"], local: [], hasAny: true,
  },
  {
    name: "no ready endpoint anywhere: serving-and-terminating ones, topology ignored",
    input: { endpoints: [ep("10.0.1.1", { ...terminating, zoneHints: ["zone-b"] }), ep("10.0.1.2", notServing)] },
    cluster: ["10.0.1.1"], local: [], hasAny: true,
  },
  { name: "terminating and not serving: nothing usable", input: { endpoints: [ep("10.0.1.1", notServing)] }, cluster: [], local: [], hasAny: false },
  {
    name: "ready endpoints win over terminating ones",
    input: { endpoints: [ep("10.0.1.1", terminating), ep("10.0.1.2")] },
    cluster: ["10.0.1.2"], local: [], hasAny: true,
  },
  {
    name: "internal Local: local ready only, no cluster set",
    input: { internalTrafficPolicyLocal: true, endpoints: [ep("10.0.1.1", { local: true }), ep("10.0.1.2"), ep("10.0.1.3", { local: true, ...terminating })] },
    cluster: [], local: ["10.0.1.1"], reachable: ["10.0.1.1"], hasAny: true,
  },
  {
    name: "internal Local, no local ready: local serving-and-terminating",
    input: { internalTrafficPolicyLocal: true, endpoints: [ep("10.0.1.1", { local: true, ...terminating }), ep("10.0.1.2")] },
    cluster: [], local: ["10.0.1.1"], hasAny: true,
  },
  {
    name: "internal Local, endpoints only elsewhere: none local but the Service has endpoints (drop, not reject)",
    input: { internalTrafficPolicyLocal: true, endpoints: [ep("10.0.1.2"), ep("10.0.1.3", terminating)] },
    cluster: [], local: [], hasAny: true,
  },
  {
    name: "internal Local ignores topology hints",
    input: { internalTrafficPolicyLocal: true, endpoints: [ep("10.0.1.1", { local: true, zoneHints: ["zone-b"] }), ep("10.0.1.2", { zoneHints: ["zone-a"] })] },
    cluster: [], local: ["10.0.1.1"], hasAny: true,
  },
  {
    name: "external Local on an externally reachable port: both sets, reachable is their union",
    input: { externalTrafficPolicyLocal: true, externallyAccessible: true, endpoints: [ep("10.0.1.1", { local: true }), ep("10.0.1.2")] },
    cluster: ["10.0.1.1", "10.0.1.2"], local: ["10.0.1.1"], reachable: ["10.0.1.1", "10.0.1.2"], hasAny: true,
  },
  {
    name: "external Local without external addresses: no local set",
    input: { externalTrafficPolicyLocal: true, externallyAccessible: false, endpoints: [ep("10.0.1.1", { local: true }), ep("10.0.1.2")] },
    cluster: ["10.0.1.1", "10.0.1.2"], local: [], hasAny: true,
  },
  {
    name: "external Local: a local terminating endpoint joins the reachable set beside remote ready ones",
    input: { externalTrafficPolicyLocal: true, externallyAccessible: true, endpoints: [ep("10.0.1.1", { local: true, ...terminating }), ep("10.0.1.2")] },
    cluster: ["10.0.1.2"], local: ["10.0.1.1"], reachable: ["10.0.1.2", "10.0.1.1"], hasAny: true,
  },
  {
    name: "internal Local but externally reachable: cluster set kept for external traffic",
    input: { internalTrafficPolicyLocal: true, externallyAccessible: true, endpoints: [ep("10.0.1.1", { local: true }), ep("10.0.1.2")] },
    cluster: ["10.0.1.1", "10.0.1.2"], local: ["10.0.1.1"], hasAny: true,
  },
  {
    name: "internal Local with zone hints for elsewhere and only terminating locally",
    input: { internalTrafficPolicyLocal: true, endpoints: [ep("10.0.1.1", { local: true, ...terminating }), ep("10.0.1.2", { local: true, ...notServing })] },
    cluster: [], local: ["10.0.1.1"], hasAny: true,
  },
];

describe("categorizeEndpoints", () => {
  test.each(rows)("$name", ({ input, cluster, local, reachable, hasAny }) => {
    const got = categorizeEndpoints({ ...base, ...input });
    expect(ips(got.cluster)).toEqual(cluster);
    expect(ips(got.local)).toEqual(local);
    if (reachable) expect(ips(got.allReachable)).toEqual(reachable);
    expect(got.hasAnyEndpoints).toBe(hasAny);
  });

  test("localUsesTerminating says when the local set is terminating endpoints", () => {
    const got = categorizeEndpoints({ ...base, internalTrafficPolicyLocal: true, endpoints: [ep("10.0.1.1", { local: true, ...terminating })] });
    expect(got.localUsesTerminating).toBe(true);
    expect(categorizeEndpoints({ ...base, internalTrafficPolicyLocal: true, endpoints: [ep("10.0.1.1", { local: true })] }).localUsesTerminating).toBe(false);
  });
});
