/**
 * Which UDP conntrack flows are stale after a sync, as upstream's reconciler decides: a flow to a
 * UDP Service's address and port whose reply comes from an address that is no longer one of the
 * Service's endpoints (the endpoint went away), or that was never translated at all (cached while
 * the Service had no rules). UDP has no connection end, so such a flow would keep sending new
 * packets to a dead endpoint until its timeout. TCP and SCTP flows are never touched.
 */
import type { ProxyState } from "../model/proxy-state.ts";
import type { Flow } from "./flow.ts";

/** One `conntrack -D` call: UDP flows to `dst`:`dport` answered by `replySrc`. */
export interface StaleFlowFilter {
  dst: string;
  dport: number;
  replySrc: string;
}

export function staleUdpFlows(state: ProxyState, flows: readonly Flow[]): StaleFlowFilter[] {
  const endpointsOf = new Map<string, Set<string>>();
  for (const sp of state.servicePorts) {
    if (sp.protocol !== "UDP") continue;
    endpointsOf.set(`${sp.clusterIP}|${sp.port}`, new Set(sp.endpoints.map((e) => e.ip)));
  }
  const out = new Map<string, StaleFlowFilter>();
  for (const f of flows) {
    if (f.proto !== "udp") continue;
    const endpoints = endpointsOf.get(`${f.original.dst}|${f.original.dport}`);
    if (!endpoints || endpoints.has(f.reply.src)) continue;
    // Not translated and still no endpoint to translate to: nothing better can happen to it.
    if (f.reply.src === f.original.dst && endpoints.size === 0) continue;
    const filter = { dst: f.original.dst, dport: f.original.dport, replySrc: f.reply.src };
    out.set(`${filter.dst}|${filter.dport}|${filter.replySrc}`, filter);
  }
  return [...out.values()];
}
