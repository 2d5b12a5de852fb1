/**
 * Builders of the API objects the demo and the tests create in the sandbox: a Node, a ClusterIP
 * Service with TCP and UDP ports, a Service of any type (dual-stack, NodePorts, external and
 * load-balancer IPs), and the EndpointSlice that lists its pods. Shaped as the real controllers
 * write them.
 */
import type { KubeObject } from "./apiserver/store.ts";

export interface PodEndpoint {
  name: string;
  ip: string;
  nodeName?: string;
  ready?: boolean;
}

export interface ServicePortSpec {
  name: string;
  protocol: "TCP" | "UDP" | "SCTP";
  port: number;
  targetPort: number;
}

/** A Node with InternalIP `ip` (and `moreIPs`, e.g. its IPv6 address on a dual-stack node). */
export function nodeObject(name: string, ip: string, ...moreIPs: string[]): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, labels: { "kubernetes.io/hostname": name } },
    spec: {},
    status: { addresses: [...[ip, ...moreIPs].map((address) => ({ type: "InternalIP", address })), { type: "Hostname", address: name }] },
  };
}

export function clusterIPService(namespace: string, name: string, clusterIP: string, ports: ServicePortSpec[]): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { namespace, name },
    spec: {
      type: "ClusterIP",
      clusterIP,
      clusterIPs: [clusterIP],
      ipFamilies: [clusterIP.includes(":") ? "IPv6" : "IPv4"],
      selector: { app: name },
      ports: ports.map((p) => ({ name: p.name, protocol: p.protocol, port: p.port, targetPort: p.targetPort })),
    },
  };
}

/** A ServicePort with the NodePort the API server would have allocated. */
export interface ServicePortWithNodePort extends ServicePortSpec {
  nodePort?: number;
}

/** Everything a Service of any type (but ExternalName) may carry, for `serviceObject`. */
export interface ServiceOptions {
  type?: "ClusterIP" | "NodePort" | "LoadBalancer";
  /** One per family, primary first (dual-stack when two). */
  clusterIPs: string[];
  ports: ServicePortWithNodePort[];
  externalIPs?: string[];
  /** What a cloud controller writes into status.loadBalancer.ingress. */
  loadBalancerIngress?: string[];
  loadBalancerSourceRanges?: string[];
  externalTrafficPolicy?: "Cluster" | "Local";
}

/** A Service as the API server stores it after allocation (ClusterIPs and NodePorts filled in). */
export function serviceObject(namespace: string, name: string, o: ServiceOptions): KubeObject {
  const type = o.type ?? "ClusterIP";
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { namespace, name },
    spec: {
      type,
      clusterIP: o.clusterIPs[0],
      clusterIPs: o.clusterIPs,
      ipFamilies: o.clusterIPs.map((ip) => (ip.includes(":") ? "IPv6" : "IPv4")),
      ipFamilyPolicy: o.clusterIPs.length > 1 ? "RequireDualStack" : "SingleStack",
      selector: { app: name },
      ports: o.ports.map((p) => ({ name: p.name, protocol: p.protocol, port: p.port, targetPort: p.targetPort, ...(p.nodePort ? { nodePort: p.nodePort } : {}) })),
      ...(o.externalIPs?.length ? { externalIPs: o.externalIPs } : {}),
      ...(o.loadBalancerSourceRanges?.length ? { loadBalancerSourceRanges: o.loadBalancerSourceRanges } : {}),
      ...(type !== "ClusterIP" ? { externalTrafficPolicy: o.externalTrafficPolicy ?? "Cluster" } : {}),
    },
    ...(o.loadBalancerIngress?.length ? { status: { loadBalancer: { ingress: o.loadBalancerIngress.map((ip) => ({ ip, ipMode: "VIP" })) } } } : {}),
  };
}

/** The slice the EndpointSlice controller would write for `service` (named `<service>-<suffix>`). */
export function endpointSlice(namespace: string, service: string, pods: PodEndpoint[], ports: ServicePortSpec[], suffix = "abcde"): KubeObject {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { namespace, name: `${service}-${suffix}`, labels: { "kubernetes.io/service-name": service, "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io" } },
    addressType: pods[0]?.ip.includes(":") ? "IPv6" : "IPv4",
    endpoints: pods.map((p) => ({
      addresses: [p.ip],
      conditions: { ready: p.ready ?? true, serving: p.ready ?? true, terminating: false },
      ...(p.nodeName ? { nodeName: p.nodeName } : {}),
      targetRef: { kind: "Pod", namespace, name: p.name },
    })),
    ports: ports.map((p) => ({ name: p.name, protocol: p.protocol, port: p.targetPort })),
  };
}
