/** The whole ProxyState of one family from the cached Services and EndpointSlices: the full-sync oracle. */
import type { IPFamily } from "../lib/ip.ts";
import type { EndpointSlice } from "../kube/schemas/endpoint-slice.ts";
import type { Service } from "../kube/schemas/service.ts";
import { endpointsByPort, portKey } from "./endpoints.ts";
import { DEFAULT_NODE_FACTS, type NodeFacts, type ProxyState, type ServicePortState } from "./proxy-state.ts";
import { serviceKey, servicePortsOf } from "./service-ports.ts";

export interface ClusterView {
  services(): Iterable<Service>;
  slicesOf(serviceKey: string): Iterable<EndpointSlice>;
}

/** The ServicePorts of one Service in `family`, endpoints attached; [] when it is ignored. */
export function servicePortStates(svc: Service, slices: Iterable<EndpointSlice>, family: IPFamily): ServicePortState[] {
  const ports = servicePortsOf(svc, family);
  if (ports.length === 0) return [];
  const endpoints = endpointsByPort(slices, family);
  return ports.map((p) => ({ ...p, endpoints: endpoints.get(portKey(p.portName, p.protocol)) ?? [] }));
}

export function buildProxyState(view: ClusterView, family: IPFamily, node: NodeFacts = DEFAULT_NODE_FACTS): ProxyState {
  const servicePorts: ServicePortState[] = [];
  for (const svc of view.services()) {
    servicePorts.push(...servicePortStates(svc, view.slicesOf(serviceKey(svc.metadata.namespace, svc.metadata.name)), family));
  }
  servicePorts.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { family, node, servicePorts };
}
