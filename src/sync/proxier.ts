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
import { buildProxyState } from "../model/build-state.ts";
import { ChangeTracker } from "../model/change-tracker.ts";
import { ClusterCache } from "../model/cluster-cache.ts";
import { queued, updated, withNode, type HealthState } from "../status/proxy-health.ts";
import type { ProxyMetrics } from "../status/proxy-metrics.ts";
import type { ProxyState } from "../model/proxy-state.ts";
import type { Clock } from "./clock.ts";

export interface ProxierDeps {
  backend: Backend;
  family: IPFamily;
  metrics: ProxyMetrics;
  clock: Clock;
  log: Logger;
  /** Asks the runner for a sync (BoundedFrequencyRunner.run). Set before events arrive. */
  requestSync: () => void;
  /** Deletes stale UDP flows after a sync that changed something (conntrack/udp-cleanup.ts). */
  cleanConntrack?: (state: ProxyState) => Promise<{ deleted: number }>;
}

export class Proxier {
  readonly cache = new ClusterCache();
  private readonly tracker = new ChangeTracker();
  private health: HealthState = { families: {}, node: null };
  private servicesSynced = false;
  private slicesSynced = false;
  private syncs = 0;

  constructor(private readonly deps: ProxierDeps) {}

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
  }

  servicesListed(): void {
    this.servicesSynced = true;
    this.changed();
  }

  slicesListed(): void {
    this.slicesSynced = true;
    this.changed();
  }

  /** One full sync; resolves false (to be retried) when the backend refused it. */
  async sync(): Promise<boolean> {
    const { backend, family, metrics, clock, log } = this.deps;
    if (!this.ready()) return true;
    const changed = this.tracker.take();
    this.updatePending();
    const start = performance.now();
    const state = buildProxyState(this.cache, family);
    try {
      const stats = await backend.sync(state);
      const seconds = (performance.now() - start) / 1000;
      metrics.syncDuration.observe(seconds, { ip_family: family });
      metrics.syncFullDuration.observe(seconds, { ip_family: family });
      metrics.lastSyncTimestamp.set(clock.now() / 1000, { ip_family: family });
      this.health = updated(this.health, family, clock.now());
      this.syncs++;
      if (changed.size > 0) await this.cleanConntrack(state);
      log.info("Synced rules", { ipFamily: family, changedServices: changed.size, servicePorts: stats.servicePorts, endpoints: stats.endpoints, elapsed: `${(seconds * 1000).toFixed(1)}ms` }, this.syncs === 1 ? 0 : 2);
      return true;
    } catch (e) {
      metrics.syncDuration.observe((performance.now() - start) / 1000, { ip_family: family });
      if (backend.mode === "nftables") metrics.nftablesSyncFailures.inc(1, { ip_family: family });
      log.error("Sync failed; the last applied rules stay in place and the sync is retried", { ipFamily: family, err: e });
      for (const key of changed) this.tracker.serviceChanged(key);
      this.updatePending();
      return false;
    }
  }

  /** A failed cleanup is logged, not fatal: the rules are applied, and the next change retries. */
  private async cleanConntrack(state: ProxyState): Promise<void> {
    const { cleanConntrack, metrics, family, log } = this.deps;
    if (!cleanConntrack) return;
    const start = performance.now();
    try {
      const { deleted } = await cleanConntrack(state);
      metrics.conntrackDeleted.inc(deleted, { ip_family: family });
      if (deleted > 0) log.info("Deleted stale UDP conntrack flows", { ipFamily: family, deleted }, 2);
    } catch (e) {
      log.error("Stale UDP conntrack cleanup failed", { ipFamily: family, err: e });
    }
    metrics.conntrackDuration.observe((performance.now() - start) / 1000, { ip_family: family });
  }

  private changed(): void {
    this.updatePending();
    if (!this.ready()) return;
    const now = this.deps.clock.now();
    this.health = queued(this.health, this.deps.family, now);
    this.deps.metrics.lastQueuedTimestamp.set(now / 1000, { ip_family: this.deps.family });
    this.deps.requestSync();
  }

  private updatePending(): void {
    const p = this.tracker.pending();
    this.deps.metrics.serviceChangesPending.set(p.services);
    this.deps.metrics.endpointChangesPending.set(p.endpoints);
  }
}
