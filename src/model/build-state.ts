/** The whole ProxyState of one family from the cached Services and EndpointSlices: the full-sync oracle. */
import type { IPFamily } from "../lib/ip.ts";
import type { EndpointSlice } from "../kube/schemas/endpoint-slice.ts";
import type { Service } from "../kube/schemas/service.ts";
import { categorizeEndpoints, type EndpointInfo } from "./categorize-endpoints.ts";
import { endpointInfosByPort, portKey } from "./endpoints.ts";
import { DEFAULT_NODE_FACTS, externallyAccessible, type EndpointTarget, type NodeFacts, type ProxyState, type ServicePortState } from "./proxy-state.ts";
import { serviceKey, servicePortsOf, type ServicePortInfo } from "./service-ports.ts";

export interface ClusterView {
  services(): Iterable<Service>;
  slicesOf(serviceKey: string): Iterable<EndpointSlice>;
}

/** Who and where this node is, for endpoint locality and topology hints. */
export interface NodeTopology {
  /** This node's name (`--hostname-override`); "" means no endpoint is local. */
  nodeName: string;
  /** The Node's `topology.kubernetes.io/zone` label, or "". */
  zone: string;
  /** Feature gate PreferSameTrafficDistribution (node hints); on unless switched off. */
  preferSameNode?: boolean;
}

export const NO_TOPOLOGY: NodeTopology = { nodeName: "", zone: "" };

/** The Node label that names its zone (topology hints). */
export const ZONE_LABEL = "topology.kubernetes.io/zone";

/** The API default of sessionAffinityConfig.clientIP.timeoutSeconds. */
export const DEFAULT_AFFINITY_TIMEOUT_SECONDS = 10800;

const target = (e: EndpointInfo): EndpointTarget => ({ ip: e.ip, port: e.port, local: e.local });

/** Attaches categorized endpoints and the Service's policies to one ServicePort (upstream.md section 1.1). */
export function withEndpoints(svc: Service, p: ServicePortInfo, infos: readonly EndpointInfo[], topo: NodeTopology): ServicePortState {
  const internalTrafficPolicy = svc.spec.internalTrafficPolicy ?? "Cluster";
  const externalTrafficPolicy = p.externalTrafficPolicy ?? "Cluster";
  const external = externallyAccessible(p);
  const c = categorizeEndpoints({
    endpoints: infos,
    internalTrafficPolicyLocal: internalTrafficPolicy === "Local",
    externalTrafficPolicyLocal: externalTrafficPolicy === "Local",
    externallyAccessible: external,
    nodeName: topo.nodeName,
    zone: topo.zone,
    preferSameNode: topo.preferSameNode ?? true,
  });
  const affinity = svc.spec.sessionAffinity === "ClientIP" ? (svc.spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_TIMEOUT_SECONDS) : null;
  const hcnp = svc.spec.type === "LoadBalancer" && externalTrafficPolicy === "Local" && svc.spec.healthCheckNodePort ? svc.spec.healthCheckNodePort : null;
  // Upstream's conntrack cleanup keeps flows answered by any serving endpoint, whatever was
  // chosen; health checks count distinct local IPs that are ready (terminating ones do not).
  const servingIPs = new Set<string>();
  const localReadyIPs = new Set<string>();
  for (const e of infos) {
    if (e.serving) servingIPs.add(e.ip);
    if (e.local && e.ready) localReadyIPs.add(e.ip);
  }
  const serving = [...servingIPs].sort();
  const localReady = localReadyIPs.size;
  return {
    ...p,
    endpoints: c.cluster.map(target),
    localEndpoints: c.local.map(target),
    hasEndpoints: c.hasAnyEndpoints,
    internalTrafficPolicy,
    externalTrafficPolicy,
    affinityTimeoutSeconds: affinity,
    healthCheckNodePort: hcnp,
    servingEndpointIPs: serving,
    localReadyEndpoints: localReady,
  };
}

/** The ServicePorts of one Service in `family`, endpoints attached; [] when it is ignored. */
export function servicePortStates(svc: Service, slices: Iterable<EndpointSlice>, family: IPFamily, topo: NodeTopology = NO_TOPOLOGY): ServicePortState[] {
  const ports = servicePortsOf(svc, family);
  if (ports.length === 0) return [];
  const endpoints = endpointInfosByPort(slices, family, topo.nodeName);
  return ports.map((p) => withEndpoints(svc, p, endpoints.get(portKey(p.portName, p.protocol)) ?? [], topo));
}

export function buildProxyState(view: ClusterView, family: IPFamily, node: NodeFacts = DEFAULT_NODE_FACTS, topo: NodeTopology = NO_TOPOLOGY): ProxyState {
  const servicePorts: ServicePortState[] = [];
  for (const svc of view.services()) {
    servicePorts.push(...servicePortStates(svc, view.slicesOf(serviceKey(svc.metadata.namespace, svc.metadata.name)), family, topo));
  }
  servicePorts.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { family, node, servicePorts };
}
