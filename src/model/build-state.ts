/** The whole ProxyState of one family from the cached Services and EndpointSlices: the full-sync oracle. */
import type { IPFamily } from "../lib/ip.ts";
import type { EndpointSlice } from "../kube/schemas/endpoint-slice.ts";
import type { Service } from "../kube/schemas/service.ts";
import { endpointsByPort, portKey } from "./endpoints.ts";
import type { ProxyState, ServicePortState } from "./proxy-state.ts";
import { serviceKey, servicePortsOf } from "./service-ports.ts";

export interface ClusterView {
  services(): Iterable<Service>;
  slicesOf(serviceKey: string): Iterable<EndpointSlice>;
}

export function buildProxyState(view: ClusterView, family: IPFamily): ProxyState {
  const servicePorts: ServicePortState[] = [];
  for (const svc of view.services()) {
    const ports = servicePortsOf(svc, family);
    if (ports.length === 0) continue;
    const endpoints = endpointsByPort(view.slicesOf(serviceKey(svc.metadata.namespace, svc.metadata.name)), family);
    for (const p of ports) servicePorts.push({ ...p, endpoints: endpoints.get(portKey(p.portName, p.protocol)) ?? [] });
  }
  servicePorts.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { family, servicePorts };
}
