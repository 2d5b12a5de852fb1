import { describe, expect, test } from "bun:test";
import { ConfigFileError } from "./config-file.ts";
import { resolveConfig } from "./resolve-config.ts";

const FILE = `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: /from/file}
hostnameOverride: file-node
nftables: {syncPeriod: 20s}
logging: {verbosity: 1}
`;
const files: Record<string, string> = { "/kp.yaml": FILE };
const resolve = (...argv: string[]) =>
  resolveConfig(argv, {
    osHostname: () => "os-host",
    readFile: (p) => {
      if (!(p in files)) throw Object.assign(new Error("no such file"), { code: "ENOENT" });
      return files[p]!;
    },
  });

describe("resolveConfig: upstream's precedence of --config over flags", () => {
  test("without --config the flags are the configuration", () => {
    expect(resolve("--kubeconfig=/k", "--sync-period=3s").config).toMatchObject({ kubeconfig: "/k", syncPeriodMs: 3000, configFile: "" });
  });

  test("with --config the file wins over ordinary flags, each ignored flag named in a warning", () => {
    const r = resolve("--config=/kp.yaml", "--kubeconfig=/from/flag", "--sync-period=3s", "--masquerade-all");
    expect(r.config).toMatchObject({ kubeconfig: "/from/file", syncPeriodMs: 20_000, masqueradeAll: false, hostname: "file-node", verbosity: 1 });
    expect(r.warnings).toContain("These flags are ignored because --config is given (upstream's rule; set them in the file instead): --kubeconfig, --masquerade-all, --sync-period");
  });

  test.each([
    [["--hostname-override=Flag-Node"], { hostname: "flag-node", hostnameOverride: "flag-node" }],
    [["--master=https://10.0.0.1:6443"], { master: "https://10.0.0.1:6443" }],
    [["-v=4"], { verbosity: 4 }],
    [["--logging-format=json", "--vmodule=x=2", "--log-flush-frequency=1s"], { logging: { format: "json", vmodule: "x=2", flushFrequencyMs: 1000 } }],
    [["--cleanup"], { cleanup: true }],
    [["--init-only"], { initOnly: true }],
    [["--write-config-to=/out.yaml"], { writeConfigTo: "/out.yaml" }],
    [["--api-mode=poll", "--poll-interval=3s"], { apiMode: "poll", pollIntervalMs: 3000 }],
    [["--sandbox-netns=lab-1"], { sandboxNetns: "lab-1" }],
  ] as [string[], object][])("%p still applies over the file", (flags, want) => {
    const r = resolve("--config=/kp.yaml", ...flags);
    expect(r.config).toMatchObject(want);
    expect(r.warnings.join("\n")).not.toContain("ignored because --config");
  });

  test("a bad flag is still an error with --config, even one that would be ignored", () => {
    expect(() => resolve("--config=/kp.yaml", "--sync-period=soon")).toThrow('invalid argument "soon" for "--sync-period" flag');
  });

  test("a missing or bad file names the path", () => {
    expect(() => resolve("--config=/nope.yaml")).toThrow(ConfigFileError);
    expect(() => resolve("--config=/nope.yaml")).toThrow("config file /nope.yaml: cannot read: ENOENT");
    files["/bad.yaml"] = "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmod: nftables\n";
    expect(() => resolve("--config=/bad.yaml")).toThrow('config file /bad.yaml: unknown field "mod"');
  });

  test("settings that change nothing here are accepted with a warning, never silently", () => {
    const w = resolve("--ipvs-scheduler=rr", "--profiling", "--kube-api-qps=50", "--feature-gates=Foo=true", "--config-sync-period=1m", "--vmodule=a=1", "--iptables-localhost-nodeports=false", "--bind-address=10.0.0.5").warnings.join("\n");
    for (const word of ["ipvs.scheduler", "profiling", "rate limits", "Foo", "configSyncPeriod", "vmodule", "localhostNodePorts"]) expect(w).toContain(word);
  });
});
