/**
 * Runs the proxy with a validated Config: the imperative shell. Builds the real dependencies,
 * starts informers, the sync runner and status servers, and on SIGINT/SIGTERM stops them in
 * order. The kernel's rules are left as they are on exit: only `--cleanup` removes them.
 */
import { watch } from "node:fs";
import packageJson from "../../package.json" with { type: "json" };
import { cleanStaleUdpFlows } from "../conntrack/udp-cleanup.ts";
import { cpus } from "node:os";
import { applyConntrackSysctls, desiredConntrackSysctls } from "../conntrack/sysctls.ts";
import { inNetns, realRunner, type Runner } from "../lib/exec.ts";
import { normalJitPolicy } from "../lib/jit-tiers.ts";
import { createLogger, type Logger } from "../lib/log.ts";
import { networkInterfaces } from "node:os";
import { healthCheckAddresses } from "../model/health-check-addresses.ts";
import { createHealthzApp } from "../status/healthz-app.ts";
import { healthReport } from "../status/proxy-health.ts";
import { bunListen, ServiceHealthServers } from "../status/service-health-servers.ts";
import { createMetricsApp } from "../status/metrics-app.ts";
import { registerProcessMetrics } from "../status/process-metrics.ts";
import { createProxyMetrics } from "../status/proxy-metrics.ts";
import { StatusBoard } from "../status/proxy-status.ts";
import { serveStatus, type StatusServer } from "../status/serve.ts";
import { BoundedFrequencyRunner } from "../sync/bounded-frequency-runner.ts";
import { realClock } from "../sync/clock.ts";
import { Proxier } from "../sync/proxier.ts";
import { backendForMode, cleanupAllModes, cleanupOtherModes, localhostNodePortsFor, nodeFactsConfigFor } from "./backend-for-mode.ts";
import type { Config } from "./config.ts";
import { configToFile } from "./config-to-file.ts";
import { connect } from "./connect.ts";
import { preferSameTrafficDistribution } from "./feature-gates.ts";
import { startProxyInformers } from "./proxy-informers.ts";

/** Upstream syncs at least hourly even without changes. */
const MAX_SYNC_INTERVAL_MS = 3_600_000;

/** How long after the first sync of every family its chores start (see startAfterFirstSync). */
const AFTER_FIRST_SYNC_DELAY_MS = 200;

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

/** Upstream's oom-score-adj for its own process; a failure (no privilege) is only a warning. */
async function applyOomScoreAdj(value: number, log: Logger): Promise<void> {
  try {
    await Bun.write("/proc/self/oom_score_adj", String(value));
  } catch (e) {
    log.warn("Cannot set oom_score_adj", { value, err: e });
  }
}

/**
 * Upstream's conntrack sysctls. In the sandbox (--sandbox-netns) only the lab namespace's own
 * values are set: nf_conntrack_max and the hash size belong to the whole machine.
 */
async function setConntrackSysctls(config: Config, runner: Runner, log: Logger): Promise<void> {
  await applyConntrackSysctls(runner, desiredConntrackSysctls(config.conntrack, cpus().length), log.with("conntrack"), config.sandboxNetns === "");
}

