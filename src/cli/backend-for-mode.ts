/**
 * The backend for a proxy mode, and `--cleanup` across every mode (as upstream's cleanup removes
 * the rules of all modes, so switching modes or retiring the proxy leaves nothing behind).
 */
import type { Backend, ProxyMode } from "../backends/backend.ts";
import { createIptablesBackend, type IptablesBackendOptions } from "../backends/iptables/iptables-backend.ts";
import { createDualStackBackend } from "../backends/dual-stack.ts";
import { createNftablesBackend } from "../backends/nftables/nftables-backend.ts";
import { parseCIDR } from "../lib/cidr.ts";
import type { Runner } from "../lib/exec.ts";
import type { Logger } from "../lib/log.ts";
import type { ProxyMetrics } from "../status/proxy-metrics.ts";

/**
 * The NodeFacts settings for a mode: upstream's default --nodeport-addresses is `primary` in
 * nftables mode and every local address in iptables mode.
 */
export function nodeFactsConfigFor<T extends { mode: ProxyMode; nodePortAddresses: string[] }>(config: T): T {
  if (config.mode !== "iptables" || config.nodePortAddresses.length > 0) return config;
  return { ...config, nodePortAddresses: ["all"] };
}

/**
 * Upstream's localhost NodePorts (iptables mode, IPv4): on with --iptables-localhost-nodeports
 * when --nodeport-addresses is unset or includes loopback addresses.
 */
export function localhostNodePortsFor(config: { mode: ProxyMode; localhostNodePorts: boolean; nodePortAddresses: string[] }): boolean {
  if (config.mode !== "iptables" || !config.localhostNodePorts) return false;
  if (config.nodePortAddresses.length === 0) return true;
  return config.nodePortAddresses.some((a) => a === "all" || a === "0.0.0.0/0" || (/^127\./.test(a) && parseCIDR(a) !== null));
}

/** Upstream's iptables metrics from each restore. */
function iptablesMetricHooks(metrics: ProxyMetrics | undefined): Pick<IptablesBackendOptions, "onRestore" | "onLockWait"> {
  if (!metrics) return {};
  return {
    onRestore: (r) => {
      const fam = { ip_family: r.family };
      if (!r.ok) (r.full ? metrics.iptablesRestoreFailures : metrics.iptablesPartialRestoreFailures).inc(1, fam);
      if (!r.ok) return;
      for (const table of ["nat", "filter"] as const) {
        metrics.iptablesLast.set(r.written[table], { table, ...fam });
        metrics.iptablesTotal.set(r.total[table], { table, ...fam });
      }
    },
    onLockWait: (ms) => metrics.iptablesLockWaitSeconds.inc(ms / 1000),
  };
}

export interface BackendSettings {
  runner: Runner;
  log: Logger;
  masqueradeBit: number;
  localhostNodePorts?: boolean;
  /** iptables: drop conntrack-INVALID packets (upstream does unless nf_conntrack_tcp_be_liberal). */
  dropInvalid?: boolean;
  metrics?: ProxyMetrics;
}

export function backendForMode(mode: ProxyMode, o: BackendSettings): Backend {
  const hooks = iptablesMetricHooks(o.metrics);
  return mode === "iptables"
    ? createDualStackBackend({
        IPv4: createIptablesBackend({ runner: o.runner, family: "IPv4", masqueradeBit: o.masqueradeBit, log: o.log.with("iptables"), localhostNodePorts: o.localhostNodePorts ?? false, dropInvalid: o.dropInvalid, ...hooks }),
        IPv6: createIptablesBackend({ runner: o.runner, family: "IPv6", masqueradeBit: o.masqueradeBit, log: o.log.with("ip6tables"), dropInvalid: o.dropInvalid, ...hooks }),
      })
    : createDualStackBackend({
        IPv4: createNftablesBackend({ runner: o.runner, masqueradeBit: o.masqueradeBit, log: o.log.with("nftables") }),
        IPv6: createNftablesBackend({ runner: o.runner, masqueradeBit: o.masqueradeBit, log: o.log.with("nftables") }),
      });
}

/** Removes nftables tables and iptables/ip6tables chains of ours; resolves to the failures, [] when all went. */
export async function cleanupAllModes(runner: Runner, log: Logger): Promise<string[]> {
  const failures: string[] = [];
  const attempts: [string, () => Promise<void>][] = [
    ["nftables", () => createNftablesBackend({ runner, log }).cleanup()],
    ["iptables", () => createIptablesBackend({ runner, family: "IPv4", log }).cleanup()],
    ["ip6tables", () => createIptablesBackend({ runner, family: "IPv6", log }).cleanup()],
  ];
  for (const [what, run] of attempts) {
    try {
      await run();
    } catch (e) {
      failures.push(`${what}: ${(e as Error).message}`);
    }
  }
  return failures;
}

/**
 * On start, best-effort removal of the other mode's leftovers (as upstream does), so a node
 * switched between modes never keeps two sets of rules. Failures are logged, not fatal.
 */
export async function cleanupOtherModes(mode: ProxyMode, runner: Runner, log: Logger): Promise<void> {
  const attempts: [string, () => Promise<void>][] =
    mode === "nftables"
      ? [
          ["iptables", () => createIptablesBackend({ runner, family: "IPv4", log }).cleanup()],
          ["ip6tables", () => createIptablesBackend({ runner, family: "IPv6", log }).cleanup()],
        ]
      : [["nftables", () => createNftablesBackend({ runner, log }).cleanup()]];
  // Side by side: each family's tools are a few processes (iptables-nft ones take 15-25 ms each).
  await Promise.all(
    attempts.map(async ([what, run]) => {
      try {
        await run();
      } catch (e) {
        log.warn("Could not remove the other proxy mode's leftover rules", { mode: what, err: e });
      }
    }),
  );
}
