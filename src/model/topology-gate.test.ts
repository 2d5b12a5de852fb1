import { expect, test } from "bun:test";
import type { EndpointSlice } from "../kube/schemas/endpoint-slice.ts";
import type { Service } from "../kube/schemas/service.ts";
import { servicePortStates } from "./build-state.ts";

const svc = { metadata: { name: "web", namespace: "d" }, spec: { type: "ClusterIP", clusterIP: "10.96.0.10", sessionAffinity: "None", ports: [{ name: "", port: 80, protocol: "TCP" }] } } as Service;
const slice = {
  metadata: { name: "web-1", namespace: "d", labels: { "kubernetes.io/service-name": "web" } },
  addressType: "IPv4",
  endpoints: [
    { addresses: ["10.244.1.10"], conditions: {}, nodeName: "node-a", hints: { forNodes: [{ name: "node-a" }], forZones: [{ name: "z1" }] } },
    { addresses: ["10.244.2.10"], conditions: {}, nodeName: "node-b", hints: { forNodes: [{ name: "node-b" }], forZones: [{ name: "z1" }] } },
  ],
  ports: [{ name: "", port: 8080, protocol: "TCP" }],
} as EndpointSlice;

test.each([
  [true, ["10.244.1.10"]],
  [false, ["10.244.1.10", "10.244.2.10"]],
])("PreferSameTrafficDistribution %p: node hints narrow the cluster set only when on", (gate, want) => {
  const [sp] = servicePortStates(svc, [slice], "IPv4", { nodeName: "node-a", zone: "z1", preferSameNode: gate });
  expect(sp!.endpoints.map((e) => e.ip)).toEqual(want);
});
