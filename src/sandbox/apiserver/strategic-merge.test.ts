import { expect, test } from "bun:test";
import { strategicMergePatch } from "./strategic-merge.ts";

test("what kubectl apply sends to change a Service's port: merge by port, delete directive, order directive", () => {
  const current = { metadata: { name: "db", labels: { a: "1" } }, spec: { clusterIP: "10.96.0.20", ports: [{ port: 5432, name: "pg" }, { port: 9187, name: "metrics" }] } };
  const patch = {
    metadata: { labels: { tier: "data", a: null } },
    spec: { $setElementOrder: undefined, "$setElementOrder/ports": [{ port: 9187 }, { port: 5433 }], ports: [{ port: 5433, name: "pg2" }, { $patch: "delete", port: 5432 }] },
  };
  expect(strategicMergePatch("services", current, patch)).toEqual({
    metadata: { name: "db", labels: { tier: "data" } },
    spec: { clusterIP: "10.96.0.20", ports: [{ port: 9187, name: "metrics" }, { port: 5433, name: "pg2" }] },
  });
});

test("lists without a merge key are replaced; $patch replace, $retainKeys and primitive deletions", () => {
  const current = { endpoints: [{ addresses: ["10.0.0.1"] }], metadata: { finalizers: ["a", "b"] }, spec: { x: 1, y: 2 } };
  expect(strategicMergePatch("endpointslices", current, {
    endpoints: [{ addresses: ["10.0.0.2"] }],
    metadata: { "$deleteFromPrimitiveList/finalizers": ["a"] },
    spec: { $patch: "replace", z: 3 },
  })).toEqual({ endpoints: [{ addresses: ["10.0.0.2"] }], metadata: { finalizers: ["b"] }, spec: { z: 3 } });
  expect(strategicMergePatch("nodes", { spec: { a: 1, b: 2 } }, { spec: { $retainKeys: ["b"], b: 3 } })).toEqual({ spec: { b: 3 } });
});

test("a Node's taints merge by key", () => {
  const current = { spec: { taints: [{ key: "x", effect: "NoSchedule" }, { key: "y", effect: "NoExecute" }] } };
  expect(strategicMergePatch("nodes", current, { spec: { taints: [{ key: "y", $patch: "delete" }, { key: "z", effect: "NoSchedule" }] } })).toEqual({
    spec: { taints: [{ key: "x", effect: "NoSchedule" }, { key: "z", effect: "NoSchedule" }] },
  });
});
