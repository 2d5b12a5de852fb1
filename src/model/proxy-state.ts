/**
 * The proxy's pure model of what the rules must say: the contract between model/ (which builds it
 * from API objects) and backends/ (which render it). Addresses and CIDRs are canonical text from
 * lib/ip and lib/cidr, already filtered to the state's family.
 */
import type { IPFamily } from "../lib/ip.ts";
import type { Protocol } from "../kube/schemas/service.ts";

/** One endpoint a ServicePort may send a packet to. */
export interface EndpointTarget {
  ip: string;
  port: number;
  /** On this node. Absent: not known to be local (hand-built states in tests). */
  local?: boolean;
}

/**
 * One (service, port name, protocol) of one family: upstream's ServicePort. `id` is
 * `namespace/name:portName/protocol` (portName may be empty), unique and stable. The fields
 * after `port` are optional so that hand-built states in tests stay short; absent means none.
 */
export interface ServicePortState {
  id: string;
  namespace: string;
  name: string;
  portName: string;
  protocol: Protocol;
  clusterIP: string;
  port: number;
  /**
   * The cluster endpoint set (upstream's clusterEndpoints: ready ones narrowed by topology, else
   * serving-and-terminating), sorted by "ip:port" (upstream's order). Empty when the port does
   * not use cluster endpoints (internalTrafficPolicy Local and not reachable from outside).
   */
  endpoints: EndpointTarget[];
  /**
   * The local endpoint set (local ready, else local serving-and-terminating), sorted; used by the
   * Local traffic policies. Absent or empty: none.
   */
  localEndpoints?: EndpointTarget[];
  /**
   * Upstream's hasAnyEndpoints: a usable endpoint exists anywhere. False means every address of
   * the ServicePort rejects; true with an empty chosen set means that traffic is dropped.
   * Absent: `endpoints.length > 0`.
   */
  hasEndpoints?: boolean;
  /** spec.internalTrafficPolicy (default Cluster): Local sends ClusterIP traffic to localEndpoints only. */
  internalTrafficPolicy?: "Cluster" | "Local";
  /** sessionAffinity ClientIP: stickiness timeout in seconds; absent or null: no affinity. */
  affinityTimeoutSeconds?: number | null;
  /** spec.healthCheckNodePort of a LoadBalancer Service with externalTrafficPolicy Local; absent or null: none. */
  healthCheckNodePort?: number | null;
  /**
   * IPs of every serving endpoint, whatever the policies and topology chose: UDP conntrack flows
   * answered by any of them are kept. Absent: the IPs of endpoints and localEndpoints.
   */
  servingEndpointIPs?: string[];
  /**
   * Distinct IPs of this node's ready endpoints (terminating ones do not count): what a
   * health-check node port reports. Absent: the number of distinct local IPs in localEndpoints.
   */
  localReadyEndpoints?: number;
  /** spec.ports[].nodePort when non-zero. */
  nodePort?: number | null;
  /** spec.externalIPs of this family, canonical, sorted, without duplicates. */
  externalIPs?: string[];
  /** status.loadBalancer.ingress[].ip of this family whose ipMode is not Proxy; sorted, unique. */
  loadBalancerIPs?: string[];
  /** spec.loadBalancerSourceRanges of this family, trimmed and canonical (`addr/len`); sorted, unique. */
  loadBalancerSourceRanges?: string[];
  /** spec.externalTrafficPolicy (default Cluster). */
  externalTrafficPolicy?: "Cluster" | "Local";
}

/** How traffic from this node's pods is told apart from everything else (upstream's local-traffic detector). */
export type LocalDetector =
  | { kind: "none" }
  /** Source address inside `cidr` (ClusterCIDR and NodeCIDR modes). */
  | { kind: "cidr"; cidr: string }
  /** Input interface named `name` (BridgeInterface mode). */
  | { kind: "interface"; name: string }
  /** Input interface whose name starts with `prefix` (InterfaceNamePrefix mode). */
  | { kind: "interface-prefix"; prefix: string };

/** Node-wide facts of one family: configuration resolved against this node's Node object. */
export interface NodeFacts {
  /** This node's InternalIP of the family, or null when unknown. */
  nodeIP: string | null;
  /**
   * Which local addresses accept NodePorts: all of them (`matchAll`; loopback never), or those
   * inside `cidrs` (canonical, this family, loopback ranges removed; may be empty = none).
   */
  nodePorts: { matchAll: boolean; cidrs: string[] };
  /** --masquerade-all: every packet to a ClusterIP is masqueraded. */
  masqueradeAll: boolean;
  localDetector: LocalDetector;
}

/** The facts when nothing is configured and nothing is known: NodePorts nowhere, no detector. */
export const DEFAULT_NODE_FACTS: NodeFacts = {
  nodeIP: null,
  nodePorts: { matchAll: false, cidrs: [] },
  masqueradeAll: false,
  localDetector: { kind: "none" },
};

