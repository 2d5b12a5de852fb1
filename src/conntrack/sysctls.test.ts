import { describe, expect, test } from "bun:test";
import { scriptedRunner } from "../lib/exec.ts";
import { memoryLogger } from "../lib/log.ts";
import { applyConntrackSysctls, desiredConntrackSysctls, type ConntrackSettings } from "./sysctls.ts";

const upstreamDefaults: ConntrackSettings = { maxPerCore: 32768, min: 131072, tcpEstablishedTimeoutMs: 86_400_000, tcpCloseWaitTimeoutMs: 3_600_000, tcpBeLiberal: false, udpTimeoutMs: 0, udpStreamTimeoutMs: 0 };

describe("desiredConntrackSysctls", () => {
  test.each([
    ["defaults on 2 CPUs: the floor wins", upstreamDefaults, 2, { "net.netfilter.nf_conntrack_max": 131072, "net.netfilter.nf_conntrack_tcp_timeout_established": 86400, "net.netfilter.nf_conntrack_tcp_timeout_close_wait": 3600 }],
    ["defaults on 8 CPUs: per core wins", upstreamDefaults, 8, { "net.netfilter.nf_conntrack_max": 262144, "net.netfilter.nf_conntrack_tcp_timeout_established": 86400, "net.netfilter.nf_conntrack_tcp_timeout_close_wait": 3600 }],
    ["capped at 1,048,576", upstreamDefaults, 64, { "net.netfilter.nf_conntrack_max": 1048576, "net.netfilter.nf_conntrack_tcp_timeout_established": 86400, "net.netfilter.nf_conntrack_tcp_timeout_close_wait": 3600 }],
    ["zeros leave everything alone", { ...upstreamDefaults, maxPerCore: 0, tcpEstablishedTimeoutMs: 0, tcpCloseWaitTimeoutMs: 0 }, 4, {}],
    ["be-liberal and UDP timeouts when asked", { ...upstreamDefaults, maxPerCore: 0, tcpEstablishedTimeoutMs: 0, tcpCloseWaitTimeoutMs: 0, tcpBeLiberal: true, udpTimeoutMs: 30_000, udpStreamTimeoutMs: 120_000 }, 4, { "net.netfilter.nf_conntrack_tcp_be_liberal": 1, "net.netfilter.nf_conntrack_udp_timeout": 30, "net.netfilter.nf_conntrack_udp_timeout_stream": 120 }],
  ] as [string, ConntrackSettings, number, Record<string, number>][])("%s", (_name, settings, cpus, want) => {
    expect(Object.fromEntries(desiredConntrackSysctls(settings, cpus).map((s) => [s.key, s.value]))).toEqual(want);
  });
});

describe("applyConntrackSysctls", () => {
  test("writes only what differs, raises the hash size only host-wide, and logs a refusal without throwing", async () => {
    const runner = scriptedRunner([
      { argv: ["sysctl", "-n", "net.netfilter.nf_conntrack_max"], result: { stdout: "65536\n" } },
      { argv: ["sysctl", "-w", "net.netfilter.nf_conntrack_max=131072"] },
      { argv: ["cat", "/sys/module/nf_conntrack/parameters/hashsize"], result: { stdout: "16384\n" } },
      { argv: ["tee", "/sys/module/nf_conntrack/parameters/hashsize"], stdin: "32768" },
      { argv: ["sysctl", "-n", "net.netfilter.nf_conntrack_tcp_timeout_established"], result: { stdout: "86400\n" } },
      { argv: ["sysctl", "-n", "net.netfilter.nf_conntrack_tcp_timeout_close_wait"], result: { stdout: "60\n" } },
      { argv: ["sysctl", "-w", "net.netfilter.nf_conntrack_tcp_timeout_close_wait=3600"], result: { exitCode: 255, stderr: "permission denied" } },
    ]);
    const log = memoryLogger();
    const r = await applyConntrackSysctls(runner, desiredConntrackSysctls(upstreamDefaults, 2), log, true);
    expect(r).toEqual({ written: ["net.netfilter.nf_conntrack_max", "/sys/module/nf_conntrack/parameters/hashsize"], failed: ["net.netfilter.nf_conntrack_tcp_timeout_close_wait"] });
    expect(log.lines.join("")).toContain("permission denied");
  });

  test("not host-wide (the sandbox): nf_conntrack_max and the hash size are never touched", async () => {
    const runner = scriptedRunner([
      { argv: ["sysctl", "-n", "net.netfilter.nf_conntrack_udp_timeout"], result: { stdout: "30\n" } },
    ]);
    const r = await applyConntrackSysctls(runner, [{ key: "net.netfilter.nf_conntrack_max", value: 131072 }, { key: "net.netfilter.nf_conntrack_udp_timeout", value: 30 }], memoryLogger(), false);
    expect(runner.calls.map((c) => c.argv.join(" "))).toEqual(["sysctl -n net.netfilter.nf_conntrack_udp_timeout"]);
    expect(r).toEqual({ written: [], failed: [] });
  });
});

const canRun = process.getuid?.() === 0 && Bun.which("ip") !== null && Bun.which("sysctl") !== null;

describe.skipIf(!canRun)("conntrack sysctls on the kernel, inside a namespace", () => {
  test("per-namespace timeouts are written there and the host's stay as they were", async () => {
    const { inNetns, realRunner } = await import("../lib/exec.ts");
    const ns = `kpb-ct-${process.pid}-1`;
    const key = "net.netfilter.nf_conntrack_tcp_timeout_close_wait";
    await realRunner(["ip", "netns", "add", ns]);
    try {
      const r = inNetns(realRunner, ns);
      await r(["conntrack", "-L"]); // loads the conntrack sysctls into the namespace
      const host = (await realRunner(["sysctl", "-n", key])).stdout.trim();
      const want = Number(host) === 1234 ? 1235 : 1234;
      const res = await applyConntrackSysctls(r, [{ key, value: want }], memoryLogger(), false);
      expect(res.written).toEqual([key]);
      expect((await r(["sysctl", "-n", key])).stdout.trim()).toBe(String(want));
      expect((await realRunner(["sysctl", "-n", key])).stdout.trim()).toBe(host);
      expect((await applyConntrackSysctls(r, [{ key, value: want }], memoryLogger(), false)).written).toEqual([]);
    } finally {
      await realRunner(["ip", "netns", "del", ns]);
    }
  });
});
