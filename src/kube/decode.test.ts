import { expect, test } from "bun:test";
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
