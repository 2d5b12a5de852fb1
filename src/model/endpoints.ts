/**
 * The endpoints of a Service, per (port name, protocol), from its EndpointSlices, with what
 * endpoint choice needs: upstream's slice rules (only addresses[0]; ports without a number are
 * ignored; the family must match; duplicates across slices merge, a local copy winning),
 * conditions with upstream's defaults (ready and serving default true, terminating false),
 * locality (nodeName equals ours) and topology hints; ordered by "ip:port".
 */
import { parseIP, type IPFamily } from "../lib/ip.ts";
import type { EndpointSlice } from "../kube/schemas/endpoint-slice.ts";
import type { EndpointInfo } from "./categorize-endpoints.ts";
import type { EndpointTarget } from "./proxy-state.ts";

/** Key of a port inside a Service: `portName/protocol`. */
export const portKey = (portName: string, protocol: string) => `${portName}/${protocol}`;

/** The hints of an endpoint that has none (nearly all): one shared, frozen empty list instead of two new arrays per endpoint. */
const NO_HINTS: readonly string[] = Object.freeze([]);

/** An endpoint with its "ip:port" id, which orders and merges them. */
type Identified = { id: string; info: EndpointInfo };

const byId = (a: Identified, b: Identified) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * `list` sorted by id with duplicates merged: of the entries with one id, the first local one,
 * else the first (the sort is stable, so "first" is slice order).
 */
function mergedById(list: Identified[]): EndpointInfo[] {
  list.sort(byId);
  const out: EndpointInfo[] = [];
  for (let i = 0; i < list.length; i++) {
    const e = list[i]!;
    if (i > 0 && list[i - 1]!.id === e.id) {
      const kept = out[out.length - 1]!;
      if (!kept.local && e.info.local) out[out.length - 1] = e.info;
      continue;
    }
    out.push(e.info);
  }
  return out;
}

/**
 * Every endpoint of every port with its conditions; `nodeName` is this node's name (an endpoint
 * is local when its slice entry names it). Never throws.
 */
export function endpointInfosByPort(slices: Iterable<EndpointSlice>, family: IPFamily, nodeName = ""): Map<string, EndpointInfo[]> {
  // Per port, a plain list merged once at the end: a Map per port with a set() per endpoint was
  // the model's largest cost at 100k endpoints (bun run bench B1).
  const byPort = new Map<string, Identified[]>();
  for (const slice of slices) {
    if (slice.addressType !== family) continue;
    for (const port of slice.ports ?? []) {
      if (!port.port) continue;
      const key = portKey(port.name ?? "", port.protocol);
      let targets = byPort.get(key);
      if (!targets) byPort.set(key, (targets = []));
      for (const ep of slice.endpoints ?? []) {
        const ip = parseIP(ep.addresses[0]!);
        if (!ip || ip.family !== family) continue;
        const c = ep.conditions ?? {};
        const info: EndpointInfo = {
          ip: ip.text,
          port: port.port,
          ready: c.ready ?? true,
          serving: c.serving ?? true,
          terminating: c.terminating ?? false,
          local: nodeName !== "" && ep.nodeName === nodeName,
          zoneHints: ep.hints?.forZones?.length ? ep.hints.forZones.map((z) => z.name) : NO_HINTS,
          nodeHints: ep.hints?.forNodes?.length ? ep.hints.forNodes.map((n) => n.name) : NO_HINTS,
        };
        // Upstream merges duplicates across slices; the local copy wins (mergedById).
        targets.push({ id: `${info.ip}:${info.port}`, info });
      }
    }
  }
  const out = new Map<string, EndpointInfo[]>();
  // Upstream's "ip:port" order, by the ids already built for merging, instead of building
  // both texts again in every comparison (a full model build did that 500k times at 10k Services).
  for (const [key, targets] of byPort) out.set(key, mergedById(targets));
  return out;
}

/** The ready endpoints per port (the pre-categorization view; kept for callers that want only those). */
export function endpointsByPort(slices: Iterable<EndpointSlice>, family: IPFamily): Map<string, EndpointTarget[]> {
  const out = new Map<string, EndpointTarget[]>();
  for (const [key, infos] of endpointInfosByPort(slices, family)) out.set(key, infos.filter((e) => e.ready).map((e) => ({ ip: e.ip, port: e.port })));
  return out;
}
