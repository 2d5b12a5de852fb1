/**
 * The proxy's heart: takes API events into the cache and change tracker, asks the runner for a
 * sync, and performs one sync (model -> backend -> metrics and health). Nothing syncs until both
 * Services and EndpointSlices have been listed once, as upstream; then one unconditional sync.
 */
import type { Backend } from "../backends/backend.ts";
import type { IPFamily } from "../lib/ip.ts";
import type { Logger } from "../lib/log.ts";
import type { EndpointSlice } from "../kube/schemas/endpoint-slice.ts";
import type { Node } from "../kube/schemas/node.ts";
import type { Service } from "../kube/schemas/service.ts";
import { ZONE_LABEL, type NodeTopology } from "../model/build-state.ts";
import { StateMemo } from "../model/state-memo.ts";
import { ChangeTracker } from "../model/change-tracker.ts";
import { ClusterCache } from "../model/cluster-cache.ts";
import { nodeFactsOf, type NodeFactsConfig } from "../model/node-facts.ts";
import { queued, updated, withNode, type HealthState } from "../status/proxy-health.ts";
import type { ProxyMetrics } from "../status/proxy-metrics.ts";
import { localReadyCountOf, stateIndexOf, type NodeFacts, type ProxyState, type StateIndex } from "../model/proxy-state.ts";
import type { HealthCheckService } from "../status/service-health-servers.ts";
import type { SyncRecord } from "../status/proxy-status.ts";
import type { Clock } from "./clock.ts";

/** Upstream's FullSyncPeriod: at least one full sync an hour, even when only partial ones were due. */
export const FULL_SYNC_INTERVAL_MS = 3_600_000;

export interface ProxierDeps {
  backend: Backend;
  family: IPFamily;
  /** Every family to sync (dual-stack); default [family]. */
  families?: readonly IPFamily[];
  /** Configuration behind NodeFacts (--nodeport-addresses, masquerading, local detection); default none. */
  nodeFacts?: NodeFactsConfig;
  metrics: ProxyMetrics;
  clock: Clock;
  log: Logger;
  /** Asks the runner for a sync (BoundedFrequencyRunner.run). Set before events arrive. */
  requestSync: () => void;
  /** This node's name: endpoints whose EndpointSlice entry names it are local. Default "" (none is). */
  nodeName?: string;
  /** Feature gate PreferSameTrafficDistribution (topology node hints); default on, as newest upstream. */
  preferSameNode?: boolean;
  /** Deletes stale UDP flows after a sync that changed something (conntrack/udp-cleanup.ts); handed the synced state's UDP ServicePorts only. */
  cleanConntrack?: (state: ProxyState) => Promise<{ deleted: number; byService?: Record<string, number> }>;
  /** The health-check node-port servers, told after every successful sync which ports to serve. */
  healthServers?: { sync(wanted: HealthCheckService[]): Promise<void> };
  /** Told about every sync attempt (for /status and /readyz). */
  onSync?: (r: SyncRecord) => void;
}

/** The annotation the EndpointSlice controller sets: when the change behind this slice happened. */
const TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time";

export class Proxier {
  readonly cache = new ClusterCache();
  private readonly tracker = new ChangeTracker();
  private health: HealthState = { families: {}, node: null };
  private servicesSynced = false;
  private slicesSynced = false;
  private syncs = 0;
  private node: Node | null = null;
  /** The last state synced per family (health-check node ports are counted from them). */
  private lastStates = new Map<IPFamily, ProxyState>();
  /** Clock time of the last successful full sync per family; absent means the next sync is full. */
  private lastFull = new Map<IPFamily, number>();
  /** The model of each family, kept between syncs (only changed Services are recomputed). */
  private readonly memos = new Map<IPFamily, StateMemo>();
  /** Trigger times (unix ms) of EndpointSlice changes not yet applied, for network programming latency. */
  private triggerTimes: number[] = [];
  private readonly startedAt: number;

  constructor(private readonly deps: ProxierDeps) {
    this.startedAt = deps.clock.now();
  }

  healthState(): HealthState {
    return this.health;
  }

  /** True once both kinds have been listed, so syncs may run. */
  ready(): boolean {
    return this.servicesSynced && this.slicesSynced;
  }

  serviceUpserted(svc: Service): void {
    this.tracker.serviceChanged(this.cache.upsertService(svc));
    this.deps.metrics.serviceChangesTotal.inc();
    this.changed();
  }

  serviceRemoved(svc: Service): void {
    this.tracker.serviceChanged(this.cache.removeService(svc.metadata.namespace, svc.metadata.name));
    this.deps.metrics.serviceChangesTotal.inc();
    this.changed();
  }

