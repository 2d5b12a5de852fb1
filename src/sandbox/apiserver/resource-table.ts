/**
 * The resources the sandbox serves, with what discovery and the routes need to know about each:
 * group, version, kind, scope. One table so discovery, routing and the store cannot disagree.
 */
import type { ResourceName } from "../../kube/schemas/index.ts";

/** Everything the sandbox knows about one served resource. */
export interface ResourceInfo {
  name: ResourceName;
  singular: string;
  kind: string;
  listKind: string;
  /** "" for the core group. */
  group: string;
  version: string;
  /** `v1` or `group/v1`, as written in objects' apiVersion. */
  apiVersion: string;
  namespaced: boolean;
  shortNames: string[];
}

/** The served resources, by resource name. */
export const SANDBOX_RESOURCES: Record<ResourceName, ResourceInfo> = {
  services: {
    name: "services", singular: "service", kind: "Service", listKind: "ServiceList",
    group: "", version: "v1", apiVersion: "v1", namespaced: true, shortNames: ["svc"],
  },
  endpointslices: {
    name: "endpointslices", singular: "endpointslice", kind: "EndpointSlice", listKind: "EndpointSliceList",
    group: "discovery.k8s.io", version: "v1", apiVersion: "discovery.k8s.io/v1", namespaced: true, shortNames: [],
  },
  nodes: {
    name: "nodes", singular: "node", kind: "Node", listKind: "NodeList",
    group: "", version: "v1", apiVersion: "v1", namespaced: false, shortNames: ["no"],
  },
};

/** The served resources of one group/version (`""`/`v1` is the core group). */
export function resourcesOf(group: string, version: string): ResourceInfo[] {
  return Object.values(SANDBOX_RESOURCES).filter((r) => r.group === group && r.version === version);
}

/** Looks a resource up by group, version and plural name; undefined when the sandbox does not serve it. */
export function findResource(group: string, version: string, name: string): ResourceInfo | undefined {
  return resourcesOf(group, version).find((r) => r.name === name);
}
