import { describe, expect, test } from "bun:test";
import { defaultConfig } from "./config.ts";
import { FLAGS } from "./flag-table.ts";
import { FlagError, parseFlags } from "./parse-flags.ts";

const host = () => "Host-A";

describe("parseFlags", () => {
  test("defaults match upstream", () => {
    const { config } = parseFlags([], host);
    expect(config).toEqual(defaultConfig("host-a"));
    expect(config).toMatchObject({
      mode: "nftables",
      healthzBindAddress: { host: "0.0.0.0", port: 10256 },
      metricsBindAddress: { host: "127.0.0.1", port: 10249 },
      syncPeriodMs: 30_000,
      minSyncPeriodMs: 1000,
      masqueradeBit: 14,
      detectLocalMode: "ClusterCIDR",
      oomScoreAdj: -999,
      kubeApiQps: 5,
      kubeApiBurst: 10,
      configSyncPeriodMs: 900_000,
      localhostNodePorts: true,
      conntrack: { maxPerCore: 32768, min: 131072, tcpEstablishedTimeoutMs: 86_400_000, tcpCloseWaitTimeoutMs: 3_600_000, tcpBeLiberal: false, udpTimeoutMs: 0, udpStreamTimeoutMs: 0 },
      apiMode: "watch",
      logging: { format: "text", flushFrequencyMs: 5000, vmodule: "" },
    });
  });

  test.each([
    [["--kubeconfig", "/k"], "kubeconfig", "/k"],
    [["--kubeconfig=/k"], "kubeconfig", "/k"],
    [["--hostname-override", " Node-1 "], "hostname", "node-1"],
    [["--proxy-mode=iptables"], "mode", "iptables"],
    [["--healthz-bind-address", "127.0.0.1"], "healthzBindAddress", { host: "127.0.0.1", port: 10256 }],
    [["--healthz-bind-address", "[::1]:9"], "healthzBindAddress", { host: "::1", port: 9 }],
    [["--metrics-bind-address="], "metricsBindAddress", null],
    [["--sync-period", "1m0s"], "syncPeriodMs", 60_000],
    [["--iptables-sync-period", "10s"], "syncPeriodMs", 10_000],
    [["--min-sync-period", "0"], "minSyncPeriodMs", 0],
    [["--iptables-min-sync-period", "250ms"], "minSyncPeriodMs", 250],
    [["-v", "4"], "verbosity", 4],
    [["--v=2"], "verbosity", 2],
    [["--cleanup"], "cleanup", true],
    [["--nodeport-addresses", "primary, 10.0.0.5/24"], "nodePortAddresses", ["primary", "10.0.0.0/24"]],
    [["--masquerade-all"], "masqueradeAll", true],
    [["--iptables-masquerade-bit=0"], "masqueradeBit", 0],
    [["--cluster-cidr", "10.244.0.0/16,fd00:10:244::/48"], "clusterCIDRs", ["10.244.0.0/16", "fd00:10:244::/48"]],
    [["--detect-local-mode=InterfaceNamePrefix", "--pod-interface-name-prefix=veth"], "podInterfaceNamePrefix", "veth"],
    [["--sync-period=5s", "--iptables-sync-period=9s"], "syncPeriodMs", 5000],
    [["--config", "/etc/kp.yaml"], "configFile", "/etc/kp.yaml"],
    [["--write-config-to=/tmp/out.yaml"], "writeConfigTo", "/tmp/out.yaml"],
    [["--init-only"], "initOnly", true],
    [["--feature-gates", "A=true,B=false"], "featureGates", { A: true, B: false }],
    [["--kube-api-qps=20", "--kube-api-burst=30"], "kubeApiBurst", 30],
    [["--kube-api-content-type=application/json"], "kubeApiContentType", "application/json"],
    [["--api-mode=poll"], "apiMode", "poll"],
    [["--poll-interval=2s"], "pollIntervalMs", 2000],
    [["--bind-address=::1"], "healthzBindAddress", { host: "::", port: 10256 }],
    [["--bind-address=::1"], "metricsBindAddress", { host: "::1", port: 10249 }],
    [["--bind-address=fd00::1", "--healthz-bind-address=127.0.0.1:9"], "healthzBindAddress", { host: "127.0.0.1", port: 9 }],
    [["--bind-address-hard-fail=1"], "bindAddressHardFail", true],
    [["--healthz-port=0"], "healthzBindAddress", null],
    [["--metrics-port", "9999"], "metricsBindAddress", { host: "127.0.0.1", port: 9999 }],
    [["--healthz-bind-address=127.0.0.1:1", "--healthz-port=2"], "healthzBindAddress", { host: "127.0.0.1", port: 2 }],
    [["--profiling"], "enableProfiling", true],
    [["--proxy-mode="], "mode", "nftables"],
    [["--iptables-localhost-nodeports=false"], "localhostNodePorts", false],
    [["--ipvs-scheduler=rr", "--ipvs-exclude-cidrs=10.0.0.1/8"], "ipvs", { ...defaultConfig("h").ipvs, scheduler: "rr", excludeCIDRs: ["10.0.0.0/8"] }],
    [["--ipvs-strict-arp", "--ipvs-tcp-timeout=5s"], "ipvs", { ...defaultConfig("h").ipvs, strictARP: true, tcpTimeoutMs: 5000 }],
    [["--oom-score-adj=-500"], "oomScoreAdj", -500],
    [["--conntrack-max-per-core=0", "--conntrack-udp-timeout=30s", "--conntrack-tcp-be-liberal"], "conntrack", { ...defaultConfig("h").conntrack, maxPerCore: 0, udpTimeoutMs: 30_000, tcpBeLiberal: true }],
    [["--config-sync-period=1m"], "configSyncPeriodMs", 60_000],
    [["--logging-format=json", "--vmodule=proxier=4", "--log-flush-frequency=1s"], "logging", { format: "json", vmodule: "proxier=4", flushFrequencyMs: 1000 }],
    [["--proxy-port-range=30000-32767"], "portRange", "30000-32767"],
  ] as [string[], string, unknown][])("%p sets %s", (argv, key, want) => {
    expect((parseFlags(argv, host).config as unknown as Record<string, unknown>)[key]).toEqual(want);
  });

  test.each([
    [["--bogus"], "unknown flag: --bogus"],
    [["--proxy-mode", "ipvs"], 'invalid argument "ipvs" for "--proxy-mode" flag'],
    [["--sync-period", "soon"], 'invalid argument "soon" for "--sync-period" flag: must be a duration'],
    [["--sync-period", "0"], '"--sync-period" flag: must be greater than 0'],
    [["--healthz-bind-address", "localhost:1"], 'invalid argument "localhost:1" for "--healthz-bind-address" flag'],
    [["--metrics-bind-address", "1.2.3.4:70000"], "port \"70000\" is not in 0-65535"],
    [["-v", "11"], 'invalid argument "11" for "--v" flag: must be 0-10'],
    [["--hostname-override", "  "], "empty after trimming"],
    [["--kubeconfig"], "flag needs an argument: --kubeconfig"],
    [["stray"], 'unexpected argument "stray"'],
    [["--help=maybe"], "must be true or false"],
    [["--nodeport-addresses", "10.0.0.0/33"], 'invalid argument "10.0.0.0/33" for "--nodeport-addresses" flag'],
    [["--cluster-cidr", "10.0.0.0/8,10.1.0.0/16"], "at most one CIDR per IP family"],
    [["--iptables-masquerade-bit", "32"], "must be 0-31"],
    [["--detect-local-mode", "Magic"], 'invalid argument "Magic" for "--detect-local-mode" flag'],
    [["--detect-local-mode", "BridgeInterface"], "needs \"--pod-bridge-interface\""],
    [["--pod-bridge-interface", "br0;x"], "must be an interface name"],
    [["--proxy-mode=ipvs"], "mode 'ipvs' is not supported by kube-proxy-bun"],
    [["--api-mode=stream"], 'invalid argument "stream" for "--api-mode" flag: must be'],
    [["--poll-interval=0"], '"--poll-interval" flag: must be greater than 0'],
    [["--feature-gates=A"], "feature gate A needs =true or =false"],
    [["--feature-gates=a-b=true"], "is not a feature gate name"],
    [["--kube-api-qps=-1"], '"--kube-api-qps" flag: must be a number >= 0'],
    [["--bind-address=node1"], '"--bind-address" flag: must be an IP address'],
    [["--healthz-port=70000"], "must be 0-65535"],
    [["--oom-score-adj=-1001"], "must be -1000-1000"],
    [["--ipvs-exclude-cidrs=10.0.0.0"], "is not a CIDR"],
    [["--conntrack-min=lots"], "must be a whole number"],
    [["--config-sync-period=0"], "must be greater than 0"],
    [["--logging-format=xml"], 'invalid argument "xml" for "--logging-format" flag'],
    [["--vmodule=proxier"], "must be pattern=N"],
    [["--iptables-sync-period=0"], '"--iptables-sync-period" flag: must be greater than 0'],
    [["--show-hidden-metrics-for-version=latest"], "must be a version"],
  ] as [string[], string][])("%p fails naming the flag", (argv, message) => {
    expect(() => parseFlags(argv, host)).toThrow(FlagError);
    expect(() => parseFlags(argv, host)).toThrow(message);
  });

  test("every upstream Linux flag of upstream.md 2.1 is in the table", () => {
    const upstream = ["config", "write-config-to", "cleanup", "init-only", "feature-gates", "kubeconfig", "master", "kube-api-content-type", "kube-api-qps", "kube-api-burst",
      "hostname-override", "bind-address", "bind-address-hard-fail", "healthz-bind-address", "metrics-bind-address", "healthz-port", "metrics-port", "profiling",
      "show-hidden-metrics-for-version", "proxy-mode", "masquerade-all", "iptables-masquerade-bit", "iptables-localhost-nodeports", "iptables-sync-period",
      "iptables-min-sync-period", "ipvs-sync-period", "ipvs-min-sync-period", "ipvs-scheduler", "ipvs-exclude-cidrs", "ipvs-strict-arp", "ipvs-tcp-timeout",
      "ipvs-tcpfin-timeout", "ipvs-udp-timeout", "detect-local-mode", "cluster-cidr", "pod-bridge-interface", "pod-interface-name-prefix", "nodeport-addresses",
      "oom-score-adj", "conntrack-max-per-core", "conntrack-min", "conntrack-tcp-timeout-established", "conntrack-tcp-timeout-close-wait", "conntrack-tcp-be-liberal",
      "conntrack-udp-timeout", "conntrack-udp-timeout-stream", "config-sync-period", "proxy-port-range", "v", "vmodule", "logging-format", "log-flush-frequency", "version"];
    const names = new Set(FLAGS.map((f) => f.name));
    expect(upstream.filter((n) => !names.has(n))).toEqual([]);
  });

  test("each flag's documented default is what parsing nothing gives", () => {
    const none = parseFlags([], host).config;
    for (const f of FLAGS.filter((f) => !["config", "hostname-override", "help", "version", "sandbox-netns", "healthz-port", "metrics-port"].includes(f.name))) {
      const withDefault = parseFlags([`--${f.name}=${f.default}`], host).config;
      expect({ flag: f.name, config: withDefault }).toEqual({ flag: f.name, config: none });
    }
  });

  test("deprecated flags are accepted with a warning", () => {
    expect(parseFlags(["--healthz-port=10256", "--proxy-port-range=1-2"], host).warnings).toEqual([
      "Flag --healthz-port is deprecated: use --healthz-bind-address",
      "Flag --proxy-port-range is deprecated: it has no effect (as upstream)",
    ]);
  });

  test("help and version", () => {
    expect(parseFlags(["--help"], host).help).toBe(true);
    expect(parseFlags(["--version"], host).version).toBe(true);
  });
});
