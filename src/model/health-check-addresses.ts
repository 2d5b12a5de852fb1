/**
 * Where the health-check node-port servers listen (upstream.md row 9 and 17): on the addresses
 * that accept NodePorts, i.e. this host's addresses inside the resolved --nodeport-addresses of
 * each family, or everywhere ("::", which also takes IPv4) when a family accepts NodePorts on
 * every local address. Pure: the host's addresses are handed in.
 */
import { parseIP } from "../lib/ip.ts";
import { parseCIDR } from "../lib/cidr.ts";
import type { NodeFacts } from "./proxy-state.ts";

function inside(cidr: string, ip: string): boolean {
  const c = parseCIDR(cidr);
  return c !== null && parseCIDR(`${ip}/${c.prefixLength}`)?.text === c.text;
}

/** The addresses to bind, sorted and unique; `hostAddresses` are the host's own (any text; unparsable ones are ignored). */
export function healthCheckAddresses(facts: readonly NodeFacts[], hostAddresses: readonly string[]): string[] {
  if (facts.some((f) => f.nodePorts.matchAll)) return ["::"];
  const out = new Set<string>();
  for (const raw of hostAddresses) {
    const ip = parseIP(raw);
    if (!ip) continue;
    if (facts.some((f) => f.nodePorts.cidrs.some((c) => inside(c, ip.text)))) out.add(ip.text);
  }
  return [...out].sort();
}
