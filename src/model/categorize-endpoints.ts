/**
 * Which endpoints a ServicePort's traffic may use (upstream.md section 1.1 and rows 5-7, 21-22):
 * the cluster set (ready endpoints, narrowed by topology hints when every ready endpoint is
 * hinted and one hint is for this node or zone; else serving-and-terminating ones, without
 * topology), the local set (local ready, else local serving-and-terminating), their union, and
 * whether the Service has any usable endpoint anywhere (reject when not; drop when only the
 * chosen set is empty). Pure.
 */

/** One endpoint of a ServicePort with its conditions, as read from EndpointSlices. */
export interface EndpointInfo {
  ip: string;
  port: number;
  /** Conditions with upstream's defaults already applied (ready and serving default true, terminating false). */
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  /** On this node (slice endpoint's nodeName equals ours). */
  local: boolean;
  /** hints.forZones names and hints.forNodes names; empty when not hinted. */
  zoneHints: readonly string[];
  nodeHints: readonly string[];
}

export interface CategorizeInput {
  endpoints: readonly EndpointInfo[];
  internalTrafficPolicyLocal: boolean;
  externalTrafficPolicyLocal: boolean;
  /** NodePort, external IPs or load-balancer IPs: reachable from outside the cluster. */
  externallyAccessible: boolean;
  nodeName: string;
  /** This node's `topology.kubernetes.io/zone` label, or "". */
  zone: string;
  /** Feature gate PreferSameTrafficDistribution (node hints). */
  preferSameNode?: boolean;
}

export interface Categorized {
  cluster: EndpointInfo[];
  local: EndpointInfo[];
  allReachable: EndpointInfo[];
  hasAnyEndpoints: boolean;
  /** Local set is made of serving-and-terminating endpoints (none local was ready). */
  localUsesTerminating: boolean;
}

type TopologyMode = "" | "PreferSameNode" | "PreferSameZone";

/** Hints count only when every ready endpoint carries them and one of them names us. */
function topologyMode(endpoints: readonly EndpointInfo[], nodeName: string, zone: string, preferSameNode: boolean): TopologyMode {
  let allNode = true;
  let forNode = false;
  let allZone = true;
  let forZone = false;
  for (const ep of endpoints) {
    if (!ep.ready) continue;
    if (ep.nodeHints.length === 0) allNode = false;
    else if (ep.nodeHints.includes(nodeName)) forNode = true;
    if (ep.zoneHints.length === 0) allZone = false;
    else if (zone !== "" && ep.zoneHints.includes(zone)) forZone = true;
  }
  if (preferSameNode && allNode && forNode) return "PreferSameNode";
  if (allZone && forZone) return "PreferSameZone";
  return "";
}

function availableFor(ep: EndpointInfo, mode: TopologyMode, nodeName: string, zone: string): boolean {
  if (mode === "PreferSameNode") return ep.nodeHints.includes(nodeName);
  if (mode === "PreferSameZone") return ep.zoneHints.includes(zone);
  return true;
}

export function categorizeEndpoints(input: CategorizeInput): Categorized {
  const { endpoints, nodeName, zone } = input;
  const usesCluster = !input.internalTrafficPolicyLocal || input.externallyAccessible;
  const usesLocal = input.internalTrafficPolicyLocal || (input.externalTrafficPolicyLocal && input.externallyAccessible);
  let cluster: EndpointInfo[] = [];
  let hasAnyEndpoints = false;
  if (usesCluster) {
    const mode = topologyMode(endpoints, nodeName, zone, input.preferSameNode ?? true);
    cluster = endpoints.filter((ep) => ep.ready && availableFor(ep, mode, nodeName, zone));
    // No ready endpoint anywhere: fall back to serving-and-terminating ones, topology ignored.
    if (cluster.length === 0) cluster = endpoints.filter((ep) => ep.serving && ep.terminating);
    hasAnyEndpoints = cluster.length > 0;
  }
  if (!usesLocal) return { cluster, local: [], allReachable: cluster, hasAnyEndpoints, localUsesTerminating: false };

  let localReady = false;
  let localTerminating = false;
  for (const ep of endpoints) {
    if (ep.ready) {
      hasAnyEndpoints = true;
      if (ep.local) localReady = true;
    } else if (ep.serving && ep.terminating) {
      hasAnyEndpoints = true;
      if (ep.local) localTerminating = true;
    }
  }
  let local: EndpointInfo[] = [];
  if (localReady) local = endpoints.filter((ep) => ep.local && ep.ready);
  else if (localTerminating) local = endpoints.filter((ep) => ep.local && ep.serving && ep.terminating);
  const localUsesTerminating = !localReady && localTerminating;
  if (!usesCluster) return { cluster: [], local, allReachable: local, hasAnyEndpoints, localUsesTerminating };
  const seen = new Set(cluster.map((e) => `${e.ip}:${e.port}`));
  const allReachable = [...cluster, ...local.filter((e) => !seen.has(`${e.ip}:${e.port}`))];
  return { cluster, local, allReachable, hasAnyEndpoints, localUsesTerminating };
}
