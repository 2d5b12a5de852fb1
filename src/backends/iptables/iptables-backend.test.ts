import { describe, expect, test } from "bun:test";
import type { Runner } from "../../lib/exec.ts";
import type { ProxyState, ServicePortState } from "../../model/proxy-state.ts";
import { isBackendError } from "../backend.ts";
import { iptablesFakeRunner } from "./fake-runner.ts";
import { createIptablesBackend } from "./iptables-backend.ts";
import { endpointChain, serviceChain } from "./names.ts";

const sp = (name: string, ip: string, protocol: "TCP" | "UDP", port: number, eps: string[]): ServicePortState => ({
  id: `demo/${name}:p/${protocol}`,
  namespace: "demo",
  name,
  portName: "p",
  protocol,
  clusterIP: ip,
  port,
  endpoints: eps.map((e) => ({ ip: e, port: 8080 })),
});
const state = (...servicePorts: ServicePortState[]): ProxyState => ({ family: "IPv4", servicePorts });

const web = sp("web", "10.96.0.10", "TCP", 80, ["10.244.1.10", "10.244.1.11", "10.244.1.12"]);
const empty = sp("empty", "10.96.0.20", "UDP", 53, []);

describe("iptables backend over the fake", () => {
  test("ClusterIP: dispatch, probability cascade, endpoint chains, reject without endpoints", async () => {
    const runner = iptablesFakeRunner();
    await createIptablesBackend({ runner, family: "IPv4" }).sync(state(web, empty));
    const nat = runner.fake.tables.get("nat")!.chains;
    const svc = serviceChain(web);
    expect(nat.get("KUBE-SERVICES")!.rules).toEqual([`-d 10.96.0.10/32 -p tcp -m comment --comment "demo/web:p cluster IP" -m tcp --dport 80 -j ${svc}`]);
    expect(nat.get(svc)!.rules).toEqual([
      `-m comment --comment "demo/web:p -> 10.244.1.10:8080" -m statistic --mode random --probability 0.33333333349 -j ${endpointChain(web, web.endpoints[0]!)}`,
      `-m comment --comment "demo/web:p -> 10.244.1.11:8080" -m statistic --mode random --probability 0.50000000000 -j ${endpointChain(web, web.endpoints[1]!)}`,
      `-m comment --comment "demo/web:p -> 10.244.1.12:8080" -j ${endpointChain(web, web.endpoints[2]!)}`,
    ]);
    expect(nat.get(endpointChain(web, web.endpoints[0]!))!.rules).toEqual([
      '-s 10.244.1.10/32 -m comment --comment "demo/web:p" -j KUBE-MARK-MASQ',
      '-p tcp -m comment --comment "demo/web:p" -m tcp -j DNAT --to-destination 10.244.1.10:8080',
    ]);
    expect(nat.get("PREROUTING")!.rules).toEqual(['-m comment --comment "kubernetes service portals" -j KUBE-SERVICES']);
    const filter = runner.fake.tables.get("filter")!.chains;
    expect(filter.get("KUBE-SERVICES")!.rules).toEqual(['-d 10.96.0.20/32 -p udp -m comment --comment "demo/empty:p has no endpoints" -m udp --dport 53 -j REJECT --reject-with icmp-port-unreachable']);
    expect(filter.get("FORWARD")!.rules).toHaveLength(4);
  });

  test("a later sync deletes the chains of a removed endpoint and Service, and never duplicates jumps", async () => {
    const runner = iptablesFakeRunner();
    const backend = createIptablesBackend({ runner, family: "IPv4" });
    await backend.sync(state(web, empty));
    const fewer = { ...web, endpoints: web.endpoints.slice(0, 1) };
    await backend.sync(state(fewer));
    const natChains = () => runner.fake.tables.get("nat")!.chains;
    expect([...natChains().keys()].filter((c) => c.startsWith("KUBE-SEP-"))).toEqual([endpointChain(web, web.endpoints[0]!)]);
    await backend.sync(state());
    const nat = natChains();
    expect([...nat.keys()].filter((c) => /^KUBE-(SVC|SEP)-/.test(c))).toEqual([]);
    expect(nat.get("PREROUTING")!.rules).toHaveLength(1);
    expect(runner.fake.tables.get("filter")!.chains.get("KUBE-SERVICES")!.rules).toEqual([]);
  });

  test("a restarted proxy takes over existing chains and deletes stale ones", async () => {
    const runner = iptablesFakeRunner();
    await createIptablesBackend({ runner, family: "IPv4" }).sync(state(web));
    await createIptablesBackend({ runner, family: "IPv4" }).sync(state(empty));
    const nat = runner.fake.tables.get("nat")!.chains;
    expect([...nat.keys()].filter((c) => /^KUBE-(SVC|SEP)-/.test(c))).toEqual([]);
    expect(nat.get("PREROUTING")!.rules).toHaveLength(1);
  });

  test("a refused restore is a BackendError and the next sync re-reads the kernel", async () => {
    const inner = iptablesFakeRunner();
    let refuse = false;
    const runner: Runner = async (argv, stdin) => (refuse && argv[0] === "iptables-restore" ? { exitCode: 2, stdout: "", stderr: "line 3: RULE_APPEND failed" } : inner(argv, stdin));
    const backend = createIptablesBackend({ runner, family: "IPv4" });
    await backend.sync(state(web));
    inner.fake.restore("*nat\n:KUBE-SVC-OTHER - [0:0]\nCOMMIT\n");
    refuse = true;
    const err = await backend.sync(state(web)).catch((e) => e);
    expect(isBackendError(err, "apply")).toBe(true);
    expect((err as Error).message).toContain("RULE_APPEND failed");
    refuse = false;
    await backend.sync(state(web));
    expect(inner.fake.tables.get("nat")!.chains.has("KUBE-SVC-OTHER")).toBe(false);
  });

  test("cleanup removes every chain and jump of ours", async () => {
    const runner = iptablesFakeRunner();
    const backend = createIptablesBackend({ runner, family: "IPv4" });
    await backend.sync(state(web, empty));
    await backend.cleanup();
    for (const table of ["nat", "filter"]) {
      const chains = runner.fake.tables.get(table)!.chains;
      expect([...chains.keys()].filter((c) => c.startsWith("KUBE-"))).toEqual([]);
      for (const [, c] of chains) expect(c.rules).toEqual([]);
    }
  });
});

