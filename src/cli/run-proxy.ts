/**
 * Runs the proxy with a validated Config: the imperative shell. Builds the real dependencies,
 * starts informers, the sync runner and status servers, and on SIGINT/SIGTERM stops them in
 * order. The kernel's rules are left as they are on exit: only `--cleanup` removes them.
 */
import { cleanStaleUdpFlows } from "../conntrack/udp-cleanup.ts";
import { inNetns, realRunner } from "../lib/exec.ts";
import { createLogger, type Logger } from "../lib/log.ts";
import { createHealthzApp } from "../status/healthz-app.ts";
import { createMetricsApp } from "../status/metrics-app.ts";
import { createProxyMetrics } from "../status/proxy-metrics.ts";
import { serveStatus, type StatusServer } from "../status/serve.ts";
import { BoundedFrequencyRunner } from "../sync/bounded-frequency-runner.ts";
import { realClock } from "../sync/clock.ts";
import { Proxier } from "../sync/proxier.ts";
import { backendForMode, cleanupAllModes, cleanupOtherModes } from "./backend-for-mode.ts";
import type { Config } from "./config.ts";
import { connect } from "./connect.ts";
import { startProxyInformers } from "./proxy-informers.ts";

/** Upstream syncs at least hourly even without changes. */
const MAX_SYNC_INTERVAL_MS = 3_600_000;

/** Flags whose semantics the backends do not carry yet: set to anything but the default, they stop the proxy. */
function unimplementedFlags(config: Config): string[] {
  const out: string[] = [];
  if (config.nodePortAddresses.length > 0) out.push("--nodeport-addresses");
  if (config.masqueradeAll) out.push("--masquerade-all");
  if (config.masqueradeBit !== 14) out.push("--iptables-masquerade-bit");
  if (config.clusterCIDRs.length > 0) out.push("--cluster-cidr");
  if (config.detectLocalMode !== "ClusterCIDR") out.push("--detect-local-mode");
  return out;
}

/** --cleanup: remove the rules of every mode, exit non-zero if anything failed. */
async function cleanupAndExit(config: Config, log: Logger): Promise<number> {
  const runner = config.sandboxNetns ? inNetns(realRunner, config.sandboxNetns) : realRunner;
  const failures = await cleanupAllModes(runner, log);
  if (failures.length > 0) {
    log.error("Cleanup failed", { failures });
    return 1;
  }
  log.info("Cleanup done: nftables tables and iptables chains of kube-proxy are gone");
  return 0;
}

export async function runProxy(config: Config): Promise<number> {
  const log = createLogger(config.verbosity);
  const unimplemented = unimplementedFlags(config);
  if (unimplemented.length > 0) {
    log.error("These flags are parsed but not implemented yet; refusing to run rather than ignore them", { flags: unimplemented });
    return 1;
  }
  if (config.cleanup) return cleanupAndExit(config, log);
  log.info("Starting kube-proxy-bun", { mode: config.mode, node: config.hostname, syncPeriod: `${config.syncPeriodMs}ms`, minSyncPeriod: `${config.minSyncPeriodMs}ms` });

  const connection = await connect(config).catch((e: Error) => e);
  if (connection instanceof Error) {
    log.error(connection.message);
    return 1;
  }

  const runner = config.sandboxNetns ? inNetns(realRunner, config.sandboxNetns) : realRunner;
  await cleanupOtherModes(config.mode, runner, log);
  const backend = backendForMode(config.mode, { runner, log, masqueradeBit: config.masqueradeBit });
  const metrics = createProxyMetrics();
  let syncRunner: BoundedFrequencyRunner | undefined;
  const proxier = new Proxier({ backend, family: "IPv4", metrics, clock: realClock, log: log.with("proxier"), requestSync: () => syncRunner?.run(), cleanConntrack: (state) => cleanStaleUdpFlows(runner, state) });
  syncRunner = new BoundedFrequencyRunner(() => proxier.sync(), { minIntervalMs: config.minSyncPeriodMs, retryIntervalMs: config.syncPeriodMs, maxIntervalMs: MAX_SYNC_INTERVAL_MS }, realClock);

  const servers: StatusServer[] = [];
  if (config.healthzBindAddress) {
    const app = createHealthzApp({ health: () => proxier.healthState(), now: () => realClock.now(), timeoutMs: 2 * config.syncPeriodMs, metrics });
    servers.push(serveStatus("healthz", app, config.healthzBindAddress, log));
  }
  if (config.metricsBindAddress) servers.push(serveStatus("metrics", createMetricsApp({ metrics, mode: config.mode }), config.metricsBindAddress, log));

  syncRunner.start();
  const informers = startProxyInformers({ connection, nodeName: config.hostname, proxier, log: log.with("informer") });

  const signal = await new Promise<string>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  log.info("Shutting down; the rules stay in place", { signal });
  await informers.stop();
  await syncRunner.stop();
  await Promise.all(servers.map((s) => s.stop()));
  return 0;
}
