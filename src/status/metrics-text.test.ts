/** The whole /metrics text, with every metric family populated, checked by Prometheus' own parser (promtool). */
import { describe, expect, test } from "bun:test";
import { createMetricsApp } from "./metrics-app.ts";
import { registerProcessMetrics } from "./process-metrics.ts";
import { createProxyMetrics, networkProgrammingBuckets } from "./proxy-metrics.ts";

const promtool = Bun.which("promtool");

function populated() {
  const m = createProxyMetrics();
  registerProcessMetrics(m.registry);
  for (const ip_family of ["IPv4", "IPv6"]) {
    m.syncDuration.observe(0.012, { ip_family });
    m.syncFullDuration.observe(0.012, { ip_family });
    m.syncPartialDuration.observe(0.002, { ip_family });
    m.lastSyncTimestamp.set(1_700_000_000.5, { ip_family });
    m.lastQueuedTimestamp.set(1_700_000_000.25, { ip_family });
    m.networkProgrammingDuration.observe(1.7, { ip_family });
    m.nftablesSyncFailures.inc(1, { ip_family });
    m.nftablesCleanupFailures.inc(0, { ip_family });
    m.conntrackDuration.observe(0.001, { ip_family });
    m.conntrackDeleted.inc(3, { ip_family });
    for (const traffic_policy of ["internal", "external"]) m.noLocalEndpoints.set(0, { traffic_policy, ip_family });
  }
  m.serviceChangesTotal.inc(4);
  m.serviceChangesPending.set(0);
  m.endpointChangesTotal.inc(7);
  m.endpointChangesPending.set(1);
  m.healthzTotal.inc(1, { code: "200" });
  m.livezTotal.inc(1, { code: "503" });
  return m;
}

describe("/metrics text", () => {
  test("has every upstream kubeproxy_* metric of the nftables mode and the process metrics", async () => {
    const text = await (await createMetricsApp({ metrics: populated(), mode: "nftables" }).request("/metrics")).text();
    const types = Object.fromEntries([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]));
    expect(types).toMatchObject({
      kubeproxy_sync_proxy_rules_duration_seconds: "histogram",
      kubeproxy_sync_full_proxy_rules_duration_seconds: "histogram",
      kubeproxy_sync_partial_proxy_rules_duration_seconds: "histogram",
      kubeproxy_sync_proxy_rules_last_timestamp_seconds: "gauge",
      kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds: "gauge",
      kubeproxy_network_programming_duration_seconds: "histogram",
      kubeproxy_sync_proxy_rules_endpoint_changes_total: "counter",
      kubeproxy_sync_proxy_rules_endpoint_changes_pending: "gauge",
      kubeproxy_sync_proxy_rules_service_changes_total: "counter",
      kubeproxy_sync_proxy_rules_service_changes_pending: "gauge",
      kubeproxy_sync_proxy_rules_no_local_endpoints_total: "gauge",
      kubeproxy_proxy_healthz_total: "counter",
      kubeproxy_proxy_livez_total: "counter",
      kubeproxy_conntrack_reconciler_sync_duration_seconds: "histogram",
      kubeproxy_conntrack_reconciler_deleted_entries_total: "counter",
      kubeproxy_sync_proxy_rules_nftables_sync_failures_total: "counter",
      kubeproxy_sync_proxy_rules_nftables_cleanup_failures_total: "counter",
      process_cpu_seconds_total: "counter",
      process_resident_memory_bytes: "gauge",
      process_start_time_seconds: "gauge",
      process_open_fds: "gauge",
      process_max_fds: "gauge",
      process_virtual_memory_bytes: "gauge",
    });
    expect(text).toMatch(/^process_open_fds [1-9]\d*$/m);
    expect(text).toMatch(/^process_resident_memory_bytes [1-9]\d*$/m);
    const start = Number(/^process_start_time_seconds (\S+)$/m.exec(text)![1]);
    expect(Math.abs(start - (Date.now() / 1000 - process.uptime()))).toBeLessThan(5);
  });

  test("sync histograms: 15 exponential buckets from 1 ms; network programming: upstream's buckets", () => {
    expect(createProxyMetrics().syncDuration.buckets).toEqual(Array.from({ length: 15 }, (_, i) => 0.001 * 2 ** i));
    const b = networkProgrammingBuckets();
    expect(b.slice(0, 4)).toEqual([0.25, 0.5, 1, 2]);
    expect(b).toContain(59);
    expect(b).toContain(115);
    expect(b.slice(-7)).toEqual([120, 150, 180, 210, 240, 270, 300]);
    expect(b.length).toBe(2 + 59 + 12 + 7);
  });

  // promtool exits 1 on a parse error and 3 on lint findings only. Upstream's own name for a gauge
  // ends in _total; that lint finding is kept for dashboard compatibility and is the only one allowed.
  test.skipIf(!promtool)("promtool check metrics parses the text, with no lint finding but upstream's gauge name", async () => {
    const text = populated().registry.render();
    const p = Bun.spawn([promtool!, "check", "metrics"], { stdin: new TextEncoder().encode(text), stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    const findings = (out + err).split("\n").filter((l) => l.trim() !== "");
    expect(findings).toEqual(['kubeproxy_sync_proxy_rules_no_local_endpoints_total non-counter metrics should not have "_total" suffix']);
    expect(code).toBe(3);
  });
});
