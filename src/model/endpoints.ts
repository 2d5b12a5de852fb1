/**
 * The usable endpoints of a Service, per (port name, protocol), from its EndpointSlices:
 * upstream's slice rules (only addresses[0]; ports without a number are ignored; the family must
 * match; ready defaults to true; duplicates across slices merge), ordered by "ip:port".
 */
import { parseIP, type IPFamily } from "../lib/ip.ts";
import type { EndpointSlice } from "../kube/schemas/endpoint-slice.ts";
import type { EndpointTarget } from "./proxy-state.ts";

/** Key of a port inside a Service: `portName/protocol`. */
export const portKey = (portName: string, protocol: string) => `${portName}/${protocol}`;

export function endpointsByPort(slices: Iterable<EndpointSlice>, family: IPFamily): Map<string, EndpointTarget[]> {
  const byPort = new Map<string, Map<string, EndpointTarget>>();
  for (const slice of slices) {
    if (slice.addressType !== family) continue;
    for (const port of slice.ports ?? []) {
      if (!port.port) continue;
      const key = portKey(port.name ?? "", port.protocol);
      let targets = byPort.get(key);
      if (!targets) byPort.set(key, (targets = new Map()));
      for (const ep of slice.endpoints ?? []) {
        if (ep.conditions.ready === false) continue;
        const ip = parseIP(ep.addresses[0]!);
        if (!ip || ip.family !== family) continue;
        targets.set(`${ip.text}:${port.port}`, { ip: ip.text, port: port.port });
      }
    }
  }
  const out = new Map<string, EndpointTarget[]>();
  for (const [key, targets] of byPort) {
    out.set(key, [...targets.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, t]) => t));
  }
  return out;
}
