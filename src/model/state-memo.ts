/**
 * The ProxyState of one family, kept between syncs so that a partial sync recomputes only the
 * Services it was told changed: `servicePortStates` is a pure function of the Service, its
 * slices, the family and the node's topology, so the other Services' ServicePorts are reused.
 * Rebuilding the whole state on every sync made a one-endpoint change cost O(cluster) in the
 * model (about 200 ms at 10k Services, `bun run bench` B2); now it is O(changed) plus one pass
 * over the kept lists in id order.
 * Equal to `buildProxyState` of the same cache, by test (state-memo.test.ts).
 */
import type { IPFamily } from "../lib/ip.ts";
import type { Service } from "../kube/schemas/service.ts";
import { NO_TOPOLOGY, servicePortStates, type ClusterView, type NodeTopology } from "./build-state.ts";
import { DEFAULT_NODE_FACTS, type NodeFacts, type ProxyState, type ServicePortState } from "./proxy-state.ts";
import { serviceKey } from "./service-ports.ts";

/** A ClusterView that can also look one Service up by key (ClusterCache is one). */
export interface KeyedClusterView extends ClusterView {
  service(key: string): Service | undefined;
}

const byId = (a: ServicePortState, b: ServicePortState) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * Where Services go in the id order. A ServicePort id is `<service key>:<port>/<protocol>` and
 * keys hold no ':', so ids sort as their `<key>:` prefixes do: the Services are kept in that
 * order and only a Service's own few ports are sorted, instead of every id on every sync.
 */
const orderKey = (key: string) => `${key}:`;

function position(order: readonly string[], key: string): number {
  const k = orderKey(key);
  let lo = 0;
  let hi = order.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (orderKey(order[mid]!) < k) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class StateMemo {
  #byService = new Map<string, ServicePortState[]>();
  /** The keys of #byService in id order (see orderKey). */
  #order: string[] = [];
  #topology: string | null = null;

  constructor(readonly family: IPFamily) {}

  /**
   * The state of `view` now. `changed` names the Services (keys as ClusterCache gives them) that
   * changed since the last call; null recomputes everything, as does a change of topology.
   */
  state(view: KeyedClusterView, changed: ReadonlySet<string> | null, node: NodeFacts = DEFAULT_NODE_FACTS, topo: NodeTopology = NO_TOPOLOGY): ProxyState {
    // Every field of the topology feeds servicePortStates, so any change recomputes everything.
    const topology = JSON.stringify(topo);
    if (changed === null || topology !== this.#topology) {
      this.#byService.clear();
      this.#topology = topology;
      for (const svc of view.services()) {
        const key = serviceKey(svc.metadata.namespace, svc.metadata.name);
        const ports = servicePortStates(svc, view.slicesOf(key), this.family, topo);
        if (ports.length > 0) this.#byService.set(key, ports.sort(byId));
      }
      this.#order = [...this.#byService.keys()].map(orderKey).sort().map((k) => k.slice(0, -1));
    } else {
      for (const key of changed) {
        const svc = view.service(key);
        this.#set(key, svc ? servicePortStates(svc, view.slicesOf(key), this.family, topo) : []);
      }
    }
    const servicePorts: ServicePortState[] = [];
    for (const key of this.#order) for (const sp of this.#byService.get(key)!) servicePorts.push(sp);
    return { family: this.family, node, servicePorts };
  }

  #set(key: string, ports: ServicePortState[]): void {
    const had = this.#byService.has(key);
    if (ports.length > 0) {
      this.#byService.set(key, ports.sort(byId));
      if (!had) this.#order.splice(position(this.#order, key), 0, key);
    } else if (had) {
      this.#byService.delete(key);
      this.#order.splice(position(this.#order, key), 1);
    }
  }
}
