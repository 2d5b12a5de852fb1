/**
 * The `--config` file: a KubeProxyConfiguration (kubeproxy.config.k8s.io/v1alpha1) in YAML or
 * JSON, decoded strictly with valibot (an unknown field is an error naming its path) and turned
 * into a Config with upstream's defaulting: a field that is absent, null or zero takes its default
 * (kubeadm writes `syncPeriod: 0s`, `masqueradeBit: null` and `healthzBindAddress: ""` meaning just
 * that). Upstream falls back to lenient decoding on unknown fields; we refuse them instead, so a
 * misspelt field never goes unnoticed.
 */
import * as v from "valibot";
import { parseIP } from "../lib/ip.ts";
import { defaultConfig, type Config } from "./config.ts";
import {
  bindAddressValue, cidrListValue, clusterCIDRsValue, durationValue, featureGatesValue, interfaceNameValue, ipValue, nodePortAddressesValue,
} from "./value-schemas.ts";

export const CONFIG_API_VERSION = "kubeproxy.config.k8s.io/v1alpha1";
export const CONFIG_KIND = "KubeProxyConfiguration";

/** A config file that cannot be read, parsed or validated; the message names the file and each bad field's path. */
export class ConfigFileError extends Error {
  readonly kind = "config-file";
  constructor(message: string) {
    super(message);
    this.name = "ConfigFileError";
  }
}

/** A typed value checked by one of the shared value functions; the issue lands on the field's path. */
const checked = <I, T>(base: v.GenericSchema<unknown, I>, fn: (x: I) => T) =>
  v.pipe(
    base,
    v.rawTransform<I, T>(({ dataset, addIssue, NEVER }) => {
      try {
        return fn(dataset.value);
      } catch (e) {
        addIssue({ message: (e as Error).message });
        return NEVER;
      }
    }),
  );

const opt = <T extends v.GenericSchema>(s: T) => v.nullish(s);
const Str = opt(v.string());
const Bool = opt(v.boolean());
const Dur = opt(checked(v.string(), durationValue));
const Int = (min: number, max: number) => opt(v.pipe(v.number(), v.integer("must be a whole number"), v.minValue(min, `must be ${min}-${max}`), v.maxValue(max, `must be ${min}-${max}`)));
const Picklist = <T extends string>(values: readonly T[]) => opt(v.picklist(values, `must be one of ${values.map((x) => JSON.stringify(x)).join(", ")}`));
const LogOptions = opt(v.strictObject({ infoBufferSize: opt(v.union([v.string(), v.number()])), splitStream: Bool }));

const SyncSection = {
  masqueradeBit: Int(0, 31),
  masqueradeAll: Bool,
  syncPeriod: Dur,
  minSyncPeriod: Dur,
};

/** The v1alpha1 schema: every field upstream's type has, each nullable as the Go pointers and zero values allow. */
export const KubeProxyConfigurationSchema = v.strictObject({
  apiVersion: v.literal(CONFIG_API_VERSION, `must be ${JSON.stringify(CONFIG_API_VERSION)}`),
  kind: v.literal(CONFIG_KIND, `must be ${JSON.stringify(CONFIG_KIND)}`),
  featureGates: opt(checked(v.record(v.string(), v.boolean()), featureGatesValue)),
  clientConnection: opt(v.strictObject({ kubeconfig: Str, acceptContentTypes: Str, contentType: Str, qps: opt(v.pipe(v.number(), v.minValue(0, "must be >= 0"))), burst: Int(0, 2147483647) })),
  logging: opt(
    v.strictObject({
      format: Picklist(["", "text", "json"] as const),
      flushFrequency: opt(v.union([checked(v.string(), durationValue), v.pipe(v.number(), v.minValue(0), v.transform((ns) => ns / 1e6))], "must be a duration such as 5s, or nanoseconds")),
      verbosity: Int(0, 10),
      vmodule: opt(v.array(v.strictObject({ filePattern: v.string(), verbosity: v.pipe(v.number(), v.integer()) }))),
      options: opt(v.strictObject({ json: LogOptions, text: LogOptions })),
    }),
  ),
  hostnameOverride: Str,
  bindAddress: opt(checked(v.string(), (s) => (s === "" ? "" : ipValue(s)))),
  healthzBindAddress: opt(checked(v.string(), (s) => (s === "" ? undefined : bindAddressValue(s, 10256)))),
  metricsBindAddress: opt(checked(v.string(), (s) => (s === "" ? undefined : bindAddressValue(s, 10249)))),
  bindAddressHardFail: Bool,
  enableProfiling: Bool,
  showHiddenMetricsForVersion: Str,
  mode: opt(v.pipe(v.string(), v.check((s) => s !== "ipvs", "mode \"ipvs\" is not supported by kube-proxy-bun (deprecated upstream); use \"nftables\" or \"iptables\""), v.picklist(["", "nftables", "iptables"], 'must be "nftables" or "iptables"'))),
  iptables: opt(v.strictObject({ ...SyncSection, localhostNodePorts: Bool })),
  nftables: opt(v.strictObject(SyncSection)),
  ipvs: opt(
    v.strictObject({
      syncPeriod: Dur, minSyncPeriod: Dur, scheduler: Str, excludeCIDRs: opt(checked(v.array(v.string()), cidrListValue)), strictARP: Bool,
      tcpTimeout: Dur, tcpFinTimeout: Dur, udpTimeout: Dur,
    }),
  ),
  winkernel: opt(v.strictObject({ networkName: Str, sourceVip: Str, enableDSR: Bool, rootHnsEndpointName: Str, forwardHealthCheckVip: Bool })),
  windowsRunAsService: Bool,
  detectLocalMode: Picklist(["", "ClusterCIDR", "NodeCIDR", "BridgeInterface", "InterfaceNamePrefix"] as const),
  detectLocal: opt(v.strictObject({ bridgeInterface: opt(checked(v.string(), interfaceNameValue)), interfaceNamePrefix: opt(checked(v.string(), interfaceNameValue)) })),
  clusterCIDR: opt(checked(v.string(), clusterCIDRsValue)),
  nodePortAddresses: opt(checked(v.array(v.string()), nodePortAddressesValue)),
  oomScoreAdj: Int(-1000, 1000),
  conntrack: opt(
    v.strictObject({
      maxPerCore: Int(0, 2147483647), min: Int(0, 2147483647), tcpEstablishedTimeout: Dur, tcpCloseWaitTimeout: Dur, tcpBeLiberal: Bool,
      udpTimeout: Dur, udpStreamTimeout: Dur,
    }),
  ),
  configSyncPeriod: Dur,
  portRange: Str,
});

