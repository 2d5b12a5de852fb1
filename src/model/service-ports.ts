/**
 * A Service's ServicePorts for one IP family: upstream's rule that headless and ExternalName
 * Services are ignored, and that a Service exists in a family only through a ClusterIP of it.
 */
import { parseIP, type IPFamily } from "../lib/ip.ts";
import type { Service } from "../kube/schemas/service.ts";
import type { ServicePortState } from "./proxy-state.ts";

/** A ServicePort before endpoints are attached. */
export type ServicePortInfo = Omit<ServicePortState, "endpoints">;

/** The `namespace/name` key of a Service or of the Service a slice belongs to. */
export const serviceKey = (namespace: string, name: string) => `${namespace}/${name}`;

/** The ClusterIP of `family`, from spec.clusterIPs (or the older single spec.clusterIP). */
export function clusterIPOf(svc: Service, family: IPFamily): string | null {
  const candidates = svc.spec.clusterIPs?.length ? svc.spec.clusterIPs : svc.spec.clusterIP ? [svc.spec.clusterIP] : [];
  for (const c of candidates) {
    const ip = parseIP(c);
    if (ip?.family === family) return ip.text;
  }
  return null;
}

/** The ServicePorts this proxy programs for `svc` in `family`; [] when it must be ignored. */
export function servicePortsOf(svc: Service, family: IPFamily): ServicePortInfo[] {
  if (svc.spec.type === "ExternalName") return [];
  const clusterIP = clusterIPOf(svc, family);
  if (!clusterIP) return [];
  const { namespace, name } = svc.metadata;
  return (svc.spec.ports ?? []).map((p) => ({
    id: `${serviceKey(namespace, name)}:${p.name ?? ""}/${p.protocol}`,
    namespace,
    name,
    portName: p.name ?? "",
    protocol: p.protocol,
    clusterIP,
    port: p.port,
  }));
}
