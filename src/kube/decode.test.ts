import { describe, expect, test } from "bun:test";
import { decodeObject, keyOf } from "./decode.ts";
import { EndpointSliceSchema } from "./schemas/index.ts";

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
