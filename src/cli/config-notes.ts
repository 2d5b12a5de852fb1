/**
 * Settings that are accepted (upstream accepts them, and an operator's existing command line or
 * config file carries them) but change nothing in this proxy: each one gets a warning at start,
 * so nothing is ignored silently.
 */
import { defaultConfig, type Config } from "./config.ts";
import { PREFER_SAME_TRAFFIC_DISTRIBUTION } from "./feature-gates.ts";

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** One warning per accepted-but-inert setting in `c`. */
export function configNotes(c: Config): string[] {
  const d = defaultConfig(c.hostname);
  const out: string[] = [];
  const changedIpvs = (Object.keys(d.ipvs) as (keyof Config["ipvs"])[]).filter((k) => !same(c.ipvs[k], d.ipvs[k]));
  if (changedIpvs.length > 0) out.push(`IPVS settings have no effect in ${c.mode} mode (as upstream outside IPVS mode): ${changedIpvs.map((k) => `ipvs.${k.replace(/Ms$/, "")}`).join(", ")}`);
  if (c.mode === "nftables" && !c.localhostNodePorts) out.push("iptables.localhostNodePorts (--iptables-localhost-nodeports) has no effect in nftables mode (as upstream)");
  if (c.enableProfiling) out.push("profiling (--profiling / enableProfiling) is not available in kube-proxy-bun: no /debug/pprof endpoints are served");
  if (c.kubeApiContentType !== d.kubeApiContentType || c.kubeApiAcceptContentTypes !== d.kubeApiAcceptContentTypes) out.push("kube-proxy-bun always talks JSON to the API server; the configured content types are not used");
  if (c.kubeApiQps !== d.kubeApiQps || c.kubeApiBurst !== d.kubeApiBurst) out.push("client-side API rate limits (qps, burst) are not applied: the proxy sends one list and one watch per resource");
  // PreferSameTrafficDistribution is honoured (topology node hints); the others change nothing here.
  const gates = Object.keys(c.featureGates).filter((g) => g !== PREFER_SAME_TRAFFIC_DISTRIBUTION);
  if (gates.length > 0) out.push(`feature gates accepted but without effect in kube-proxy-bun: ${gates.join(", ")}`);
  if (c.configSyncPeriodMs !== d.configSyncPeriodMs) out.push("configSyncPeriod (--config-sync-period) has no effect: the informers do not replay their cache periodically");
  if (c.logging.vmodule) out.push("per-file verbosity (--vmodule) is not supported; -v applies to every file");
  return out;
}
