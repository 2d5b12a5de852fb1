/** The proxy's metrics, with upstream kube-proxy's names, labels and buckets (upstream.md section 4). */
import type { ProxyMode } from "../backends/backend.ts";
import { MetricsRegistry, exponentialBuckets, type Histogram, type Scalar } from "./metrics-registry.ts";

export interface ProxyMetrics {
  registry: MetricsRegistry;
  syncDuration: Histogram;
  syncFullDuration: Histogram;
  syncPartialDuration: Histogram;
  lastSyncTimestamp: Scalar;
  lastQueuedTimestamp: Scalar;
  serviceChangesTotal: Scalar;
  serviceChangesPending: Scalar;
  endpointChangesTotal: Scalar;
  endpointChangesPending: Scalar;
  nftablesSyncFailures: Scalar;
  healthzTotal: Scalar;
  livezTotal: Scalar;
  conntrackDuration: Histogram;
  conntrackDeleted: Scalar;
  conntrackDeletedByService: Scalar;
  networkProgrammingDuration: Histogram;
  noLocalEndpoints: Scalar;
  nftablesCleanupFailures: Scalar;
  iptablesTotal: Scalar;
  iptablesLast: Scalar;
  iptablesRestoreFailures: Scalar;
  iptablesPartialRestoreFailures: Scalar;
  iptablesLockWaitSeconds: Scalar;
}

/** Upstream's buckets for network programming latency: 0.25 s, 0.5 s, 1..59 s, 60..115 s by 5, 120..300 s by 30. */
export function networkProgrammingBuckets(): number[] {
  const out = [0.25, 0.5];
  for (let s = 1; s <= 59; s++) out.push(s);
  for (let s = 60; s <= 115; s += 5) out.push(s);
  for (let s = 120; s <= 300; s += 30) out.push(s);
  return out;
}

/**
 * The registry of a mode: as upstream registers them, nftables-only metrics exist only in
 * nftables mode and iptables-only ones only in iptables mode (the other mode's are kept in a
 * registry nobody renders, so code may still touch them).
 */
export function createProxyMetrics(mode: ProxyMode = "nftables"): ProxyMetrics {
  const r = new MetricsRegistry();
  const unused = new MetricsRegistry();
  const nft = mode === "nftables" ? r : unused;
  const ipt = mode === "iptables" ? r : unused;
  const syncBuckets = exponentialBuckets(0.001, 2, 15);
  return {
    registry: r,
    syncDuration: r.histogram("kubeproxy_sync_proxy_rules_duration_seconds", "SyncProxyRules latency in seconds", syncBuckets),
    syncFullDuration: r.histogram("kubeproxy_sync_full_proxy_rules_duration_seconds", "SyncProxyRules latency in seconds for full resyncs", syncBuckets),
    syncPartialDuration: r.histogram("kubeproxy_sync_partial_proxy_rules_duration_seconds", "SyncProxyRules latency in seconds for partial resyncs", syncBuckets),
    lastSyncTimestamp: r.gauge("kubeproxy_sync_proxy_rules_last_timestamp_seconds", "The last time proxy rules were successfully synced"),
    lastQueuedTimestamp: r.gauge("kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds", "The last time a sync of proxy rules was queued"),
    serviceChangesTotal: r.counter("kubeproxy_sync_proxy_rules_service_changes_total", "Cumulative proxy rules Service changes"),
    serviceChangesPending: r.gauge("kubeproxy_sync_proxy_rules_service_changes_pending", "Pending proxy rules Service changes"),
    endpointChangesTotal: r.counter("kubeproxy_sync_proxy_rules_endpoint_changes_total", "Cumulative proxy rules Endpoint changes"),
    endpointChangesPending: r.gauge("kubeproxy_sync_proxy_rules_endpoint_changes_pending", "Pending proxy rules Endpoint changes"),
    nftablesSyncFailures: nft.counter("kubeproxy_sync_proxy_rules_nftables_sync_failures_total", "Cumulative proxy nftables sync failures"),
    healthzTotal: r.counter("kubeproxy_proxy_healthz_total", "Cumulative proxy healthz HTTP status"),
    livezTotal: r.counter("kubeproxy_proxy_livez_total", "Cumulative proxy livez HTTP status"),
    conntrackDuration: r.histogram("kubeproxy_conntrack_reconciler_sync_duration_seconds", "Duration of one stale UDP conntrack cleanup in seconds", syncBuckets),
    conntrackDeleted: r.counter("kubeproxy_conntrack_reconciler_deleted_entries_total", "Cumulative stale UDP conntrack flows deleted"),
    conntrackDeletedByService: r.counter("kube_proxy_bun_conntrack_deleted_entries_by_service_total", "Stale UDP conntrack flows deleted, per Service (not in upstream, whose metric has only ip_family)"),
    networkProgrammingDuration: r.histogram("kubeproxy_network_programming_duration_seconds", "In Cluster Network Programming Latency in seconds", networkProgrammingBuckets()),
    noLocalEndpoints: r.gauge("kubeproxy_sync_proxy_rules_no_local_endpoints_total", "Number of services with a Local traffic policy and no endpoints"),
    nftablesCleanupFailures: nft.counter("kubeproxy_sync_proxy_rules_nftables_cleanup_failures_total", "Cumulative proxy nftables cleanup failures"),
    iptablesTotal: ipt.gauge("kubeproxy_sync_proxy_rules_iptables_total", "Total number of iptables rules owned by kube-proxy"),
    iptablesLast: ipt.gauge("kubeproxy_sync_proxy_rules_iptables_last", "Number of iptables rules written by kube-proxy in last sync"),
    iptablesRestoreFailures: ipt.counter("kubeproxy_sync_proxy_rules_iptables_restore_failures_total", "Cumulative proxy iptables restore failures"),
    iptablesPartialRestoreFailures: ipt.counter("kubeproxy_sync_proxy_rules_iptables_partial_restore_failures_total", "Cumulative proxy iptables partial restore failures"),
    iptablesLockWaitSeconds: ipt.counter("kube_proxy_bun_iptables_lock_wait_seconds_total", "Seconds iptables-restore spent waiting for the xtables lock (not in upstream)"),
  };
}
