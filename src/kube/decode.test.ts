import { describe, expect, test } from "bun:test";
import { decodeObject, keyOf } from "./decode.ts";
import { EndpointSliceSchema, ServiceSchema } from "./schemas/index.ts";

const slice = (addresses: string[][]) => ({
  metadata: { name: "web-abc", namespace: "default", resourceVersion: "7" },
  addressType: "IPv4",
  endpoints: addresses.map((a) => ({ addresses: a })),
});

test("a valid slice decodes", () => {
  const d = decodeObject(EndpointSliceSchema, "EndpointSlice", slice([["10.0.0.1"]]));
  expect(d.ok).toBe(true);
});

test("an invalid slice names kind, key, dot path and message", () => {
  const d = decodeObject(EndpointSliceSchema, "EndpointSlice", slice([["10.0.0.1"], ["10.0.0.300"]]));
  expect(d).toEqual({ ok: false, reason: 'Skipping invalid EndpointSlice default/web-abc: endpoints.1.addresses.0: not an IP address: "10.0.0.300"' });
});

describe("a Service's clusterIP, clusterIPs and targetPort", () => {
  const service = (spec: Record<string, unknown>) => ({ metadata: { name: "web", namespace: "default" }, spec: { ports: [{ port: 80, targetPort: "http" }], ...spec } });
  test.each([
    ["an address", { clusterIP: "10.96.0.1", clusterIPs: ["10.96.0.1", "fd00::1"] }],
    ["headless: None", { clusterIP: "None", clusterIPs: ["None"] }],
    ["not yet allocated: empty", { clusterIP: "" }],
    ["a numeric targetPort", { ports: [{ port: 80, targetPort: 8080 }] }],
  ])("%s decodes", (_, spec) => {
    expect(decodeObject(ServiceSchema, "Service", service(spec)).ok).toBe(true);
  });
  test.each([
    ["clusterIP", { clusterIP: "10.96.0.300" }, 'spec.clusterIP: not an IP address, "None" or "": "10.96.0.300"'],
    ["clusterIPs", { clusterIPs: ["10.96.0.1", "none"] }, 'spec.clusterIPs.1: not an IP address, "None" or "": "none"'],
    ["clusterIP of the wrong type", { clusterIP: 7 }, "spec.clusterIP: "],
    ["targetPort", { ports: [{ port: 80, targetPort: true }] }, "spec.ports.0.targetPort: must be a number or a string"],
  ])("a bad %s is named with its path", (_, spec, reason) => {
    const d = decodeObject(ServiceSchema, "Service", service(spec));
    expect(d.ok).toBe(false);
    if (!d.ok) expect(d.reason).toStartWith(`Skipping invalid Service default/web: ${reason}`);
  });
});

test("keyOf", () => {
  expect(keyOf({ metadata: { name: "n" } })).toBe("n");
  expect(keyOf({ metadata: { name: "n", namespace: "ns" } })).toBe("ns/n");
  expect(keyOf({ metadata: {} })).toBeUndefined();
  expect(keyOf(null)).toBeUndefined();
});

describe("trimForCache", () => {
  test("drops what nothing reads from the validated copy, keeps the trigger time, never touches the raw object", async () => {
    const { EndpointSliceSchema } = await import("./schemas/endpoint-slice.ts");
    const { decodeObject, trimForCache } = await import("./decode.ts");
    const raw = {
      metadata: {
        name: "web-1", namespace: "d", labels: { "kubernetes.io/service-name": "web" },
        managedFields: [{ manager: "kube-controller-manager" }],
        annotations: { "endpoints.kubernetes.io/last-change-trigger-time": "2026-11-29T00:00:00Z", "kubectl.kubernetes.io/last-applied-configuration": "{...}" },
      },
      addressType: "IPv4",
      endpoints: [{ addresses: ["10.244.1.10"], targetRef: { kind: "Pod", name: "p" } }],
      ports: [{ port: 8080 }],
    };
    const before = JSON.stringify(raw);
    const decoded = decodeObject(EndpointSliceSchema, "EndpointSlice", raw);
    if (!decoded.ok) throw new Error(decoded.reason);
    const trimmed = trimForCache(decoded.value) as unknown as { metadata: { managedFields?: unknown; annotations?: Record<string, string>; labels?: Record<string, string> }; endpoints: { targetRef?: unknown }[] };
    expect(trimmed.metadata.managedFields).toBeUndefined();
    expect(trimmed.metadata.annotations).toEqual({ "endpoints.kubernetes.io/last-change-trigger-time": "2026-11-29T00:00:00Z" });
    expect(trimmed.endpoints[0]!.targetRef).toBeUndefined();
    expect(trimmed.metadata.labels).toEqual({ "kubernetes.io/service-name": "web" });
    expect(JSON.stringify(raw)).toBe(before);
  });
});
