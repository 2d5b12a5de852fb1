/**
 * The iptables fake stays honest: the same restore scripts applied to the fake and to the real
 * kernel (iptables-restore in a fresh namespace) give the same iptables-save dump.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createIptablesClient } from "../../src/backends/iptables/client.ts";
import { IptablesFake } from "../../src/backends/iptables/fake.ts";
import { RestoreScript } from "../../src/backends/iptables/restore-script.ts";
import { parseSave, printTable } from "../../src/backends/iptables/save-format.ts";
import { comment } from "../../src/backends/iptables/tokens.ts";
import { inNetns, realRunner } from "../../src/lib/exec.ts";
import { memoryLogger } from "../../src/lib/log.ts";

const ns = `kpb-ipt-${process.pid}-1`;
const canRun = process.getuid?.() === 0 && Bun.which("iptables-restore") !== null && Bun.which("ip") !== null;

beforeAll(async () => {
  if (canRun) await realRunner(["ip", "netns", "add", ns]);
});
afterAll(async () => {
  if (canRun) await realRunner(["ip", "netns", "del", ns]);
});

function scripts(): string[] {
  const nat = new RestoreScript("nat")
    .chain("KUBE-SERVICES")
    .chain("KUBE-MARK-MASQ")
    .chain("KUBE-POSTROUTING")
    .chain("KUBE-SVC-AAAAAAAAAAAAAAAA")
    .chain("KUBE-SEP-BBBBBBBBBBBBBBBB")
    .chain("KUBE-SEP-CCCCCCCCCCCCCCCC")
    .append("KUBE-MARK-MASQ", ["-j", "MARK", "--set-xmark", "0x4000/0x4000"])
    .append("KUBE-POSTROUTING", ["-m", "mark", "!", "--mark", "0x4000/0x4000", "-j", "RETURN"])
    .append("KUBE-POSTROUTING", ["-j", "MARK", "--set-xmark", "0x4000/0x0"])
    .append("KUBE-POSTROUTING", ["-m", "comment", "--comment", comment("kubernetes service traffic requiring SNAT"), "-j", "MASQUERADE", "--random-fully"])
    .append("KUBE-SERVICES", ["-d", "10.96.0.10/32", "-p", "tcp", "-m", "comment", "--comment", comment("demo/web:http cluster IP"), "-m", "tcp", "--dport", "80", "-j", "KUBE-SVC-AAAAAAAAAAAAAAAA"])
    .append("KUBE-SERVICES", ["-m", "comment", "--comment", comment("kubernetes service nodeports; NOTE: this must be the last rule in this chain"), "-m", "addrtype", "--dst-type", "LOCAL", "-j", "KUBE-MARK-MASQ"])
    .append("KUBE-SVC-AAAAAAAAAAAAAAAA", ["-m", "comment", "--comment", comment("demo/web:http -> 10.244.1.10:8080"), "-m", "recent", "--rcheck", "--seconds", "10800", "--reap", "--name", "KUBE-SEP-BBBBBBBBBBBBBBBB", "--mask", "255.255.255.255", "--rsource", "-j", "KUBE-SEP-BBBBBBBBBBBBBBBB"])
    .append("KUBE-SVC-AAAAAAAAAAAAAAAA", ["-m", "comment", "--comment", comment("demo/web:http -> 10.244.1.10:8080"), "-m", "statistic", "--mode", "random", "--probability", "0.50000000000", "-j", "KUBE-SEP-BBBBBBBBBBBBBBBB"])
    .append("KUBE-SVC-AAAAAAAAAAAAAAAA", ["-m", "comment", "--comment", comment("demo/web:http -> 10.244.1.11:8080"), "-j", "KUBE-SEP-CCCCCCCCCCCCCCCC"])
    .append("KUBE-SEP-BBBBBBBBBBBBBBBB", ["-s", "10.244.1.10/32", "-m", "comment", "--comment", comment("demo/web:http"), "-j", "KUBE-MARK-MASQ"])
    .append("KUBE-SEP-BBBBBBBBBBBBBBBB", ["-p", "tcp", "-m", "comment", "--comment", comment("demo/web:http"), "-m", "recent", "--set", "--name", "KUBE-SEP-BBBBBBBBBBBBBBBB", "--mask", "255.255.255.255", "--rsource", "-m", "tcp", "-j", "DNAT", "--to-destination", "10.244.1.10:8080"])
    .append("KUBE-SEP-CCCCCCCCCCCCCCCC", ["-p", "udp", "-m", "comment", "--comment", comment("demo/web:http"), "-m", "udp", "-j", "DNAT", "--to-destination", "10.244.1.11:8080"])
    .insert("PREROUTING", ["-m", "comment", "--comment", comment("kubernetes service portals"), "-j", "KUBE-SERVICES"])
    .insert("POSTROUTING", ["-m", "comment", "--comment", comment("kubernetes postrouting rules"), "-j", "KUBE-POSTROUTING"]);
  const filter = new RestoreScript("filter")
    .chain("KUBE-FORWARD")
    .chain("KUBE-SERVICES")
    .append("KUBE-FORWARD", ["-m", "conntrack", "--ctstate", "INVALID", "-j", "DROP"])
    .append("KUBE-FORWARD", ["-m", "comment", "--comment", comment("kubernetes forwarding rules"), "-m", "mark", "--mark", "0x4000/0x4000", "-j", "ACCEPT"])
    .append("KUBE-SERVICES", ["-d", "10.96.0.20/32", "-p", "udp", "-m", "comment", "--comment", comment("demo/empty has no endpoints"), "-m", "udp", "--dport", "53", "-j", "REJECT", "--reject-with", "icmp-port-unreachable"])
    .insert("FORWARD", ["-m", "conntrack", "--ctstate", "NEW", "-m", "comment", "--comment", comment("kubernetes service portals"), "-j", "KUBE-SERVICES"]);
  // A second sync: the SVC chain is re-declared (so flushed) and one endpoint chain deleted.
  const second = new RestoreScript("nat")
    .chain("KUBE-SVC-AAAAAAAAAAAAAAAA")
    .append("KUBE-SVC-AAAAAAAAAAAAAAAA", ["-m", "comment", "--comment", comment("demo/web:http -> 10.244.1.11:8080"), "-j", "KUBE-SEP-CCCCCCCCCCCCCCCC"])
    .deleteChain("KUBE-SEP-BBBBBBBBBBBBBBBB");
  return [nat.text(), filter.text(), second.text()];
}

describe.skipIf(!canRun)("iptables fake vs the kernel", () => {
  test("the same restore scripts give the same iptables-save dump", async () => {
    const client = createIptablesClient(inNetns(realRunner, ns), "IPv4");
    const fake = new IptablesFake();
    for (const s of scripts()) {
      fake.restore(s);
      await client.restore(s);
    }
    const kernel = parseSave(await client.save());
    for (const table of ["nat", "filter"]) {
      expect(printTable(table, kernel.get(table)!)).toBe(printTable(table, fake.tables.get(table)!));
    }
    expect(["nf_tables", "legacy"]).toContain(await client.variant());
  });

  test("a refused restore is a BackendError and changes nothing", async () => {
    const client = createIptablesClient(inNetns(realRunner, ns), "IPv4");
    const before = await client.save("nat");
    const bad = new RestoreScript("nat").chain("KUBE-SVC-AAAAAAAAAAAAAAAA").append("KUBE-SVC-AAAAAAAAAAAAAAAA", ["-j", "KUBE-NOPE"]).text();
    await expect(client.restore(bad)).rejects.toThrow("iptables-restore failed");
    expect((await client.save("nat")).replace(/^#.*\n/gm, "")).toBe(before.replace(/^#.*\n/gm, ""));
  });
});

let nsCount = 0;

describe.skipIf(!canRun)("iptables renders load into the kernel exactly as the fake has them", () => {
  const rich = (family: "IPv4" | "IPv6", detector: import("../../src/model/proxy-state.ts").LocalDetector): import("../../src/model/proxy-state.ts").ProxyState => {
    const v4 = family === "IPv4";
    const a = (v4s: string, v6s: string) => (v4 ? v4s : v6s);
    return {
      family,
      node: { nodeIP: a("10.0.0.10", "fd00:10::10"), nodePorts: { matchAll: false, cidrs: [a("10.0.0.10/32", "fd00:10::10/128")] }, masqueradeAll: false, localDetector: detector },
      servicePorts: [
        {
          id: "demo/web:http/TCP", namespace: "demo", name: "web", portName: "http", protocol: "TCP", clusterIP: a("10.96.0.10", "fd00:10:96::a"), port: 80,
          endpoints: [{ ip: a("10.244.1.10", "fd00:10:244:1::a"), port: 8080 }, { ip: a("10.244.1.11", "fd00:10:244:1::b"), port: 8080 }],
          nodePort: 30080, externalIPs: [a("192.0.2.10", "fd00:192::10")], loadBalancerIPs: [a("198.51.100.10", "fd00:198::10")],
          loadBalancerSourceRanges: [a("10.0.0.0/24", "fd00:10::/64")], externalTrafficPolicy: "Cluster",
        },
        {
          id: "demo/empty:/UDP", namespace: "demo", name: "empty", portName: "", protocol: "UDP", clusterIP: a("10.96.0.20", "fd00:10:96::14"), port: 53,
          endpoints: [], nodePort: 30053, externalIPs: [a("192.0.2.20", "fd00:192::20")],
        },
        {
          id: "demo/sctp:s/SCTP", namespace: "demo", name: "sctp", portName: "s", protocol: "SCTP", clusterIP: a("10.96.0.30", "fd00:10:96::1e"), port: 9000,
          endpoints: [{ ip: a("10.244.1.12", "fd00:10:244:1::c"), port: 9000 }],
        },
      ],
    };
  };

  test.each([
    ["IPv4", { kind: "cidr", cidr: "10.244.0.0/16" }],
    ["IPv4", { kind: "interface", name: "cbr0" }],
    ["IPv4", { kind: "interface-prefix", prefix: "veth" }],
    ["IPv6", { kind: "cidr", cidr: "fd00:10:244::/48" }],
  ] as const)("%s with detector %o", async (family, detector) => {
    const { iptablesFakeRunner } = await import("../../src/backends/iptables/fake-runner.ts");
    const { createIptablesBackend } = await import("../../src/backends/iptables/iptables-backend.ts");
    const fakeRunner = iptablesFakeRunner();
    const state = rich(family, detector);
    const log = memoryLogger();
    await createIptablesBackend({ runner: fakeRunner, family, log }).sync(state);
    // Nothing may have been left out: equal dumps of two renders that both skipped a ServicePort prove nothing.
    expect(log.lines.filter((l) => l.includes("left out"))).toEqual([]);
    expect([...fakeRunner.fake.tables.get("nat")!.chains.keys()].filter((c) => c.startsWith("KUBE-SEP-"))).toHaveLength(3);
    // A namespace of its own: the kernel must start as empty as the fake.
    const own = `${ns}-${++nsCount}`;
    await realRunner(["ip", "netns", "add", own]);
    try {
      const kernelRunner = inNetns(realRunner, own);
      const kernel = createIptablesBackend({ runner: kernelRunner, family });
      await kernel.sync(state);
      const dump = parseSave(await createIptablesClient(kernelRunner, family).save());
      for (const table of ["nat", "filter"]) expect(printTable(table, dump.get(table)!)).toBe(printTable(table, fakeRunner.fake.tables.get(table)!));
      await kernel.cleanup();
      const after = parseSave(await createIptablesClient(kernelRunner, family).save());
      for (const table of ["nat", "filter"]) expect([...after.get(table)!.chains.keys()].filter((c) => c.startsWith("KUBE-"))).toEqual([]);
    } finally {
      await realRunner(["ip", "netns", "del", own]);
    }
  });
});

describe.skipIf(!canRun)("iptables policy rules load into the kernel exactly as the fake has them", () => {
  const policies = (family: "IPv4" | "IPv6", detector: import("../../src/model/proxy-state.ts").LocalDetector): import("../../src/model/proxy-state.ts").ProxyState => {
    const a = (v4: string, v6: string) => (family === "IPv4" ? v4 : v6);
    const A = { ip: a("10.244.1.10", "fd00:10:244:1::a"), port: 8080, local: true };
    const R = { ip: a("10.244.2.20", "fd00:10:244:2::14"), port: 8080, local: false };
    const base = { namespace: "demo", portName: "", protocol: "TCP" as const, port: 80 };
    return {
      family,
      node: { nodeIP: a("10.0.0.10", "fd00:10::10"), nodePorts: { matchAll: true, cidrs: [] }, masqueradeAll: false, localDetector: detector },
      servicePorts: [
        { ...base, id: "demo/e:/TCP", name: "e", clusterIP: a("10.96.0.30", "fd00:10:96::1e"), externalTrafficPolicy: "Local", nodePort: 30090, externalIPs: [a("192.0.2.30", "fd00:192::30")], endpoints: [A, R], localEndpoints: [A], hasEndpoints: true, healthCheckNodePort: 32090, affinityTimeoutSeconds: 600 },
        { ...base, id: "demo/n:/TCP", name: "n", clusterIP: a("10.96.0.31", "fd00:10:96::1f"), externalTrafficPolicy: "Local", nodePort: 30091, endpoints: [R], localEndpoints: [], hasEndpoints: true },
        { ...base, id: "demo/i:/TCP", name: "i", clusterIP: a("10.96.0.40", "fd00:10:96::28"), internalTrafficPolicy: "Local", endpoints: [], localEndpoints: [A], hasEndpoints: true },
        { ...base, id: "demo/z:/TCP", name: "z", clusterIP: a("10.96.0.41", "fd00:10:96::29"), internalTrafficPolicy: "Local", endpoints: [], localEndpoints: [], hasEndpoints: true },
      ],
    };
  };

  test.each([
    ["IPv4", { kind: "cidr", cidr: "10.244.0.0/16" }],
    ["IPv4", { kind: "interface-prefix", prefix: "veth" }],
    ["IPv6", { kind: "interface", name: "cbr0" }],
  ] as const)("%s with detector %o", async (family, detector) => {
    const { iptablesFakeRunner } = await import("../../src/backends/iptables/fake-runner.ts");
    const { createIptablesBackend } = await import("../../src/backends/iptables/iptables-backend.ts");
    const fakeRunner = iptablesFakeRunner();
    const state = policies(family, detector);
    const log = memoryLogger();
    await createIptablesBackend({ runner: fakeRunner, family, log }).sync(state);
    expect(log.lines.filter((l) => l.includes("left out"))).toEqual([]);
    expect([...fakeRunner.fake.tables.get("nat")!.chains.keys()].filter((c) => c.startsWith("KUBE-SEP-"))).toHaveLength(4);
    const own = `${ns}-${++nsCount}`;
    await realRunner(["ip", "netns", "add", own]);
    try {
      const kernelRunner = inNetns(realRunner, own);
      await createIptablesBackend({ runner: kernelRunner, family }).sync(state);
      const dump = parseSave(await createIptablesClient(kernelRunner, family).save());
      for (const table of ["nat", "filter"]) expect(printTable(table, dump.get(table)!)).toBe(printTable(table, fakeRunner.fake.tables.get(table)!));
    } finally {
      await realRunner(["ip", "netns", "del", own]);
    }
  });
});

describe.skipIf(!canRun || Bun.which("iptables-legacy-restore") === null)("iptables-legacy", () => {
  test("a node whose kubelet uses legacy iptables gets our rules in legacy, not in nf_tables", async () => {
    const { createIptablesBackend } = await import("../../src/backends/iptables/iptables-backend.ts");
    const own = `${ns}-${++nsCount}`;
    await realRunner(["ip", "netns", "add", own]);
    try {
      const r = inNetns(realRunner, own);
      await r(["iptables-legacy-restore", "--noflush"], "*mangle\n:KUBE-IPTABLES-HINT - [0:0]\nCOMMIT\n");
      const state = { family: "IPv4" as const, servicePorts: [{ id: "d/w:/TCP", namespace: "d", name: "w", portName: "", protocol: "TCP" as const, clusterIP: "10.96.0.10", port: 80, endpoints: [{ ip: "10.244.1.10", port: 8080 }] }] };
      const backend = createIptablesBackend({ runner: r, family: "IPv4" });
      await backend.sync(state);
      expect((await r(["iptables-legacy-save", "-t", "nat"])).stdout).toContain("-d 10.96.0.10/32");
      expect((await r(["iptables-nft-save", "-t", "nat"])).stdout).not.toContain("KUBE-");
      await backend.cleanup();
      expect((await r(["iptables-legacy-save", "-t", "nat"])).stdout).not.toContain("KUBE-SVC");
    } finally {
      await realRunner(["ip", "netns", "del", own]);
    }
  });
});