export type KubeProxyConfigurationFile = v.InferOutput<typeof KubeProxyConfigurationSchema>;

/** One line per issue: `field.path: message`; an unknown field reads `unknown field "a.b"`. */
function describe(issues: readonly v.BaseIssue<unknown>[]): string[] {
  return issues.map((i) => {
    const path = v.getDotPath(i) ?? "(top level)";
    if (i.type === "strict_object" && i.expected === "never") return `unknown field ${JSON.stringify(path)}`;
    return `${path}: ${i.message}`;
  });
}

/** Parses YAML or JSON text (JSON is YAML); throws ConfigFileError naming `path`. */
export function parseConfigText(text: string, path: string): unknown {
  try {
    return Bun.YAML.parse(text);
  } catch (e) {
    throw new ConfigFileError(`config file ${path}: not valid YAML or JSON: ${(e as Error).message}`);
  }
}

/** What a file resolves to: the Config (defaults filled in) and warnings about fields with no effect. */
export interface LoadedConfigFile {
  config: Config;
  warnings: string[];
}

/** Validates a decoded file and applies upstream's defaulting; throws ConfigFileError listing every bad field. */
export function configFromFile(raw: unknown, path: string, osHostname: string): LoadedConfigFile {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw new ConfigFileError(`config file ${path}: must be a ${CONFIG_KIND} object`);
  const r = v.safeParse(KubeProxyConfigurationSchema, raw, { abortEarly: false });
  if (!r.success) throw new ConfigFileError(`config file ${path}: ${describe(r.issues).join("; ")}`);
  const f = r.output;
  const c = defaultConfig(osHostname);
  const warnings: string[] = [];
  c.configFile = path;
  const set = <T>(value: T | null | undefined, apply: (x: T) => void, zero?: T) => {
    if (value !== null && value !== undefined && value !== zero) apply(value);
  };
  set(f.featureGates, (x) => (c.featureGates = x));
  const cc = f.clientConnection;
  set(cc?.kubeconfig, (x) => (c.kubeconfig = x), "");
  set(cc?.acceptContentTypes, (x) => (c.kubeApiAcceptContentTypes = x), "");
  set(cc?.contentType, (x) => (c.kubeApiContentType = x), "");
  set(cc?.qps, (x) => (c.kubeApiQps = x), 0);
  set(cc?.burst, (x) => (c.kubeApiBurst = x), 0);
  const lg = f.logging;
  set(lg?.format, (x) => (c.logging.format = x as "text" | "json"), "");
  set(lg?.flushFrequency, (x) => (c.logging.flushFrequencyMs = x), 0);
  set(lg?.verbosity, (x) => (c.verbosity = x));
  set(lg?.vmodule, (x) => (c.logging.vmodule = x.map((m) => `${m.filePattern}=${m.verbosity}`).join(",")));
  set(f.hostnameOverride?.trim().toLowerCase(), (x) => ((c.hostnameOverride = x), (c.hostname = x)), "");
  set(f.bindAddress, (x) => (c.bindAddress = x), "");
  const v6 = parseIP(c.bindAddress)?.family === "IPv6";
  if (v6) c.healthzBindAddress = { host: "::", port: 10256 };
  if (v6) c.metricsBindAddress = { host: "::1", port: 10249 };
  set(f.healthzBindAddress, (x) => (c.healthzBindAddress = x));
  set(f.metricsBindAddress, (x) => (c.metricsBindAddress = x));
  set(f.bindAddressHardFail, (x) => (c.bindAddressHardFail = x));
  set(f.enableProfiling, (x) => (c.enableProfiling = x));
  set(f.showHiddenMetricsForVersion, (x) => (c.showHiddenMetricsForVersion = x), "");
  set(f.mode, (x) => (c.mode = x as Config["mode"]), "");
  // Sync settings and masquerading: the running mode's section, falling back to the iptables one
  // (upstream folds the iptables flags into every mode; our default mode differs from upstream's).
  const own = c.mode === "nftables" ? f.nftables : f.iptables;
  const first = <T>(zero: T, ...xs: (T | null | undefined)[]) => xs.find((x) => x !== null && x !== undefined && x !== zero);
  set(first(0, own?.syncPeriod, f.iptables?.syncPeriod), (x) => (c.syncPeriodMs = x));
  set(first(0, own?.minSyncPeriod, f.iptables?.minSyncPeriod), (x) => (c.minSyncPeriodMs = x));
  set(first(null, own?.masqueradeBit, f.iptables?.masqueradeBit), (x) => (c.masqueradeBit = x));
  set(first(false, own?.masqueradeAll, f.iptables?.masqueradeAll), (x) => (c.masqueradeAll = x));
  set(f.iptables?.localhostNodePorts, (x) => (c.localhostNodePorts = x));
  const ipvs = f.ipvs;
  set(ipvs?.syncPeriod, (x) => (c.ipvs.syncPeriodMs = x), 0);
  set(ipvs?.minSyncPeriod, (x) => (c.ipvs.minSyncPeriodMs = x), 0);
  set(ipvs?.scheduler, (x) => (c.ipvs.scheduler = x), "");
  set(ipvs?.excludeCIDRs, (x) => (c.ipvs.excludeCIDRs = x));
  set(ipvs?.strictARP, (x) => (c.ipvs.strictARP = x));
  set(ipvs?.tcpTimeout, (x) => (c.ipvs.tcpTimeoutMs = x));
  set(ipvs?.tcpFinTimeout, (x) => (c.ipvs.tcpFinTimeoutMs = x));
  set(ipvs?.udpTimeout, (x) => (c.ipvs.udpTimeoutMs = x));
  const wk = f.winkernel;
  if (f.windowsRunAsService || (wk && Object.values(wk).some((x) => x !== null && x !== undefined && x !== "" && x !== false))) {
    warnings.push("winkernel and windowsRunAsService are Windows-only settings; they have no effect on Linux (as upstream)");
  }
  set(f.detectLocalMode, (x) => (c.detectLocalMode = x as Config["detectLocalMode"]), "");
  set(f.detectLocal?.bridgeInterface, (x) => (c.podBridgeInterface = x), "");
  set(f.detectLocal?.interfaceNamePrefix, (x) => (c.podInterfaceNamePrefix = x), "");
  set(f.clusterCIDR, (x) => (c.clusterCIDRs = x));
  set(f.nodePortAddresses, (x) => (c.nodePortAddresses = x));
  set(f.oomScoreAdj, (x) => (c.oomScoreAdj = x));
  const ct = f.conntrack;
  set(ct?.maxPerCore, (x) => (c.conntrack.maxPerCore = x));
  set(ct?.min, (x) => (c.conntrack.min = x));
  set(ct?.tcpEstablishedTimeout, (x) => (c.conntrack.tcpEstablishedTimeoutMs = x));
  set(ct?.tcpCloseWaitTimeout, (x) => (c.conntrack.tcpCloseWaitTimeoutMs = x));
  set(ct?.tcpBeLiberal, (x) => (c.conntrack.tcpBeLiberal = x));
  set(ct?.udpTimeout, (x) => (c.conntrack.udpTimeoutMs = x));
  set(ct?.udpStreamTimeout, (x) => (c.conntrack.udpStreamTimeoutMs = x));
  set(f.configSyncPeriod, (x) => (c.configSyncPeriodMs = x), 0);
  set(f.portRange, (x) => (c.portRange = x), "");
  if (f.portRange) warnings.push("portRange has no effect (deprecated upstream)");
  if (c.detectLocalMode === "BridgeInterface" && !c.podBridgeInterface) throw new ConfigFileError(`config file ${path}: detectLocalMode BridgeInterface needs detectLocal.bridgeInterface`);
  if (c.detectLocalMode === "InterfaceNamePrefix" && !c.podInterfaceNamePrefix) throw new ConfigFileError(`config file ${path}: detectLocalMode InterfaceNamePrefix needs detectLocal.interfaceNamePrefix`);
  return { config: c, warnings };
}

/** Reads, parses and validates a config file's text. */
export function loadConfigFile(text: string, path: string, osHostname: string): LoadedConfigFile {
  return configFromFile(parseConfigText(text, path), path, osHostname);
}
