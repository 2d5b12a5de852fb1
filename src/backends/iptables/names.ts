/**
 * Every iptables object name kube-proxy owns, upstream's spelling. Per-service chains are
 * `KUBE-SVC-` (and friends) + 16 base32 characters of SHA-256 of the ServicePort's identity, as
 * upstream hashes it, so an existing node's chains are taken over under the same names.
 * Longest name: `KUBE-SVC-` (9) + 16 = 25 characters, within the kernel's 28.
 */
import { base32Sha256 } from "../../lib/hash.ts";
import type { Protocol } from "../../kube/schemas/service.ts";

export const KUBE_SERVICES = "KUBE-SERVICES";
export const KUBE_EXTERNAL_SERVICES = "KUBE-EXTERNAL-SERVICES";
export const KUBE_NODEPORTS = "KUBE-NODEPORTS";
export const KUBE_POSTROUTING = "KUBE-POSTROUTING";
export const KUBE_MARK_MASQ = "KUBE-MARK-MASQ";
export const KUBE_FORWARD = "KUBE-FORWARD";
export const KUBE_PROXY_FIREWALL = "KUBE-PROXY-FIREWALL";
export const KUBE_PROXY_CANARY = "KUBE-PROXY-CANARY";
/** kubelet's chain (shared): kube-proxy ensures its localnet rule but never deletes it. */
export const KUBE_FIREWALL = "KUBE-FIREWALL";

/** Prefixes of the chains made per ServicePort or endpoint; any chain with one of them is ours to delete when unused. */
export const PER_SERVICE_PREFIXES = ["KUBE-SVC-", "KUBE-SVL-", "KUBE-EXT-", "KUBE-FW-", "KUBE-SEP-"] as const;

export const isPerServiceChain = (name: string) => PER_SERVICE_PREFIXES.some((p) => name.startsWith(p));

export interface ServicePortIdentity {
  namespace: string;
  name: string;
  portName: string;
  protocol: Protocol;
}

/** Upstream's ServicePortName text: `ns/name:port`, or `ns/name` for an unnamed port. */
export function servicePortName(sp: ServicePortIdentity): string {
  return `${sp.namespace}/${sp.name}${sp.portName ? `:${sp.portName}` : ""}`;
}

const hashOf = (sp: ServicePortIdentity) => base32Sha256(servicePortName(sp) + sp.protocol.toLowerCase(), 16);

export const serviceChain = (sp: ServicePortIdentity) => `KUBE-SVC-${hashOf(sp)}`;
export const localServiceChain = (sp: ServicePortIdentity) => `KUBE-SVL-${hashOf(sp)}`;
export const externalChain = (sp: ServicePortIdentity) => `KUBE-EXT-${hashOf(sp)}`;
export const firewallChain = (sp: ServicePortIdentity) => `KUBE-FW-${hashOf(sp)}`;

/** `KUBE-SEP-…` for one endpoint (`ip:port`, IPv6 as `[ip]:port`) of a ServicePort. */
export function endpointChain(sp: ServicePortIdentity, ep: { ip: string; port: number }): string {
  const text = ep.ip.includes(":") ? `[${ep.ip}]:${ep.port}` : `${ep.ip}:${ep.port}`;
  return `KUBE-SEP-${base32Sha256(servicePortName(sp) + sp.protocol.toLowerCase() + text, 16)}`;
}
