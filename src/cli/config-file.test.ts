import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { defaultConfig } from "./config.ts";
import { ConfigFileError, loadConfigFile } from "./config-file.ts";
import { configToFile, configToYaml } from "./config-to-file.ts";
import { parseFlags } from "./parse-flags.ts";

const HEAD = "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n";
const load = (body: string) => loadConfigFile(HEAD + body, "/etc/kp.yaml", "Host-A");

describe("config file", () => {
  test("kubeadm's file (zero values and nulls) resolves to the defaults plus what it sets", () => {
    const text = readFileSync(join(import.meta.dir, "testdata/kubeadm-config.yaml"), "utf8");
    const { config, warnings } = loadConfigFile(text, "/var/lib/kube-proxy/config.conf", "Host-A");
    expect(config).toEqual({ ...defaultConfig("host-a"), configFile: "/var/lib/kube-proxy/config.conf", kubeconfig: "/var/lib/kube-proxy/kubeconfig.conf", clusterCIDRs: ["10.244.0.0/16"] });
    expect(warnings).toEqual([]);
  });

  test("JSON is accepted too", () => {
    const { config } = loadConfigFile(JSON.stringify({ apiVersion: "kubeproxy.config.k8s.io/v1alpha1", kind: "KubeProxyConfiguration", mode: "nftables", nftables: { syncPeriod: "10s" } }), "/k.json", "h");
    expect(config.syncPeriodMs).toBe(10_000);
  });

  test.each([
    ["hostnameOverride: \" Node-7 \"\n", { hostname: "node-7", hostnameOverride: "node-7" }],
    ["healthzBindAddress: 127.0.0.1:9\nmetricsBindAddress: \"[::1]\"\n", { healthzBindAddress: { host: "127.0.0.1", port: 9 }, metricsBindAddress: { host: "::1", port: 10249 } }],
    ["bindAddress: \"fd00::1\"\n", { bindAddress: "fd00::1", healthzBindAddress: { host: "::", port: 10256 }, metricsBindAddress: { host: "::1", port: 10249 } }],
    ["mode: nftables\nnftables: {syncPeriod: 5s, minSyncPeriod: 250ms, masqueradeBit: 0, masqueradeAll: true}\n", { syncPeriodMs: 5000, minSyncPeriodMs: 250, masqueradeBit: 0, masqueradeAll: true }],
    ["iptables: {syncPeriod: 7s, masqueradeBit: 3}\n", { syncPeriodMs: 7000, masqueradeBit: 3 }],
    ["iptables: {syncPeriod: 7s}\nnftables: {syncPeriod: 9s}\n", { syncPeriodMs: 9000 }],
    ["mode: iptables\niptables: {syncPeriod: 7s, localhostNodePorts: false}\nnftables: {syncPeriod: 9s}\n", { mode: "iptables", syncPeriodMs: 7000, localhostNodePorts: false }],
    ["detectLocalMode: InterfaceNamePrefix\ndetectLocal: {interfaceNamePrefix: veth}\n", { detectLocalMode: "InterfaceNamePrefix", podInterfaceNamePrefix: "veth" }],
    ["clusterCIDR: 10.244.0.0/16,fd00:10:244::/56\nnodePortAddresses: [primary, 192.168.0.7/24]\n", { clusterCIDRs: ["10.244.0.0/16", "fd00:10:244::/56"], nodePortAddresses: ["primary", "192.168.0.0/24"] }],
    ["oomScoreAdj: 0\nconntrack: {maxPerCore: 0, tcpEstablishedTimeout: 1h, udpTimeout: 30s}\n", { oomScoreAdj: 0, conntrack: { ...defaultConfig("h").conntrack, maxPerCore: 0, tcpEstablishedTimeoutMs: 3_600_000, udpTimeoutMs: 30_000 } }],
    ["logging: {format: json, verbosity: 3, flushFrequency: 2s, vmodule: [{filePattern: proxier, verbosity: 5}]}\n", { verbosity: 3, logging: { format: "json", flushFrequencyMs: 2000, vmodule: "proxier=5" } }],
    ["logging: {flushFrequency: 1000000000}\n", { logging: { format: "text", flushFrequencyMs: 1000, vmodule: "" } }],
    ["featureGates: {NFTablesProxyMode: true}\nclientConnection: {qps: 50, burst: 100, contentType: application/json}\n", { featureGates: { NFTablesProxyMode: true }, kubeApiQps: 50, kubeApiBurst: 100, kubeApiContentType: "application/json" }],
    ["ipvs: {scheduler: rr, excludeCIDRs: [10.1.0.0/16], strictARP: true}\n", { ipvs: { ...defaultConfig("h").ipvs, scheduler: "rr", excludeCIDRs: ["10.1.0.0/16"], strictARP: true } }],
  ] as [string, object][])("%s", (body, want) => {
    expect(load(body).config).toMatchObject(want);
  });

  test.each([
    ["syncPeriod: 30s\n", 'unknown field "syncPeriod"'],
    ["iptables: {syncPeriod: 30s, masqueradeBits: 3}\n", 'unknown field "iptables.masqueradeBits"'],
    ["logging: {options: {json: {bufferSize: 1}}}\n", 'unknown field "logging.options.json.bufferSize"'],
    ["nftables: {syncPeriod: soon}\n", "nftables.syncPeriod: must be a duration"],
    ["nftables: {masqueradeBit: 32}\n", "nftables.masqueradeBit: must be 0-31"],
    ["healthzBindAddress: localhost:1\n", "healthzBindAddress: must be IP[:port] or empty"],
    ["mode: ipvs\n", 'mode: mode "ipvs" is not supported by kube-proxy-bun'],
    ["mode: userspace\n", 'mode: must be "nftables" or "iptables"'],
    ["clusterCIDR: 10.0.0.0/8,10.1.0.0/16\n", "clusterCIDR: at most one CIDR per IP family"],
    ["nodePortAddresses: [nowhere]\n", "nodePortAddresses: must be comma-separated CIDRs"],
    ["detectLocalMode: BridgeInterface\n", "detectLocalMode BridgeInterface needs detectLocal.bridgeInterface"],
    ["detectLocal: {bridgeInterface: \"br0;rm\"}\n", "detectLocal.bridgeInterface: must be an interface name"],
    ["oomScoreAdj: 1001\n", "oomScoreAdj: must be -1000-1000"],
    ["conntrack: {min: lots}\n", "conntrack.min: Invalid type"],
    ["featureGates: {A: yes}\n", "featureGates.A: Invalid type"],
    ["bindAddress: node-1\n", "bindAddress: must be an IP address"],
  ])("%s is refused naming the field", (body, message) => {
    expect(() => load(body)).toThrow(ConfigFileError);
    expect(() => load(body)).toThrow(message);
    expect(() => load(body)).toThrow("config file /etc/kp.yaml:");
  });

  test("every bad field is reported at once", () => {
    expect(() => load("bogus: 1\niptables: {syncPeriod: x}\n")).toThrow(/iptables\.syncPeriod: must be a duration.*; unknown field "bogus"/);
  });

  test.each([
    ["apiVersion: kubeproxy.config.k8s.io/v1alpha2\nkind: KubeProxyConfiguration\n", 'apiVersion: must be "kubeproxy.config.k8s.io/v1alpha1"'],
    ["apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeletConfiguration\n", 'kind: must be "KubeProxyConfiguration"'],
    ["mode: [\n", "not valid YAML or JSON"],
    ["- a\n- b\n", "must be a KubeProxyConfiguration object"],
  ])("a wrong document (%#) is refused", (text, message) => {
    expect(() => loadConfigFile(text, "/k", "h")).toThrow(message);
  });

  test.each([
    ["windowsRunAsService: true\n"],
    ["winkernel: {networkName: vxlan0}\n"],
    ["portRange: 30000-32767\n"],
  ])("Windows-only and deprecated fields load with a warning: %s", (body) => {
    expect(load(body).warnings).toHaveLength(1);
  });

  test("what --write-config-to writes loads back into the same Config", () => {
    const { config } = parseFlags(
      ["--hostname-override=n1", "--kubeconfig=/k", "--sync-period=10s", "--min-sync-period=250ms", "--masquerade-all", "--iptables-masquerade-bit=0", "--cluster-cidr=10.244.0.0/16",
        "--nodeport-addresses=primary", "--healthz-bind-address=127.0.0.1:1", "--metrics-bind-address=[::1]:2", "--feature-gates=X=true", "--oom-score-adj=5", "--logging-format=json",
        "-v=3", "--vmodule=a=1,b=2", "--conntrack-udp-timeout=5s", "--ipvs-scheduler=rr", "--detect-local-mode=BridgeInterface", "--pod-bridge-interface=cbr0"],
      () => "os-host",
    );
    const yaml = configToYaml(config);
    expect(yaml).toStartWith("apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n");
    expect(loadConfigFile(yaml, "/out.yaml", "os-host").config).toEqual({ ...config, configFile: "/out.yaml" });
  });

  test("the defaults written out name every upstream field", () => {
    const file = configToFile(defaultConfig("h"));
    expect(Object.keys(file).sort()).toEqual([
      "apiVersion", "bindAddress", "bindAddressHardFail", "clientConnection", "clusterCIDR", "configSyncPeriod", "conntrack", "detectLocal", "detectLocalMode", "enableProfiling",
      "featureGates", "healthzBindAddress", "hostnameOverride", "iptables", "ipvs", "kind", "logging", "metricsBindAddress", "mode", "nftables", "nodePortAddresses", "oomScoreAdj",
      "portRange", "showHiddenMetricsForVersion",
    ]);
    expect(file).toMatchObject({ healthzBindAddress: "0.0.0.0:10256", metricsBindAddress: "127.0.0.1:10249", nftables: { syncPeriod: "30s", minSyncPeriod: "1s", masqueradeBit: 14 }, conntrack: { tcpEstablishedTimeout: "24h0m0s" } });
  });
});
