/**
 * Builders of the API objects the demo and the tests create in the sandbox: a Node, a ClusterIP
 * Service with TCP and UDP ports, and the EndpointSlice that lists its pods. Shaped as the real
 * controllers write them.
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

export function nodeObject(name: string, ip: string): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, labels: { "kubernetes.io/hostname": name } },
    spec: {},
    status: { addresses: [{ type: "InternalIP", address: ip }, { type: "Hostname", address: name }] },
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
