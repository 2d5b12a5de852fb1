/**
 * ClusterIP traffic of one ServicePort. With endpoints: an element in `service-ips` sends
 * `clusterIP . proto . port` to the service chain, which picks an endpoint chain uniformly at
 * random; each endpoint chain marks hairpin traffic for masquerade and DNATs. Without endpoints:
 * an element in `no-endpoint-services` rejects new connections, and no chain is created.
 * Addresses, ports and protocols are parsed and printed again; nothing from the model is copied
 * into the script as it came.
 */
import { parseIPv4, parseIPv6, parsePort, type IP } from "../../lib/ip.ts";
import type { ServicePortState } from "../../model/proxy-state.ts";
import type { KeyPart, L4Proto, NftFamily } from "./objects.ts";
import type { RenderContext } from "./render-context.ts";
import type { Transaction } from "./transaction.ts";
import {
  L4_PROTO_OF,
  MARK_FOR_MASQUERADE_CHAIN,
  NO_ENDPOINT_SERVICES_MAP,
  REJECT_CHAIN,
  SERVICE_IPS_MAP,
  endpointChainName,
  serviceChainName,
  servicePortComment,
} from "./names.ts";

/** Something the renderer left out, and why (logged by the backend). */
export interface SkippedItem {
  servicePort: string;
  reason: string;
}

/** What rendering one ServicePort produced. */
export interface ClusterIPRenderResult {
  /** The canonical ClusterIP to put in `cluster-ips`, or null when the ServicePort was skipped. */
  clusterIP: string | null;
  /** Endpoint chains written. */
  endpoints: number;
  skipped: SkippedItem[];
}

function parseFor(family: NftFamily, s: string): IP | null {
  return family === "ip" ? parseIPv4(s) : parseIPv6(s);
}

/**
 * Adds the objects of one ServicePort's ClusterIP to `tx`. Never throws; bad model values are
 * skipped and reported. `claimed` holds the `ip proto port` keys already rendered in this
 * transaction: a second ServicePort with the same key is skipped, since a map key has one verdict.
 */
export function renderClusterIP(
  tx: Transaction,
  sp: ServicePortState,
  ctx: RenderContext,
  claimed: Set<string> = new Set(),
): ClusterIPRenderResult {
  const skipped: SkippedItem[] = [];
  const skip = (reason: string): ClusterIPRenderResult => ({ clusterIP: null, endpoints: 0, skipped: [{ servicePort: sp.id, reason }] });

  const proto: L4Proto | undefined = L4_PROTO_OF[sp.protocol];
  if (!proto) return skip(`unknown protocol ${JSON.stringify(sp.protocol)}`);
  const clusterIP = parseFor(ctx.family, sp.clusterIP);
  if (!clusterIP) return skip(`ClusterIP ${JSON.stringify(sp.clusterIP)} is not an address of family ${ctx.family}`);
  const port = parsePort(sp.port);
  if (port === null) return skip(`invalid port ${JSON.stringify(sp.port)}`);
  const claim = `${clusterIP.text} ${proto} ${port}`;
  if (claimed.has(claim)) return skip(`${claim} is already used by another ServicePort`);
  claimed.add(claim);

  // Parsed, deduplicated endpoints, in the model's order (upstream sorts by "ip:port").
  const endpoints = new Map<string, { ip: string; port: number }>();
  for (const ep of sp.endpoints) {
    const ip = parseFor(ctx.family, ep.ip);
    const epPort = parsePort(ep.port);
    if (!ip || epPort === null) {
      skipped.push({ servicePort: sp.id, reason: `endpoint ${JSON.stringify(`${ep.ip}:${ep.port}`)} is not valid for family ${ctx.family}` });
      continue;
    }
    const chain = endpointChainName(sp, { ip: ip.text, port: epPort });
    if (!endpoints.has(chain)) endpoints.set(chain, { ip: ip.text, port: epPort });
  }

  const key: KeyPart[] = [
    { type: "addr", addr: clusterIP.text },
    { type: "inet_proto", proto },
    { type: "inet_service", port },
  ];

  if (endpoints.size === 0) {
    // Upstream: a service with no usable endpoints anywhere rejects (ICMP port unreachable).
    tx.add({
      kind: "element",
      container: NO_ENDPOINT_SERVICES_MAP,
      key,
      value: { verdict: "goto", chain: REJECT_CHAIN },
      comment: servicePortComment(sp),
    });
    return { clusterIP: clusterIP.text, endpoints: 0, skipped };
  }

  for (const [chain, ep] of endpoints) {
    tx.add({ kind: "chain", name: chain });
    // Hairpin: a pod reaching itself through its Service must be masqueraded, or its reply
    // would bypass conntrack's reverse NAT.
    tx.add({
      kind: "rule",
      chain,
      fragments: [
        { match: "addr", field: "saddr", addr: ep.ip },
        { stmt: "verdict", verdict: { verdict: "jump", chain: MARK_FOR_MASQUERADE_CHAIN } },
      ],
    });
    tx.add({ kind: "rule", chain, fragments: [{ match: "l4proto", proto }, { stmt: "dnat", addr: ep.ip, port: ep.port }] });
  }

  const serviceChain = serviceChainName(sp);
  tx.add({ kind: "chain", name: serviceChain });
  tx.add({
    kind: "rule",
    chain: serviceChain,
    fragments: [{ stmt: "numgen-vmap", targets: [...endpoints.keys()].map((chain) => ({ verdict: "goto" as const, chain })) }],
  });
  tx.add({ kind: "element", container: SERVICE_IPS_MAP, key, value: { verdict: "goto", chain: serviceChain } });
  return { clusterIP: clusterIP.text, endpoints: endpoints.size, skipped };
}
