/** The kinds the proxy reads, by resource name, with their schemas and API paths. */
import { EndpointSliceSchema } from "./endpoint-slice.ts";
import { NodeSchema } from "./node.ts";
import { ServiceSchema } from "./service.ts";

export const RESOURCES = {
  services: { schema: ServiceSchema, path: "/api/v1/services", kind: "Service" },
  endpointslices: { schema: EndpointSliceSchema, path: "/apis/discovery.k8s.io/v1/endpointslices", kind: "EndpointSlice" },
  nodes: { schema: NodeSchema, path: "/api/v1/nodes", kind: "Node" },
} as const;

export type ResourceName = keyof typeof RESOURCES;
export * from "./endpoint-slice.ts";
export * from "./node.ts";
export * from "./service.ts";
