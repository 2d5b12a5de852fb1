/**
 * The proxy's validated configuration: what the flags and the `--config` file
 * (KubeProxyConfiguration v1alpha1) resolve to, after upstream's defaulting and precedence.
 * Durations are milliseconds; addresses and CIDRs are canonical text.
 */
import type { ProxyMode } from "../backends/backend.ts";
import type { ConntrackSettings } from "../conntrack/sysctls.ts";
import type { BindAddress } from "./bind-address.ts";

/** The conntrack.* settings (upstream's --conntrack-* flags), as conntrack/sysctls.ts applies them. */
export type ConntrackConfig = ConntrackSettings;

/** IPVS settings: validated and echoed in /configz, used by no mode this proxy runs. */
export interface IpvsConfig {
  syncPeriodMs: number;
  minSyncPeriodMs: number;
  scheduler: string;
  excludeCIDRs: string[];
  strictARP: boolean;
  tcpTimeoutMs: number;
  tcpFinTimeoutMs: number;
  udpTimeoutMs: number;
}

export interface LoggingConfig {
  format: "text" | "json";
  flushFrequencyMs: number;
  /** `pattern=N,...` as given; not acted on (a warning says so). */
  vmodule: string;
}

export interface Config {
  kubeconfig: string;
  master: string;
  /** The node this proxy serves: --hostname-override, trimmed and lower-cased, else the OS hostname. */
  hostname: string;
  /** --hostname-override / hostnameOverride as given (trimmed, lower-cased), "" when unset. */
  hostnameOverride: string;
  mode: ProxyMode;
  healthzBindAddress: BindAddress | null;
  metricsBindAddress: BindAddress | null;
  syncPeriodMs: number;
  minSyncPeriodMs: number;
  verbosity: number;
  /** Sandbox only: apply rules inside this network namespace (the lab's node) instead of our own. */
  sandboxNetns: string;
  /** --cleanup: remove every rule this proxy (either mode) created, then exit. */
  cleanup: boolean;
  /** --nodeport-addresses: CIDRs and the keywords "primary" / "all"; [] means the mode's default ("primary" in nftables mode). */
  nodePortAddresses: string[];
  /** --masquerade-all: SNAT all ClusterIP traffic. */
  masqueradeAll: boolean;
  /** --iptables-masquerade-bit (nftables.masqueradeBit): the fwmark bit, 0-31. */
  masqueradeBit: number;
  /** --cluster-cidr: pod CIDRs, at most one per family, canonical text. */
  clusterCIDRs: string[];
  /** --detect-local-mode. */
  detectLocalMode: "ClusterCIDR" | "NodeCIDR" | "BridgeInterface" | "InterfaceNamePrefix";
  /** --pod-bridge-interface (BridgeInterface mode). */
  podBridgeInterface: string;
  /** --pod-interface-name-prefix (InterfaceNamePrefix mode). */
  podInterfaceNamePrefix: string;

  /** --config: the KubeProxyConfiguration file read, "" when none. */
  configFile: string;
  /** --write-config-to: write the resolved configuration there and exit. */
  writeConfigTo: string;
  /** --init-only: do the root-only initialisation and exit. */
  initOnly: boolean;
  featureGates: Record<string, boolean>;
  kubeApiContentType: string;
  kubeApiAcceptContentTypes: string;
  kubeApiQps: number;
  kubeApiBurst: number;
  /** --bind-address: overrides the node's primary IP (binds nothing). */
  bindAddress: string;
  /** --bind-address-hard-fail: exit when a status server cannot bind. */
  bindAddressHardFail: boolean;
  enableProfiling: boolean;
  showHiddenMetricsForVersion: string;
  /** --iptables-localhost-nodeports (iptables mode only). */
  localhostNodePorts: boolean;
  oomScoreAdj: number;
  conntrack: ConntrackConfig;
  configSyncPeriodMs: number;
  ipvs: IpvsConfig;
  logging: LoggingConfig;
  /** --proxy-port-range: a deprecated no-op upstream. */
  portRange: string;
  /** --api-mode: follow the API server with list+watch (default) or by listing every --poll-interval. */
  apiMode: "watch" | "poll";
  pollIntervalMs: number;
}

/** Upstream's defaults (the kube-proxy-bun default mode is nftables), for a given OS hostname. */
export function defaultConfig(osHostname: string): Config {
  return {
    kubeconfig: "",
    master: "",
    hostname: osHostname.trim().toLowerCase(),
    hostnameOverride: "",
    mode: "nftables",
    healthzBindAddress: { host: "0.0.0.0", port: 10256 },
    metricsBindAddress: { host: "127.0.0.1", port: 10249 },
    syncPeriodMs: 30_000,
    minSyncPeriodMs: 1000,
    verbosity: 0,
    sandboxNetns: "",
    cleanup: false,
    nodePortAddresses: [],
    masqueradeAll: false,
    masqueradeBit: 14,
    clusterCIDRs: [],
    detectLocalMode: "ClusterCIDR",
    podBridgeInterface: "",
    podInterfaceNamePrefix: "",
    configFile: "",
    writeConfigTo: "",
    initOnly: false,
    featureGates: {},
    kubeApiContentType: "application/vnd.kubernetes.protobuf",
    kubeApiAcceptContentTypes: "",
    kubeApiQps: 5,
    kubeApiBurst: 10,
    bindAddress: "0.0.0.0",
    bindAddressHardFail: false,
    enableProfiling: false,
    showHiddenMetricsForVersion: "",
    localhostNodePorts: true,
    oomScoreAdj: -999,
    conntrack: {
      maxPerCore: 32768,
      min: 131072,
      tcpEstablishedTimeoutMs: 24 * 3_600_000,
      tcpCloseWaitTimeoutMs: 3_600_000,
      tcpBeLiberal: false,
      udpTimeoutMs: 0,
      udpStreamTimeoutMs: 0,
    },
    configSyncPeriodMs: 15 * 60_000,
    ipvs: { syncPeriodMs: 30_000, minSyncPeriodMs: 1000, scheduler: "", excludeCIDRs: [], strictARP: false, tcpTimeoutMs: 0, tcpFinTimeoutMs: 0, udpTimeoutMs: 0 },
    logging: { format: "text", flushFrequencyMs: 5000, vmodule: "" },
    portRange: "",
    apiMode: "watch",
    pollIntervalMs: 10_000,
  };
}
