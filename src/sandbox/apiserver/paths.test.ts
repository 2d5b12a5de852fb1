import { expect, test } from "bun:test";
import { parseResourcePath } from "./paths.ts";

const rows: [string, { r: string; ns?: string; name?: string } | undefined][] = [
  ["/api/v1/services", { r: "services" }],
  ["/api/v1/namespaces/default/services", { r: "services", ns: "default" }],
  ["/api/v1/namespaces/default/services/web", { r: "services", ns: "default", name: "web" }],
  ["/apis/discovery.k8s.io/v1/endpointslices", { r: "endpointslices" }],
  ["/apis/discovery.k8s.io/v1/namespaces/kube-system/endpointslices/x-1", { r: "endpointslices", ns: "kube-system", name: "x-1" }],
  ["/api/v1/nodes/node-a", { r: "nodes", name: "node-a" }],
  ["/api/v1/namespaces/default/nodes", undefined],
  ["/api/v1/pods", undefined],
  ["/apis/discovery.k8s.io/v1beta1/endpointslices", undefined],
  ["/api/v1/namespaces/default/services/web/status", undefined],
];

for (const [path, want] of rows) {
  test(path, () => {
    const got = parseResourcePath(path);
    const shape = got ? { r: got.info.name as string, ...(got.namespace ? { ns: got.namespace } : {}), ...(got.name ? { name: got.name } : {}) } : undefined;
    expect(shape).toEqual(want);
  });
}
