/**
 * A Service's ServicePorts for one IP family: upstream's rules that headless, ExternalName and
 * other proxies' Services are ignored, that a Service exists in a family only through a
 * ClusterIP of it, and that external addresses, load-balancer IPs and source ranges are
 * filtered to the family. Every address is parsed and re-printed; what does not parse is left out.
 */
import { parseCIDR } from "../lib/cidr.ts";
import { parseIP, type IPFamily } from "../lib/ip.ts";
import type { Service } from "../kube/schemas/service.ts";
import type { ServicePortState } from "./proxy-state.ts";

/** A ServicePort before endpoints are attached. */
export type ServicePortInfo = Omit<ServicePortState, "endpoints">;

/** Services (and slices) carrying this label, with any value, belong to another service proxy. */
export const SERVICE_PROXY_NAME_LABEL = "service.kubernetes.io/service-proxy-name";

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

const sortedUnique = (xs: Iterable<string>) => [...new Set(xs)].sort();

function addressesOf(raw: readonly (string | undefined)[], family: IPFamily): string[] {
  const out: string[] = [];
  for (const s of raw) {
    const ip = typeof s === "string" ? parseIP(s) : null;
    if (ip?.family === family) out.push(ip.text);
  }
  return sortedUnique(out);
}

/** LoadBalancer ingress IPs of `family`; `ipMode: Proxy` and hostname-only entries get no rule. */
export function loadBalancerIPsOf(svc: Service, family: IPFamily): string[] {
  const ingress = svc.status?.loadBalancer?.ingress ?? [];
  return addressesOf(ingress.filter((i) => i.ipMode !== "Proxy").map((i) => i.ip), family);
}

/** loadBalancerSourceRanges of `family`: whitespace-trimmed, canonical; unparsable ones are left out. */
export function sourceRangesOf(svc: Service, family: IPFamily): string[] {
  const out: string[] = [];
  for (const s of svc.spec.loadBalancerSourceRanges ?? []) {
    const c = typeof s === "string" ? parseCIDR(s.trim()) : null;
    if (c?.family === family) out.push(c.text);
  }
  return sortedUnique(out);
}

/** The ServicePorts this proxy programs for `svc` in `family`; [] when it must be ignored. */
export function servicePortsOf(svc: Service, family: IPFamily): ServicePortInfo[] {
  if (svc.spec.type === "ExternalName") return [];
  if (svc.metadata.labels?.[SERVICE_PROXY_NAME_LABEL] !== undefined) return [];
  const clusterIP = clusterIPOf(svc, family);
  if (!clusterIP) return [];
  const { namespace, name } = svc.metadata;
  const externalIPs = addressesOf(svc.spec.externalIPs ?? [], family);
  const loadBalancerIPs = loadBalancerIPsOf(svc, family);
  const loadBalancerSourceRanges = sourceRangesOf(svc, family);
  const externalTrafficPolicy = svc.spec.externalTrafficPolicy ?? "Cluster";
  return (svc.spec.ports ?? []).map((p) => ({
    id: `${serviceKey(namespace, name)}:${p.name ?? ""}/${p.protocol}`,
    namespace,
    name,
    portName: p.name ?? "",
    protocol: p.protocol,
    clusterIP,
    port: p.port,
    nodePort: p.nodePort ? p.nodePort : null,
    externalIPs,
    loadBalancerIPs,
    loadBalancerSourceRanges,
    externalTrafficPolicy,
  }));
}