describe("iptables backend: kubelet's KUBE-FIREWALL (localhost NodePorts)", () => {
  test("a full sync restores it on its own, first; a partial sync leaves it alone", async () => {
    const runner = iptablesFakeRunner();
    const backend = createIptablesBackend({ runner, family: "IPv4", localhostNodePorts: true });
    await backend.sync(state(web, empty));
    expect(runner.restores).toHaveLength(2);
    expect(runner.restores[0]).toBe('*filter\n:KUBE-FIREWALL - [0:0]\n-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP\nCOMMIT\n');
    expect(runner.restores[1]).not.toContain(":KUBE-FIREWALL");
    expect(runner.restores[1]).toContain("-I INPUT 1 -j KUBE-FIREWALL");
    const rule = () => runner.fake.tables.get("filter")!.chains.get("KUBE-FIREWALL")!.rules;
    expect(rule()).toHaveLength(1);
    await backend.sync(state(web), new Set(["demo/empty"]));
    expect(runner.restores).toHaveLength(3);
    expect(runner.restores[2]).not.toContain("KUBE-FIREWALL");
    expect(rule()).toHaveLength(1);
  });
});

describe("iptables backend start-up reads", () => {
  test("cleanup reads the rules from the variant detection's dump: two -save processes, not three", async () => {
    const inner = iptablesFakeRunner();
    await createIptablesBackend({ runner: inner, family: "IPv4" }).sync(state(web));
    const calls: string[] = [];
    const nftVariant: Runner = async (argv, stdin) => {
      calls.push(argv[0]!);
      if (argv[0] === "iptables-legacy-save") return { exitCode: 1, stdout: "", stderr: "no legacy tables" };
      return inner([argv[0]!.replace("-nft", ""), ...argv.slice(1)], stdin);
    };
    await createIptablesBackend({ runner: nftVariant, family: "IPv4" }).cleanup();
    expect(calls.sort()).toEqual(["iptables-legacy-save", "iptables-nft-restore", "iptables-nft-save"]);
    expect([...inner.fake.tables.get("nat")!.chains.keys()].filter((c) => c.startsWith("KUBE-"))).toEqual([]);
  });
});

describe("iptables backend reports", () => {
  test("each restore reports rules written and owned per table; a partial sync writes fewer", async () => {
    const reports: import("./iptables-backend.ts").RestoreReport[] = [];
    const runner = iptablesFakeRunner();
    const backend = createIptablesBackend({ runner, family: "IPv4", onRestore: (r) => reports.push(r) });
    await backend.sync(state(web, empty));
    await backend.sync(state(web, { ...empty, endpoints: [{ ip: "10.244.1.20", port: 8080 }] }), new Set(["demo/empty"]));
    const [full, partial] = reports;
    expect(full).toMatchObject({ ok: true, full: true });
    const owned = [...runner.fake.tables.get("nat")!.chains].filter(([c]) => c.startsWith("KUBE-")).reduce((n, [, c]) => n + c.rules.length, 0);
    expect(partial!.total.nat).toBe(owned);
    expect(partial!.full).toBe(false);
    expect(partial!.written.nat).toBeLessThan(partial!.total.nat);
  });

  test("dropInvalid: false leaves out the conntrack INVALID drop (nf_conntrack_tcp_be_liberal)", async () => {
    const runner = iptablesFakeRunner();
    await createIptablesBackend({ runner, family: "IPv4", dropInvalid: false }).sync(state(web));
    expect(runner.fake.tables.get("filter")!.chains.get("KUBE-FORWARD")!.rules.join("\n")).not.toContain("INVALID");
  });
});

describe("iptables canary watchdog", () => {
  test("a flushed canary makes the next sync full; present, nothing happens", async () => {
    const runner = iptablesFakeRunner();
    const backend = createIptablesBackend({ runner, family: "IPv4" });
    expect(await backend.watchdog!()).toBe(false);
    await backend.sync(state(web), new Set());
    expect(await backend.watchdog!()).toBe(false);
    expect((await backend.sync(state(web), new Set())).full).toBe(false);
    // Someone flushes our rules and removes the canary.
    runner.fake.restore("*mangle\n-X KUBE-PROXY-CANARY\nCOMMIT\n*nat\n-F KUBE-SERVICES\nCOMMIT\n");
    expect(await backend.watchdog!()).toBe(true);
    expect((await backend.sync(state(web), new Set())).full).toBe(true);
    expect(runner.fake.tables.get("nat")!.chains.get("KUBE-SERVICES")!.rules).toHaveLength(1);
    expect(runner.fake.tables.get("mangle")!.chains.has("KUBE-PROXY-CANARY")).toBe(true);
  });
});
