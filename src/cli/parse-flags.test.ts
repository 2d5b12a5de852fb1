import { describe, expect, test } from "bun:test";
import { FlagError, parseFlags } from "./parse-flags.ts";

const host = () => "Host-A";

describe("parseFlags", () => {
  test("defaults match upstream", () => {
    const { config } = parseFlags([], host);
    expect(config).toEqual({
      kubeconfig: "",
      master: "",
      hostname: "host-a",
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
  ] as [string[], string][])("%p fails naming the flag", (argv, message) => {
    expect(() => parseFlags(argv, host)).toThrow(FlagError);
    expect(() => parseFlags(argv, host)).toThrow(message);
  });

  test("help and version", () => {
    expect(parseFlags(["--help"], host).help).toBe(true);
    expect(parseFlags(["--version"], host).version).toBe(true);
  });
});
