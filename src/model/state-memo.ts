/**
 * The ProxyState of one family, kept between syncs so that a partial sync recomputes only the
 * Services it was told changed: `servicePortStates` is a pure function of the Service, its
 * slices, the family and the node's topology, so the other Services' ServicePorts are reused.
 * Rebuilding the whole state on every sync made a one-endpoint change cost O(cluster) in the
 * model (about 200 ms at 10k Services, `bun run bench` B2). It also keeps the counts a sync
 * reports (StateIndex) as Services change, and builds the flat ServicePort list only on demand,
 * so a partial sync is O(changed) apart from two array copies (the flat list was 10 ms at 30k).
 * Equal to `buildProxyState` of the same cache, by test (state-memo.test.ts).
 */
import type { IPFamily } from "../lib/ip.ts";
import type { Service } from "../kube/schemas/service.ts";
import { NO_TOPOLOGY, servicePortStates, type ClusterView, type NodeTopology } from "./build-state.ts";
import { DEFAULT_NODE_FACTS, tallyOf, type NodeFacts, type ProxyState, type ServicePortState, type StateIndex } from "./proxy-state.ts";
import { clusterIPOf, serviceKey } from "./service-ports.ts";

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

type Tally = ReturnType<typeof tallyOf>;

/** A full rebuild in progress: the Services in id order, built up to `next`. */
interface PendingBuild {
  keys: string[];
  next: number;
  view: KeyedClusterView;
  topo: NodeTopology;
  node: NodeFacts;
  /** Set when the build is done: what its snapshot shows from then on. */
  done: { state: ProxyState; lists: ServicePortState[][] } | null;
}

export class StateMemo {
  #byService = new Map<string, ServicePortState[]>();
  /** The keys of #byService in id order (see orderKey), and their ServicePorts at the same index. */
  #order: string[] = [];
  #ports: ServicePortState[][] = [];
  /** Sums of tallyOf over every ServicePort held. */
  #totals: Tally = { noLocalInternal: 0, noLocalExternal: 0 };
  /** The ServicePorts with a healthCheckNodePort, and the UDP ones, per Service (most Services have none). */
  #healthCheck = new Map<string, ServicePortState[]>();
  #udp = new Map<string, ServicePortState[]>();
  #topology: string | null = null;
  #pending: PendingBuild | null = null;

  constructor(readonly family: IPFamily) {}

  /**
   * The state of `view` now. `changed` names the Services (keys as ClusterCache gives them) that
   * changed since the last call; null recomputes everything, as does a change of topology.
   * The result is a snapshot: later calls do not change it. Its `servicePorts` list is built
   * on first use (a partial sync of the nftables backend never needs it; see `index`).
   */
  state(view: KeyedClusterView, changed: ReadonlySet<string> | null, node: NodeFacts = DEFAULT_NODE_FACTS, topo: NodeTopology = NO_TOPOLOGY): ProxyState {
    this.#finishPending();
    // Every field of the topology feeds servicePortStates, so any change recomputes everything.
    const topology = JSON.stringify(topo);
    if (changed === null || topology !== this.#topology) {
      this.#byService.clear();
      this.#healthCheck.clear();
      this.#udp.clear();
      this.#totals = { noLocalInternal: 0, noLocalExternal: 0 };
      this.#topology = topology;
      this.#order = [];
      this.#ports = [];
      // Built when pulled (ProxyState.staged) or read; the keys' order is the id order. Services
      // without a ClusterIP of this family have no ServicePorts in it and are left out at once.
      const keys: string[] = [];
      for (const svc of view.services()) if (clusterIPOf(svc, this.family)) keys.push(orderKey(serviceKey(svc.metadata.namespace, svc.metadata.name)));
      keys.sort();
      for (let i = 0; i < keys.length; i++) keys[i] = keys[i]!.slice(0, -1);
      const pending: PendingBuild = { keys, next: 0, view, topo, node, done: null };
      this.#pending = pending;
      return this.#stagedSnapshot(pending);
    } else {
      for (const key of changed) {
        const svc = view.service(key);
        this.#set(key, svc ? servicePortStates(svc, view.slicesOf(key), this.family, topo) : []);
      }
    }
    return this.#snapshot(node);
  }

