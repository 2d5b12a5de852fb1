/**
 * The most common ServicePort printed without building its elements: a ClusterIP-only port
 * (no NodePort, external or LoadBalancer IPs, source ranges or session affinity, internal
 * traffic policy Cluster) whose endpoints are all on other nodes, each address in canonical
 * form, no address and port twice. Its elements are the ones servicePortElements makes for it,
 * as text: the ClusterIP in cluster-ips, the dispatch element in service-ips to its cluster
 * group's chain, and one endpoint-map pick per endpoint. Any other port returns null and goes
 * through servicePortElements (print-full.ts); print-full.test.ts holds both paths' text equal.
 */
import { parseIPv4, parseIPv6, parsePort } from "../../lib/ip.ts";
import type { ServicePortState } from "../../model/proxy-state.ts";
import { CLUSTER_IPS_SET, L4_PROTO_OF, SERVICE_IPS_MAP, endpointMapName, groupChainName, servicePortComment, type GroupId } from "./names.ts";
import type { L4Proto } from "./objects.ts";
import type { RenderContext } from "./render-context.ts";
import { elementIdOf } from "./element-claims.ts";
import { listedElement, pickText, verdict } from "./script.ts";

/** One element as print-full.ts prints it: its identity (elementId's), container and text, and the endpoint picks that enter the table with it. */
export interface ElementRecord {
  id: string;
  container: string;
  text: string;
  picks: { map: string; texts: string[] }[];
}

/** A ServicePort's elements as records, its group, and its counts. */
export interface SimplePort {
  elements: ElementRecord[];
  group: GroupId;
  endpoints: number;
}

const none = (list: readonly unknown[] | null | undefined) => list === undefined || list === null || list.length === 0;

/** The cluster group's `goto` and endpoint map of K endpoints, per protocol: made once per K, not once per ServicePort. */
const NAMES: Record<L4Proto, { goto: string; map: string }[]> = { tcp: [], udp: [], sctp: [] };
function namesOf(proto: L4Proto, k: number): { goto: string; map: string } {
  return (NAMES[proto][k] ??= { goto: verdict({ verdict: "goto", chain: groupChainName({ kind: "cluster", proto, k }) }), map: endpointMapName({ nodeport: false, local: false, proto, k }) });
}

/** `sp` printed as records, or null when it is not of the simple kind (see above). */
export function simplePort(sp: ServicePortState, ctx: RenderContext): SimplePort | null {
  const proto = L4_PROTO_OF[sp.protocol];
  if (!proto || (sp.nodePort !== undefined && sp.nodePort !== null) || sp.affinityTimeoutSeconds != null || sp.internalTrafficPolicy === "Local") return null;
  if (!none(sp.externalIPs) || !none(sp.loadBalancerIPs) || !none(sp.loadBalancerSourceRanges) || !none(sp.localEndpoints)) return null;
  const eps = sp.endpoints;
  if (eps.length === 0 || sp.hasEndpoints === false) return null;
  const parse = ctx.family === "ip" ? parseIPv4 : parseIPv6;
  const clusterIP = parse(sp.clusterIP)?.text;
  const port = parsePort(sp.port);
  if (!clusterIP || port === null) return null;
  const seen = new Set<string>();
  for (const ep of eps) {
    // Remote, canonical, each address once (a second port of one address is left to the full path).
    if (ep.local !== false || parse(ep.ip)?.text !== ep.ip || parsePort(ep.port) === null || seen.has(ep.ip)) return null;
    seen.add(ep.ip);
  }
  const group: GroupId = { kind: "cluster", proto, k: eps.length };
  const names = namesOf(proto, eps.length);
  const comment = servicePortComment(sp);
  // What servicePortElements makes for such a port: the ClusterIP in cluster-ips, the dispatch
  // element to the group's chain, and its endpoint run (key ClusterIP . port, then the pick).
  const texts: string[] = [];
  const runKey = `${clusterIP} . ${port}`;
  for (let j = 0; j < eps.length; j++) texts.push(pickText(runKey, j, eps[j]!.ip, eps[j]!.port));
  return {
    elements: [
      { id: elementIdOf(CLUSTER_IPS_SET, clusterIP), container: CLUSTER_IPS_SET, text: listedElement(clusterIP), picks: [] },
      {
        id: elementIdOf(SERVICE_IPS_MAP, clusterIP, proto, port),
        container: SERVICE_IPS_MAP,
        text: listedElement(`${clusterIP} . ${proto} . ${port}`, comment, names.goto),
        picks: [{ map: names.map, texts }],
      },
    ],
    group,
    endpoints: eps.length,
  };
}
