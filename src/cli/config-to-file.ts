/**
 * A Config as a KubeProxyConfiguration v1alpha1 object: what `--write-config-to` writes (as
 * YAML) and what `/configz` serves. Every field is written out, defaults included, and the
 * result loads back (config-file.ts) into the same Config.
 */
import { formatDuration } from "../lib/duration.ts";
import { formatBindAddress, type BindAddress } from "./bind-address.ts";
import { CONFIG_API_VERSION, CONFIG_KIND } from "./config-file.ts";
import type { Config } from "./config.ts";

const d = formatDuration;
const addr = (b: BindAddress | null) => (b ? formatBindAddress(b) : "");

export function configToFile(c: Config): Record<string, unknown> {
  const sync = { masqueradeBit: c.masqueradeBit, masqueradeAll: c.masqueradeAll, syncPeriod: d(c.syncPeriodMs), minSyncPeriod: d(c.minSyncPeriodMs) };
  return {
    apiVersion: CONFIG_API_VERSION,
    kind: CONFIG_KIND,
    featureGates: c.featureGates,
    clientConnection: { kubeconfig: c.kubeconfig, acceptContentTypes: c.kubeApiAcceptContentTypes, contentType: c.kubeApiContentType, qps: c.kubeApiQps, burst: c.kubeApiBurst },
    logging: {
      format: c.logging.format,
      flushFrequency: d(c.logging.flushFrequencyMs),
      verbosity: c.verbosity,
      ...(c.logging.vmodule ? { vmodule: c.logging.vmodule.split(",").map((p) => ({ filePattern: p.split("=")[0], verbosity: Number(p.split("=")[1]) })) } : {}),
    },
    hostnameOverride: c.hostnameOverride,
    bindAddress: c.bindAddress,
    healthzBindAddress: addr(c.healthzBindAddress),
    metricsBindAddress: addr(c.metricsBindAddress),
    bindAddressHardFail: c.bindAddressHardFail,
    enableProfiling: c.enableProfiling,
    showHiddenMetricsForVersion: c.showHiddenMetricsForVersion,
    mode: c.mode,
    iptables: { ...sync, localhostNodePorts: c.localhostNodePorts },
    nftables: sync,
    ipvs: {
      syncPeriod: d(c.ipvs.syncPeriodMs), minSyncPeriod: d(c.ipvs.minSyncPeriodMs), scheduler: c.ipvs.scheduler, excludeCIDRs: c.ipvs.excludeCIDRs,
      strictARP: c.ipvs.strictARP, tcpTimeout: d(c.ipvs.tcpTimeoutMs), tcpFinTimeout: d(c.ipvs.tcpFinTimeoutMs), udpTimeout: d(c.ipvs.udpTimeoutMs),
    },
    detectLocalMode: c.detectLocalMode,
    detectLocal: { bridgeInterface: c.podBridgeInterface, interfaceNamePrefix: c.podInterfaceNamePrefix },
    clusterCIDR: c.clusterCIDRs.join(","),
    nodePortAddresses: c.nodePortAddresses,
    oomScoreAdj: c.oomScoreAdj,
    conntrack: {
      maxPerCore: c.conntrack.maxPerCore, min: c.conntrack.min, tcpEstablishedTimeout: d(c.conntrack.tcpEstablishedTimeoutMs), tcpCloseWaitTimeout: d(c.conntrack.tcpCloseWaitTimeoutMs),
      tcpBeLiberal: c.conntrack.tcpBeLiberal, udpTimeout: d(c.conntrack.udpTimeoutMs), udpStreamTimeout: d(c.conntrack.udpStreamTimeoutMs),
    },
    configSyncPeriod: d(c.configSyncPeriodMs),
    portRange: c.portRange,
  };
}

/** The YAML `--write-config-to` writes. */
export function configToYaml(c: Config): string {
  return Bun.YAML.stringify(configToFile(c), null, 2) + "\n";
}
