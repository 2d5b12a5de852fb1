/**
 * Which UDP conntrack flows are stale after a sync, as upstream's reconciler decides (upstream.md
 * row 35): a flow to a UDP Service's address and port (ClusterIP, external IP, load-balancer IP)
 * or to its NodePort (by original destination port) whose reply comes from an address that is
 * not one of the Service's serving endpoints (the endpoint went away, whatever the policies
 * chose), or that was never translated at all (cached while the Service had no rules). UDP has
 * no connection end, so such a flow would keep sending new packets to a dead endpoint until its
 * timeout. TCP and SCTP flows are never touched.
 */
import { servingIPsOf, type ProxyState } from "../model/proxy-state.ts";
import type { Flow } from "./flow.ts";

/** One `conntrack -D` call: UDP flows to `dst`:`dport` (any destination for a NodePort) answered by `replySrc`. */
export interface StaleFlowFilter {
  /** null: a NodePort, matched on the original destination port alone. */
  dst: string | null;
  dport: number;
  replySrc: string;
  /** The `namespace/name` of the Service the flow was for. */
  service: string;
}

export function staleUdpFlows(state: ProxyState, flows: readonly Flow[]): StaleFlowFilter[] {
  const byAddress = new Map<string, { serving: Set<string>; service: string }>();
  const byNodePort = new Map<number, { serving: Set<string>; service: string }>();
  for (const sp of state.servicePorts) {
    if (sp.protocol !== "UDP") continue;
    const entry = { serving: new Set(servingIPsOf(sp)), service: `${sp.namespace}/${sp.name}` };
    for (const a of [sp.clusterIP, ...(sp.externalIPs ?? []), ...(sp.loadBalancerIPs ?? [])]) byAddress.set(`${a}|${sp.port}`, entry);
    if (sp.nodePort) byNodePort.set(sp.nodePort, entry);
  }
  const out = new Map<string, StaleFlowFilter>();
  for (const f of flows) {
    if (f.proto !== "udp") continue;
    const viaAddress = byAddress.get(`${f.original.dst}|${f.original.dport}`);
    const entry = viaAddress ?? byNodePort.get(f.original.dport);
    if (!entry || entry.serving.has(f.reply.src)) continue;
    // Not translated and still no endpoint to translate to: nothing better can happen to it.
    if (f.reply.src === f.original.dst && entry.serving.size === 0) continue;
    const filter: StaleFlowFilter = { dst: viaAddress ? f.original.dst : null, dport: f.original.dport, replySrc: f.reply.src, service: entry.service };
    out.set(`${filter.dst}|${filter.dport}|${filter.replySrc}`, filter);
  }
  return [...out.values()];
}
