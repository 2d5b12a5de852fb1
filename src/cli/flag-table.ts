/**
 * Every command-line flag the proxy accepts: upstream kube-proxy's Linux flags with their names,
 * defaults and help (upstream.md section 2.1), plus a few of our own. A flag's valibot schema
 * turns its text into a typed value or an issue that says why; `set` puts the value in a Config.
 */
import * as v from "valibot";
import type { Config } from "./config.ts";
import {
  bindAddressValue, cidrListValue, clusterCIDRsValue, durationValue, featureGatesValue, interfaceNameValue,
  intValue, ipValue, nodePortAddressesValue, nonNegativeNumberValue,
} from "./value-schemas.ts";

export interface FlagSpec {
  /** Long name without dashes, as upstream spells it. */
  name: string;
  /** Boolean flags take no value (`--flag` or `--flag=true|false`). */
  boolean?: boolean;
  /** The default as text, for --help. */
  default: string;
  help: string;
  schema: v.GenericSchema<string, unknown>;
  /** Puts the parsed value into the Config. */
  set(c: Config, value: never): void;
  /** Still applies when --config is given (upstream's exceptions, and our flags with no file field). */
  overridesFile?: boolean;
  hidden?: boolean;
  /** Set: the flag is deprecated (upstream too); the text is logged as a warning when used. */
  deprecated?: string;
}

/** A flag schema from a plain checking function (value-schemas.ts). */
const from = <T>(fn: (s: string) => T) =>
  v.pipe(
    v.string(),
    v.rawTransform<string, T>(({ dataset, addIssue, NEVER }) => {
      try {
        return fn(dataset.value);
      } catch (e) {
        addIssue({ message: (e as Error).message });
        return NEVER;
      }
    }),
  );

const Duration = from(durationValue);
const Str = v.string();
const Bool = v.string(); // booleans are parsed by parse-flags (Go's ParseBool forms)
const Int32 = from((s) => intValue(s, -2147483648, 2147483647));
const NonNegInt = from((s) => intValue(s, 0, 2147483647));
const pick = <T extends string>(values: readonly T[]) => v.picklist(values, `must be ${values.map((x) => `'${x}'`).join(", ").replace(/, ([^,]*)$/, " or $1")}`);

type Flag = Omit<FlagSpec, "set"> & { set: (c: Config, value: any) => void };

const flag = (f: Flag): FlagSpec => f as FlagSpec;