  sliceUpserted(slice: EndpointSlice): void {
    // As upstream: times from before this proxy started say nothing about its own latency.
    const trigger = Date.parse(slice.metadata.annotations?.[TRIGGER_TIME] ?? "");
    if (trigger >= this.startedAt) this.triggerTimes.push(trigger);
    this.tracker.endpointsChanged(this.cache.upsertSlice(slice));
    this.deps.metrics.endpointChangesTotal.inc();
    this.changed();
  }

  sliceRemoved(slice: EndpointSlice): void {
    this.tracker.endpointsChanged(this.cache.removeSlice(slice.metadata.namespace, slice.metadata.name));
    this.deps.metrics.endpointChangesTotal.inc();
    this.changed();
  }

  nodeChanged(node: Node | null): void {
    this.health = withNode(this.health, node);
    // Labels (the zone) change the endpoints of every Service: as upstream, a full sync.
    const labelsChanged = JSON.stringify(this.node?.metadata.labels ?? {}) !== JSON.stringify(node?.metadata.labels ?? {});
    // Node IPs and pod CIDRs feed NodeFacts; the backend notices a change and does a full sync.
    // Any other update (a status heartbeat) asks for no sync: a no-op sync would still hold the
    // next real change back by up to --min-sync-period.
    const factsBefore = JSON.stringify(this.nodeFactsNow());
    this.node = node;
    const factsChanged = JSON.stringify(this.nodeFactsNow()) !== factsBefore;
    if (labelsChanged) this.lastFull.clear();
    if (factsChanged || labelsChanged) this.changed();
  }

  /** The NodeFacts of every synced family as they stand now (for the health-check servers' addresses). */
  nodeFactsNow(): NodeFacts[] {
    const cfg = this.deps.nodeFacts;
    return cfg ? (this.deps.families ?? [this.deps.family]).map((f) => nodeFactsOf(cfg, f, this.node)) : [];
  }

  /** Where this node is, for endpoint locality and topology hints. */
  private topology(): NodeTopology {
    return { nodeName: this.deps.nodeName ?? "", zone: this.node?.metadata.labels?.[ZONE_LABEL] ?? "", preferSameNode: this.deps.preferSameNode ?? true };
  }

  servicesListed(): void {
    this.servicesSynced = true;
    this.changed();
  }

  slicesListed(): void {
    this.slicesSynced = true;
    this.changed();
  }

  /** One sync of every family (partial where possible); resolves false (to be retried) when a backend refused it. */
  async sync(): Promise<boolean> {
    if (!this.ready()) return true;
    const changed = this.tracker.take();
    // Taken with the changes: a slice that arrives while this sync runs is not in it, and its
    // trigger time waits for the next sync (else churn would report too-short latencies).
    const triggers = this.triggerTimes;
    this.triggerTimes = [];
    this.updatePending();
    // The families' tables are independent: synced side by side, the small one (usually IPv6)
    // no longer waits behind the large one (bun run bench B1).
    const results = await Promise.all((this.deps.families ?? [this.deps.family]).map((family) => this.syncFamily(family, changed, triggers)));
    const ok = results.every(Boolean);
    if (!ok) {
      for (const key of changed) this.tracker.serviceChanged(key);
      // A failed sync keeps the times for the retry.
      this.triggerTimes = [...triggers, ...this.triggerTimes];
    }
    this.updatePending();
    await this.syncHealthServers();
    return ok;
  }

  /**
   * Health-check node ports of the last synced states: one per Service, reporting its distinct
   * local ready endpoint IPs (the larger count of the two families, so a dual-stack pod counts once).
   */
  healthCheckServices(): HealthCheckService[] {
    const byPort = new Map<number, HealthCheckService>();
    for (const st of this.lastStates.values()) {
      for (const sp of stateIndexOf(st).healthCheckPorts) {
        if (!sp.healthCheckNodePort) continue;
        const prev = byPort.get(sp.healthCheckNodePort);
        const n = localReadyCountOf(sp);
        if (!prev) byPort.set(sp.healthCheckNodePort, { namespace: sp.namespace, name: sp.name, port: sp.healthCheckNodePort, localEndpoints: n });
        else if (prev.namespace === sp.namespace && prev.name === sp.name) prev.localEndpoints = Math.max(prev.localEndpoints, n);
      }
    }
    return [...byPort.values()].sort((a, b) => a.port - b.port);
  }

  private async syncHealthServers(): Promise<void> {
    const servers = this.deps.healthServers;
    if (!servers) return;
    try {
      await servers.sync(this.healthCheckServices());
    } catch (e) {
      this.deps.log.error("Updating the health-check node-port servers failed", { err: e });
    }
  }

  private memoOf(family: IPFamily): StateMemo {
    let memo = this.memos.get(family);
    if (!memo) this.memos.set(family, (memo = new StateMemo(family)));
    return memo;
  }