/** `warnings`: what resolving the configuration had to say (ignored or inert settings), logged first. */
export async function runProxy(config: Config, warnings: string[] = []): Promise<number> {
  const log = createLogger(config.verbosity, undefined, "kube-proxy", undefined, config.logging.format);
  for (const w of warnings) log.warn(w);
  if (config.cleanup) return cleanupAndExit(config, log);
  await applyOomScoreAdj(config.oomScoreAdj, log);
  const runner = config.sandboxNetns ? inNetns(realRunner, config.sandboxNetns) : realRunner;
  if (config.initOnly) {
    await setConntrackSysctls(config, runner, log);
    log.info("Initialisation done (--init-only); exiting");
    return 0;
  }
  log.info("Starting kube-proxy-bun", { mode: config.mode, node: config.hostname, syncPeriod: `${config.syncPeriodMs}ms`, minSyncPeriod: `${config.minSyncPeriodMs}ms` });

  const connection = await connect(config).catch((e: Error) => e);
  if (connection instanceof Error) {
    log.error(connection.message);
    return 1;
  }

  // After every family's first sync the JIT gets its normal thresholds back (lib/jit-tiers.ts).
  // Two chores wait until every family's first sync is done (or 10 s, for an API server that does
  // not answer): the conntrack sysctls, which no rule depends on, and removing the other proxy
  // mode's leftover rules. Their processes would compete for the CPUs with the first list and
  // render (bun run bench B1: start to ready ~20 ms sooner at 1k x 10); and on a switch of mode
  // the old rules keep serving until ours are in, instead of leaving a gap with neither.
  // Neither ever throws: each logs what failed.
  let afterFirstSync: Promise<unknown> | null = null;
  const startAfterFirstSync = () => {
    if (afterFirstSync) return;
    normalJitPolicy();
    afterFirstSync = Promise.all([cleanupOtherModes(config.mode, runner, log), setConntrackSysctls(config, runner, log)]);
  };
  let choresTimer = setTimeout(startAfterFirstSync, 10_000);
  let choresSoon = false;
  // Not from within the sync: their processes' start (~15 ms here) would hold up the answer to
  // the first /readyz that can say yes, and the rest of the sync's bookkeeping.
  const afterReady = () => {
    if (choresSoon) return;
    choresSoon = true;
    clearTimeout(choresTimer);
    choresTimer = setTimeout(startAfterFirstSync, AFTER_FIRST_SYNC_DELAY_MS);
  };
  const metrics = createProxyMetrics(config.mode);
  const backend = backendForMode(config.mode, { runner, log, masqueradeBit: config.masqueradeBit, localhostNodePorts: localhostNodePortsFor(config), dropInvalid: !config.conntrack.tcpBeLiberal, metrics });
  registerProcessMetrics(metrics.registry);
  const board = new StatusBoard({ mode: config.mode, version: `v${packageJson.version}`, runtime: `bun ${Bun.version}`, node: config.hostname, startedAt: realClock.now() }, config.apiMode, ["IPv4", "IPv6"]);
  let syncRunner: BoundedFrequencyRunner | undefined;
  // Both families; NodePorts, external addresses and masquerading from NodeFacts.
  // Health-check node ports listen on the NodePort addresses. In the sandbox those live in the
  // lab's node namespace, which this process cannot bind in, so they listen on loopback there.
  const hostAddresses = () => Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address));
  let proxier: Proxier | undefined;
  const healthServers = new ServiceHealthServers({
    listen: bunListen,
    addresses: () => (config.sandboxNetns ? ["127.0.0.1"] : healthCheckAddresses(proxier?.nodeFactsNow() ?? [], hostAddresses())),
    // The proxy's own health, as /livez computes it.
    proxyHealthy: () => proxier !== undefined && healthReport(proxier.healthState(), realClock.now(), 2 * config.syncPeriodMs, false).status === 200,
    log: log.with("health-check"),
  });
  // Sandbox only (with --sandbox-netns): KPB_SANDBOX_SKIP_CONNTRACK_CLEANUP=1 turns the UDP cleanup off, so a test can show what it prevents.
  const cleanConntrack = config.sandboxNetns && process.env.KPB_SANDBOX_SKIP_CONNTRACK_CLEANUP === "1" ? undefined : (state: Parameters<typeof cleanStaleUdpFlows>[1]) => cleanStaleUdpFlows(runner, state);
  proxier = new Proxier({ backend, family: "IPv4", families: ["IPv4", "IPv6"] as const, nodeFacts: nodeFactsConfigFor(config), nodeName: config.hostname, preferSameNode: preferSameTrafficDistribution(config.featureGates), metrics, clock: realClock, log: log.with("proxier"), requestSync: () => syncRunner?.run(), cleanConntrack, healthServers, onSync: (r) => {
      board.recordSync(r);
      if (board.ready()) afterReady();
    } });
  const theProxier = proxier;
  syncRunner = new BoundedFrequencyRunner(() => theProxier.sync(), { minIntervalMs: config.minSyncPeriodMs, retryIntervalMs: config.syncPeriodMs, maxIntervalMs: MAX_SYNC_INTERVAL_MS }, realClock);

  // The lists go out before the status servers start: the API server prepares its first pages
  // on the other core meanwhile (bun run bench B1).
  const informers = startProxyInformers({ connection, nodeName: config.hostname, proxier: theProxier, log: log.with("informer"), board, apiMode: config.apiMode, pollIntervalMs: config.pollIntervalMs });
  syncRunner.start();

  let fatal: (why: string) => void = () => {};
  const fatalError = new Promise<string>((resolve) => (fatal = resolve));
  const hardFail = config.bindAddressHardFail ? (why: string) => fatal(why) : undefined;
  const servers: StatusServer[] = [];
  if (config.healthzBindAddress) {
    const app = createHealthzApp({ health: () => theProxier.healthState(), now: () => realClock.now(), timeoutMs: 2 * config.syncPeriodMs, metrics, ready: () => board.ready() });
    servers.push(serveStatus("healthz", app, config.healthzBindAddress, log, 5000, hardFail));
  }
  if (config.metricsBindAddress) {
    const app = createMetricsApp({ metrics, mode: config.mode, configz: () => configToFile(config), status: () => board.report(realClock.now()) });
    servers.push(serveStatus("metrics", app, config.metricsBindAddress, log, 5000, hardFail));
  }
  // Upstream exits when its config file changes, to be restarted with the new one.
  const configWatcher = config.configFile ? watch(config.configFile, () => fatal(`the config file ${config.configFile} changed; exiting to be restarted with it`)) : undefined;

  // Upstream's iptables canary: checked every sync period; if our rules were flushed, resync in full.
  const watchdog = backend.watchdog
    ? setInterval(() => {
        void backend.watchdog!().then((gone) => gone && syncRunner!.run(), (e: Error) => log.warn("Canary check failed", { err: e }));
      }, config.syncPeriodMs)
    : undefined;

  const signalled = new Promise<string>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  const ending = await Promise.race([signalled.then((signal) => ({ signal, error: null })), fatalError.then((error) => ({ signal: null, error }))]);
  if (ending.error) log.error(`Exiting: ${ending.error}; the rules stay in place`);
  else log.info("Shutting down; the rules stay in place", { signal: ending.signal });
  clearTimeout(choresTimer);
  await afterFirstSync;
  configWatcher?.close();
  clearInterval(watchdog);
  await informers.stop();
  await syncRunner.stop();
  backend.close?.();
  await Promise.all(servers.map((s) => s.stop()));
  await healthServers.stop();
  return ending.error ? 1 : 0;
}