export const FLAGS: FlagSpec[] = [
  // Files and one-shot actions.
  flag({ name: "config", default: "", help: "The path to a KubeProxyConfiguration file (YAML or JSON); most flags are then ignored (upstream's rule).", schema: Str, set: (c, x: string) => (c.configFile = x), overridesFile: true }),
  flag({ name: "write-config-to", default: "", help: "If set, write the resolved configuration to this file and exit.", schema: Str, set: (c, x: string) => (c.writeConfigTo = x), overridesFile: true }),
  flag({ name: "cleanup", boolean: true, default: "false", help: "Remove the rules of every proxy mode (nftables tables and iptables chains) and exit.", schema: Bool, set: (c, x: boolean) => (c.cleanup = x), overridesFile: true }),
  flag({ name: "init-only", boolean: true, default: "false", help: "Do the root-only initialisation and exit.", schema: Bool, set: (c, x: boolean) => (c.initOnly = x), overridesFile: true }),
  flag({ name: "feature-gates", default: "", help: "Feature gates as key=true|false pairs, comma-separated.", schema: from(featureGatesValue), set: (c, x: Record<string, boolean>) => (c.featureGates = x) }),
  // The API server.
  flag({ name: "kubeconfig", default: "", help: "Path to a kubeconfig file with authorization and API server location.", schema: Str, set: (c, x: string) => (c.kubeconfig = x) }),
  flag({ name: "master", default: "", help: "The address of the Kubernetes API server (overrides any value in kubeconfig).", schema: v.pipe(v.string(), v.check((s) => s === "" || URL.canParse(s), "must be a URL such as https://10.0.0.1:6443")), set: (c, x: string) => (c.master = x), overridesFile: true }),
  flag({ name: "kube-api-content-type", default: "application/vnd.kubernetes.protobuf", help: "Content type of requests sent to the API server (this proxy always reads JSON).", schema: Str, set: (c, x: string) => (c.kubeApiContentType = x) }),
  flag({ name: "kube-api-qps", default: "5", help: "QPS to use while talking with the API server.", schema: from(nonNegativeNumberValue), set: (c, x: number) => (c.kubeApiQps = x) }),
  flag({ name: "kube-api-burst", default: "10", help: "Burst to use while talking with the API server.", schema: NonNegInt, set: (c, x: number) => (c.kubeApiBurst = x) }),
  flag({ name: "api-mode", default: "watch", help: "How to follow the API server: 'watch' (list then watch) or 'poll' (list every --poll-interval).", schema: pick(["watch", "poll"] as const), set: (c, x: Config["apiMode"]) => (c.apiMode = x), overridesFile: true }),
  flag({ name: "poll-interval", default: "10s", help: "How often to list Services and EndpointSlices in --api-mode=poll.", schema: v.pipe(Duration, v.check((ms) => ms > 0, "must be greater than 0")), set: (c, x: number) => (c.pollIntervalMs = x), overridesFile: true }),
  // The node and the status servers.
  flag({ name: "hostname-override", default: "", help: "If non-empty, will be used as the name of the Node that kube-proxy is running on.", schema: Str, set: setHostname, overridesFile: true }),
  flag({ name: "bind-address", default: "0.0.0.0", help: "Overrides the node's primary IP (binds nothing); an IPv6 address moves the status servers' defaults to IPv6.", schema: from(ipValue), set: (c, x: string) => (c.bindAddress = x) }),
  flag({ name: "bind-address-hard-fail", boolean: true, default: "false", help: "Exit when the health or metrics server cannot bind its port (else retry every 5s).", schema: Bool, set: (c, x: boolean) => (c.bindAddressHardFail = x) }),
  flag({ name: "healthz-bind-address", default: "0.0.0.0:10256", help: "The IP address and port for the health check server to serve on; empty disables it.", schema: from((s) => bindAddressValue(s, 10256)), set: (c, x: Config["healthzBindAddress"]) => (c.healthzBindAddress = x) }),
  flag({ name: "metrics-bind-address", default: "127.0.0.1:10249", help: "The IP address and port for the metrics server to serve on; empty disables it.", schema: from((s) => bindAddressValue(s, 10249)), set: (c, x: Config["metricsBindAddress"]) => (c.metricsBindAddress = x) }),
  flag({ name: "healthz-port", default: "10256", help: "The port of the health check server; 0 disables it.", schema: from((s) => intValue(s, 0, 65535)), set: (c, x: number) => (c.healthzBindAddress = withPort(c.healthzBindAddress, x, "0.0.0.0")), deprecated: "use --healthz-bind-address" }),
  flag({ name: "metrics-port", default: "10249", help: "The port of the metrics server; 0 disables it.", schema: from((s) => intValue(s, 0, 65535)), set: (c, x: number) => (c.metricsBindAddress = withPort(c.metricsBindAddress, x, "127.0.0.1")), deprecated: "use --metrics-bind-address" }),
  flag({ name: "profiling", boolean: true, default: "false", help: "Enable profiling (not available in this proxy: a warning says so).", schema: Bool, set: (c, x: boolean) => (c.enableProfiling = x) }),
  flag({ name: "show-hidden-metrics-for-version", default: "", help: "The previous version for which to show hidden metrics (this proxy hides none).", schema: v.pipe(v.string(), v.regex(/^(\d+\.\d+)?$/, "must be a version such as 1.30")), set: (c, x: string) => (c.showHiddenMetricsForVersion = x) }),
  // Mode and rules.
  flag({ name: "proxy-mode", default: "nftables", help: "Which proxy mode to use: 'nftables' (default here) or 'iptables'; 'ipvs' is not supported.", schema: v.pipe(v.string(), v.transform((s) => (s === "" ? "nftables" : s)), v.check((s) => s !== "ipvs", "mode 'ipvs' is not supported by kube-proxy-bun (deprecated upstream); use 'nftables' or 'iptables'"), pick(["nftables", "iptables"] as const)), set: (c, x: Config["mode"]) => (c.mode = x) }),
  flag({ name: "masquerade-all", boolean: true, default: "false", help: "SNAT all traffic sent to Service ClusterIPs.", schema: Bool, set: (c, x: boolean) => (c.masqueradeAll = x) }),
  flag({ name: "iptables-masquerade-bit", default: "14", help: "The fwmark bit (0-31) that marks packets to masquerade (both modes).", schema: from((s) => intValue(s, 0, 31)), set: (c, x: number) => (c.masqueradeBit = x) }),
  flag({ name: "iptables-localhost-nodeports", boolean: true, default: "true", help: "iptables mode: accept NodePort connections to 127.0.0.1.", schema: Bool, set: (c, x: boolean) => (c.localhostNodePorts = x) }),
  flag({ name: "iptables-sync-period", default: "30s", help: "How often rules are resynced at most, and the retry interval after a failure (both modes).", schema: Duration, set: (c, x: number) => (c.syncPeriodMs = x) }),
  flag({ name: "iptables-min-sync-period", default: "1s", help: "The minimum time between rule syncs (both modes); 0 syncs on every change.", schema: Duration, set: (c, x: number) => (c.minSyncPeriodMs = x) }),
  flag({ name: "sync-period", default: "30s", help: "Our short name for --iptables-sync-period (wins when both are given).", schema: Duration, set: (c, x: number) => (c.syncPeriodMs = x) }),
  flag({ name: "min-sync-period", default: "1s", help: "Our short name for --iptables-min-sync-period (wins when both are given).", schema: Duration, set: (c, x: number) => (c.minSyncPeriodMs = x) }),
  flag({ name: "detect-local-mode", default: "ClusterCIDR", help: "How pod traffic is told apart: ClusterCIDR, NodeCIDR, BridgeInterface or InterfaceNamePrefix.", schema: v.pipe(v.string(), v.transform((s) => s || "ClusterCIDR"), pick(["ClusterCIDR", "NodeCIDR", "BridgeInterface", "InterfaceNamePrefix"] as const)), set: (c, x: Config["detectLocalMode"]) => (c.detectLocalMode = x) }),
  flag({ name: "cluster-cidr", default: "", help: "The pod CIDRs (one per family, comma-separated); traffic from outside them to a ClusterIP is masqueraded.", schema: from(clusterCIDRsValue), set: (c, x: string[]) => (c.clusterCIDRs = x) }),
  flag({ name: "pod-bridge-interface", default: "", help: "The bridge pods are attached to (for --detect-local-mode=BridgeInterface).", schema: from(interfaceNameValue), set: (c, x: string) => (c.podBridgeInterface = x) }),
  flag({ name: "pod-interface-name-prefix", default: "", help: "The prefix of pods' interface names (for --detect-local-mode=InterfaceNamePrefix).", schema: from(interfaceNameValue), set: (c, x: string) => (c.podInterfaceNamePrefix = x) }),
  flag({ name: "nodeport-addresses", default: "", help: "Addresses that accept NodePort traffic: comma-separated CIDRs and/or 'primary' (the node's IPs) or 'all'; empty means 'primary' in nftables mode.", schema: from(nodePortAddressesValue), set: (c, x: string[]) => (c.nodePortAddresses = x) }),
  // IPVS: accepted and validated as upstream does in a non-IPVS mode, where they have no effect (a warning says so).
  flag({ name: "ipvs-sync-period", default: "30s", help: "IPVS mode only (not supported here).", schema: Duration, set: (c, x: number) => (c.ipvs.syncPeriodMs = x) }),
  flag({ name: "ipvs-min-sync-period", default: "1s", help: "IPVS mode only (not supported here).", schema: Duration, set: (c, x: number) => (c.ipvs.minSyncPeriodMs = x) }),
  flag({ name: "ipvs-scheduler", default: "", help: "IPVS mode only (not supported here).", schema: Str, set: (c, x: string) => (c.ipvs.scheduler = x) }),
  flag({ name: "ipvs-exclude-cidrs", default: "", help: "IPVS mode only (not supported here).", schema: from(cidrListValue), set: (c, x: string[]) => (c.ipvs.excludeCIDRs = x) }),
  flag({ name: "ipvs-strict-arp", boolean: true, default: "false", help: "IPVS mode only (not supported here).", schema: Bool, set: (c, x: boolean) => (c.ipvs.strictARP = x) }),
  flag({ name: "ipvs-tcp-timeout", default: "0s", help: "IPVS mode only (not supported here).", schema: Duration, set: (c, x: number) => (c.ipvs.tcpTimeoutMs = x) }),
  flag({ name: "ipvs-tcpfin-timeout", default: "0s", help: "IPVS mode only (not supported here).", schema: Duration, set: (c, x: number) => (c.ipvs.tcpFinTimeoutMs = x) }),
  flag({ name: "ipvs-udp-timeout", default: "0s", help: "IPVS mode only (not supported here).", schema: Duration, set: (c, x: number) => (c.ipvs.udpTimeoutMs = x) }),
  // Process and conntrack.
  flag({ name: "oom-score-adj", default: "-999", help: "The oom-score-adj value for the kube-proxy process, in [-1000, 1000].", schema: from((s) => intValue(s, -1000, 1000)), set: (c, x: number) => (c.oomScoreAdj = x) }),
  flag({ name: "conntrack-max-per-core", default: "32768", help: "Maximum number of NAT connections to track per CPU core (0 leaves the limit as is).", schema: NonNegInt, set: (c, x: number) => (c.conntrack.maxPerCore = x) }),
  flag({ name: "conntrack-min", default: "131072", help: "Minimum number of conntrack entries to allocate, regardless of conntrack-max-per-core.", schema: NonNegInt, set: (c, x: number) => (c.conntrack.min = x) }),
  flag({ name: "conntrack-tcp-timeout-established", default: "24h0m0s", help: "Idle timeout for established TCP connections (0 leaves it as is).", schema: Duration, set: (c, x: number) => (c.conntrack.tcpEstablishedTimeoutMs = x) }),
  flag({ name: "conntrack-tcp-timeout-close-wait", default: "1h0m0s", help: "NAT timeout for TCP connections in the CLOSE_WAIT state.", schema: Duration, set: (c, x: number) => (c.conntrack.tcpCloseWaitTimeoutMs = x) }),
  flag({ name: "conntrack-tcp-be-liberal", boolean: true, default: "false", help: "Mark only out-of-window RST segments as INVALID.", schema: Bool, set: (c, x: boolean) => (c.conntrack.tcpBeLiberal = x) }),
  flag({ name: "conntrack-udp-timeout", default: "0s", help: "Idle timeout for UNREPLIED UDP connections (0 leaves it as is).", schema: Duration, set: (c, x: number) => (c.conntrack.udpTimeoutMs = x) }),
  flag({ name: "conntrack-udp-timeout-stream", default: "0s", help: "Idle timeout for ASSURED UDP connections (0 leaves it as is).", schema: Duration, set: (c, x: number) => (c.conntrack.udpStreamTimeoutMs = x) }),
  flag({ name: "config-sync-period", default: "15m0s", help: "How often configuration from the API server is refreshed; must be greater than 0.", schema: v.pipe(Duration, v.check((ms) => ms > 0, "must be greater than 0")), set: (c, x: number) => (c.configSyncPeriodMs = x) }),
  flag({ name: "proxy-port-range", default: "", help: "Ignored (upstream: deprecated, no effect).", schema: Str, set: (c, x: string) => (c.portRange = x), deprecated: "it has no effect (as upstream)" }),
  // Logging: these still apply with --config, as upstream's do.
  flag({ name: "v", default: "0", help: "Log verbosity (0-10).", schema: from((s) => intValue(s, 0, 10)), set: (c, x: number) => (c.verbosity = x), overridesFile: true }),
  flag({ name: "vmodule", default: "", help: "pattern=N,... per-file verbosity (accepted; a warning says it is not applied).", schema: v.pipe(v.string(), v.regex(/^([^=,]+=\d+(,[^=,]+=\d+)*)?$/, "must be pattern=N,...")), set: (c, x: string) => (c.logging.vmodule = x), overridesFile: true }),
  flag({ name: "logging-format", default: "text", help: "Log format: 'text' (klog lines) or 'json' (one object per line).", schema: pick(["text", "json"] as const), set: (c, x: "text" | "json") => (c.logging.format = x), overridesFile: true }),
  flag({ name: "log-flush-frequency", default: "5s", help: "Maximum seconds between log flushes (lines are written at once here).", schema: Duration, set: (c, x: number) => (c.logging.flushFrequencyMs = x), overridesFile: true }),
  flag({ name: "sandbox-netns", default: "", help: "Sandbox only: apply rules inside this network namespace (a lab node) instead of the proxy's own.", schema: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_.-]{0,64}$/, "must be a network namespace name")), set: (c, x: string) => (c.sandboxNetns = x), hidden: true, overridesFile: true }),
  flag({ name: "help", boolean: true, default: "false", help: "Print this help and exit.", schema: Bool, set: () => {}, overridesFile: true }),
  flag({ name: "version", boolean: true, default: "false", help: "Print the version and exit.", schema: Bool, set: () => {}, overridesFile: true }),
];

function setHostname(c: Config, raw: string): void {
  const name = raw.trim().toLowerCase();
  if (name === "") throw new Error("empty after trimming");
  c.hostnameOverride = name;
  c.hostname = name;
}

/** The deprecated --healthz-port / --metrics-port: 0 disables the server, else replaces the port. */
function withPort(at: Config["healthzBindAddress"], port: number, defaultHost: string): Config["healthzBindAddress"] {
  return port === 0 ? null : { host: at?.host ?? defaultHost, port };
}