/** Everything one family's backend needs for a sync, ServicePorts sorted by id. */
export interface ProxyState {
  family: IPFamily;
  /** Absent: DEFAULT_NODE_FACTS. */
  node?: NodeFacts;
  servicePorts: ServicePortState[];
  /**
   * Lookups and counts kept up to date by StateMemo as Services change, so that a partial sync
   * never walks every ServicePort (at 30k Services each walk cost milliseconds, bun run bench B2).
   * Absent in hand-built states: use `stateIndexOf`, which computes it from `servicePorts`.
   */
  index?: StateIndex;
  /**
   * A full rebuild not done yet (StateMemo): the ServicePorts one Service at a time, in
   * `servicePorts` order, each built when it is pulled. A cold start loads the first Services
   * while the model of the others is still to be built (bun run bench B1). Reading
   * `servicePorts` or `index` builds the rest. Absent in hand-built states: use `stagesOf`.
   */
  staged?: StagedServicePorts;
}

/** See `ProxyState.staged`. */
export interface StagedServicePorts {
  /** The Services with a ClusterIP of this family: an upper bound of those with ServicePorts. */
  services: number;
  /** Each Service's ServicePorts, built as they are pulled (Services without any are left out). */
  stages(): Iterable<readonly ServicePortState[]>;
}

/** `state.staged`'s stages, or each Service's run of `servicePorts` (hand-built states). */
export function* stagesOf(state: ProxyState): Iterable<readonly ServicePortState[]> {
  if (state.staged) {
    yield* state.staged.stages();
    return;
  }
  let run: ServicePortState[] = [];
  for (const sp of state.servicePorts) {
    if (run.length > 0 && serviceKeyOf(run[0]!) !== serviceKeyOf(sp)) {
      yield run;
      run = [];
    }
    run.push(sp);
  }
  if (run.length > 0) yield run;
}

/** What a sync asks of the whole state besides the changed Services; equal to a walk of `servicePorts`. */
export interface StateIndex {
  /** The ServicePorts of Service `key` (`namespace/name`), sorted by id; [] when it has none. */
  portsOf(key: string): readonly ServicePortState[];
  /** Services with at least one ServicePort. */
  services: number;
  /** ServicePorts whose protocol is UDP, in id order: all that the stale UDP flow cleanup reads. */
  udpPorts: readonly ServicePortState[];
  /** Upstream's no-local-endpoints gauge: Local-policy ServicePorts with endpoints, none on this node. */
  noLocalInternal: number;
  noLocalExternal: number;
  /** ServicePorts with a healthCheckNodePort, in id order. */
  healthCheckPorts: readonly ServicePortState[];
}

/** Counts one ServicePort adds to a StateIndex (the single definition of each count). */
export function tallyOf(sp: ServicePortState): { noLocalInternal: number; noLocalExternal: number } {
  const noLocal = hasEndpointsOf(sp) && (sp.localEndpoints?.length ?? 0) === 0;
  return {
    noLocalInternal: noLocal && sp.internalTrafficPolicy === "Local" ? 1 : 0,
    noLocalExternal: noLocal && sp.externalTrafficPolicy === "Local" && externallyAccessible(sp) ? 1 : 0,
  };
}

/** `state.index`, or the same computed by one walk of `servicePorts` (hand-built states). */
export function stateIndexOf(state: ProxyState): StateIndex {
  if (state.index) return state.index;
  const byService = new Map<string, ServicePortState[]>();
  const index = { services: 0, udpPorts: [] as ServicePortState[], noLocalInternal: 0, noLocalExternal: 0, healthCheckPorts: [] as ServicePortState[] };
  for (const sp of state.servicePorts) {
    const key = serviceKeyOf(sp);
    const list = byService.get(key);
    if (list) list.push(sp);
    else byService.set(key, [sp]);
    const t = tallyOf(sp);
    if (sp.protocol === "UDP") index.udpPorts.push(sp);
    index.noLocalInternal += t.noLocalInternal;
    index.noLocalExternal += t.noLocalExternal;
    if (sp.healthCheckNodePort) index.healthCheckPorts.push(sp);
  }
  index.services = byService.size;
  return { ...index, portsOf: (key) => byService.get(key) ?? [] };
}

/** Upstream's hasAnyEndpoints with its default. */
export const hasEndpointsOf = (sp: ServicePortState): boolean => sp.hasEndpoints ?? sp.endpoints.length > 0;

/** The IPs whose UDP flows the conntrack cleanup keeps: servingEndpointIPs, or the chosen endpoints' IPs. */
export const servingIPsOf = (sp: ServicePortState): string[] =>
  sp.servingEndpointIPs ?? [...new Set([...sp.endpoints, ...(sp.localEndpoints ?? [])].map((e) => e.ip))];

/** Distinct local ready endpoint IPs (what a health-check node port reports). */
export const localReadyCountOf = (sp: ServicePortState): number =>
  sp.localReadyEndpoints ?? new Set((sp.localEndpoints ?? []).map((e) => e.ip)).size;

/** Reachable from outside the cluster: a NodePort, external IPs or load-balancer IPs. */
export const externallyAccessible = (sp: Pick<ServicePortState, "nodePort" | "externalIPs" | "loadBalancerIPs">): boolean =>
  (sp.nodePort ?? null) !== null || (sp.externalIPs?.length ?? 0) > 0 || (sp.loadBalancerIPs?.length ?? 0) > 0;

/** The `namespace/name` key of the Service a ServicePort belongs to. */
export function serviceKeyOf(sp: Pick<ServicePortState, "namespace" | "name">): string {
  return `${sp.namespace}/${sp.name}`;
}