  private async syncFamily(family: IPFamily, changed: ReadonlySet<string>, triggers: readonly number[]): Promise<boolean> {
    const { backend, metrics, clock, log } = this.deps;
    const start = performance.now();
    const facts = this.deps.nodeFacts ? nodeFactsOf(this.deps.nodeFacts, family, this.node) : undefined;
    const last = this.lastFull.get(family);
    const wantFull = last === undefined || clock.now() - last >= FULL_SYNC_INTERVAL_MS;
    // Only the changed Services are recomputed; a full sync rebuilds the whole model too.
    const state = this.memoOf(family).state(this.cache, wantFull ? null : changed, facts, this.topology());
    try {
      const stats = await backend.sync(state, wantFull ? null : changed);
      const full = stats.full ?? true;
      const seconds = (performance.now() - start) / 1000;
      metrics.syncDuration.observe(seconds, { ip_family: family });
      (full ? metrics.syncFullDuration : metrics.syncPartialDuration).observe(seconds, { ip_family: family });
      if (full) this.lastFull.set(family, clock.now());
      metrics.lastSyncTimestamp.set(clock.now() / 1000, { ip_family: family });
      this.health = updated(this.health, family, clock.now());
      this.syncs++;
      const firstOfFamily = !this.lastStates.has(family);
      this.lastStates.set(family, state);
      const index = stateIndexOf(state);
      this.recordNoLocalEndpoints(state.family, index);
      for (const t of triggers) metrics.networkProgrammingDuration.observe((clock.now() - t) / 1000, { ip_family: family });
      this.deps.onSync?.({ family, at: clock.now(), durationMs: seconds * 1000, ok: true, full: stats.full ?? null, error: null, services: index.services, servicePorts: stats.servicePorts, endpoints: stats.endpoints });
      // The cleanup reads only the UDP ServicePorts: handing it just those spares a walk of
      // every ServicePort on every partial sync (2-3 ms at 30k Services, bun run bench B2).
      if (changed.size > 0) await this.cleanConntrack({ family: state.family, node: state.node, servicePorts: [...index.udpPorts] });
      log.info("Synced rules", { ipFamily: family, full, changedServices: changed.size, servicePorts: stats.servicePorts, endpoints: stats.endpoints, elapsed: `${(seconds * 1000).toFixed(1)}ms` }, firstOfFamily ? 0 : 2);
      return true;
    } catch (e) {
      this.lastFull.delete(family);
      metrics.syncDuration.observe((performance.now() - start) / 1000, { ip_family: family });
      if (backend.mode === "nftables") metrics.nftablesSyncFailures.inc(1, { ip_family: family });
      log.error("Sync failed; the last applied rules stay in place and the sync is retried", { ipFamily: family, err: e });
      this.deps.onSync?.({ family, at: clock.now(), durationMs: performance.now() - start, ok: false, full: null, error: e instanceof Error ? e.message : String(e), services: 0, servicePorts: 0, endpoints: 0 });
      return false;
    }
  }

  /** Upstream's gauge: ServicePorts with a Local policy that have endpoints, but none on this node (tallyOf). */
  private recordNoLocalEndpoints(family: IPFamily, index: StateIndex): void {
    this.deps.metrics.noLocalEndpoints.set(index.noLocalInternal, { traffic_policy: "internal", ip_family: family });
    this.deps.metrics.noLocalEndpoints.set(index.noLocalExternal, { traffic_policy: "external", ip_family: family });
  }

  /** A failed cleanup is logged, not fatal: the rules are applied, and the next change retries. */
  private async cleanConntrack(state: ProxyState): Promise<void> {
    const { cleanConntrack, metrics, log } = this.deps;
    const family = state.family;
    if (!cleanConntrack) return;
    const start = performance.now();
    try {
      const { deleted, byService } = await cleanConntrack(state);
      metrics.conntrackDeleted.inc(deleted, { ip_family: family });
      for (const [service, n] of Object.entries(byService ?? {})) metrics.conntrackDeletedByService.inc(n, { service, ip_family: family });
      if (deleted > 0) log.info("Deleted stale UDP conntrack flows", { ipFamily: family, deleted, services: byService }, 2);
    } catch (e) {
      log.error("Stale UDP conntrack cleanup failed", { ipFamily: family, err: e });
    }
    metrics.conntrackDuration.observe((performance.now() - start) / 1000, { ip_family: family });
  }

  private changed(): void {
    this.updatePending();
    if (!this.ready()) return;
    const now = this.deps.clock.now();
    for (const family of this.deps.families ?? [this.deps.family]) {
      this.health = queued(this.health, family, now);
      this.deps.metrics.lastQueuedTimestamp.set(now / 1000, { ip_family: family });
    }
    this.deps.requestSync();
  }

  private updatePending(): void {
    const p = this.tracker.pending();
    this.deps.metrics.serviceChangesPending.set(p.services);
    this.deps.metrics.endpointChangesPending.set(p.endpoints);
  }
}