  /** Builds the next Service of `pending`; its ServicePorts ([] when it has none), or null at the end. */
  #buildNext(pending: PendingBuild): ServicePortState[] | null {
    if (this.#pending !== pending || pending.next >= pending.keys.length) return null;
    const key = pending.keys[pending.next++]!;
    const svc = pending.view.service(key);
    const ports = svc ? servicePortStates(svc, pending.view.slicesOf(key), this.family, pending.topo) : [];
    if (ports.length > 0) {
      this.#byService.set(key, ports.sort(byId));
      this.#tally(key, ports, 1);
      this.#order.push(key);
      this.#ports.push(ports);
    }
    return ports;
  }

  /** Completes a pending full rebuild, and fixes what its snapshot shows. */
  #finishPending(): void {
    const pending = this.#pending;
    if (!pending) return;
    while (this.#buildNext(pending) !== null);
    const lists = this.#ports.slice();
    pending.done = { state: this.#snapshotOf(pending.node, this.#order.slice(), lists), lists };
    this.#pending = null;
  }

  #stagedSnapshot(pending: PendingBuild): ProxyState {
    const complete = (): ProxyState => {
      if (this.#pending === pending) this.#finishPending();
      return pending.done!.state;
    };
    const state = { family: this.family, node: pending.node } as ProxyState;
    Object.defineProperty(state, "servicePorts", { enumerable: true, get: () => complete().servicePorts });
    Object.defineProperty(state, "index", { enumerable: false, get: () => complete().index });
    const memo = this;
    Object.defineProperty(state, "staged", {
      enumerable: false,
      value: {
        services: pending.keys.length,
        *stages() {
          // Services built by an earlier reader come first, then the rest as they are pulled.
          let i = 0;
          for (;;) {
            const lists = pending.done?.lists ?? memo.#ports;
            if (i < lists.length) {
              yield lists[i++]!;
              continue;
            }
            if (memo.#pending !== pending) return;
            if (memo.#buildNext(pending) === null) return;
          }
        },
      },
    });
    return state;
  }

  #snapshot(node: NodeFacts): ProxyState {
    // Two array copies (a memcpy each) instead of a walk of every ServicePort.
    return this.#snapshotOf(node, this.#order.slice(), this.#ports.slice());
  }

  #snapshotOf(node: NodeFacts, order: string[], lists: ServicePortState[][]): ProxyState {
    const healthCheckPorts = [...this.#healthCheck.values()].flat().sort(byId);
    const udpPorts = [...this.#udp.values()].flat().sort(byId);
    const index: StateIndex = {
      portsOf: (key) => {
        const i = position(order, key);
        return order[i] === key ? lists[i]! : [];
      },
      services: order.length,
      ...this.#totals,
      udpPorts,
      healthCheckPorts,
    };
    let flat: ServicePortState[] | null = null;
    const state = { family: this.family, node } as ProxyState;
    Object.defineProperty(state, "servicePorts", {
      enumerable: true,
      get: () => {
        if (flat === null) {
          flat = [];
          for (const list of lists) for (const sp of list) flat.push(sp);
        }
        return flat;
      },
    });
    // Not enumerable: a state from the memo still equals buildProxyState's (state-memo.test.ts).
    Object.defineProperty(state, "index", { enumerable: false, value: index });
    return state;
  }

  #tally(key: string, ports: readonly ServicePortState[], sign: 1 | -1): void {
    for (const sp of ports) {
      const t = tallyOf(sp);
      this.#totals.noLocalInternal += sign * t.noLocalInternal;
      this.#totals.noLocalExternal += sign * t.noLocalExternal;
    }
    const hc = ports.filter((sp) => sp.healthCheckNodePort);
    if (sign < 0 || hc.length === 0) this.#healthCheck.delete(key);
    else this.#healthCheck.set(key, hc);
    const udp = ports.filter((sp) => sp.protocol === "UDP");
    if (sign < 0 || udp.length === 0) this.#udp.delete(key);
    else this.#udp.set(key, udp);
  }

  #set(key: string, ports: ServicePortState[]): void {
    const old = this.#byService.get(key);
    if (old) this.#tally(key, old, -1);
    if (ports.length > 0) {
      ports.sort(byId);
      this.#tally(key, ports, 1);
      this.#byService.set(key, ports);
      const i = position(this.#order, key);
      if (old) this.#ports[i] = ports;
      else {
        this.#order.splice(i, 0, key);
        this.#ports.splice(i, 0, ports);
      }
    } else if (old) {
      this.#byService.delete(key);
      const i = position(this.#order, key);
      this.#order.splice(i, 1);
      this.#ports.splice(i, 1);
    }
  }
}
