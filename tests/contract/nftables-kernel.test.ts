/**
 * The nftables backend against the real kernel, inside a namespace of its own: what we render,
 * nft 1.0.6 accepts, and the kernel ends up holding exactly the objects of the current state
 * (a full sync atomically replaces the table). Skipped without root, `ip` or `nft`.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { isBackendError } from "../../src/backends/backend.ts";
import { createNftClient } from "../../src/backends/nftables/client.ts";
import { createNftablesBackend } from "../../src/backends/nftables/nftables-backend.ts";
import { createFakeNft } from "../../src/backends/nftables/fake.ts";
import { canonicalListing } from "../../src/backends/nftables/fake-listing.ts";
import { scriptedRunner } from "../../src/lib/exec.ts";
import { Transaction } from "../../src/backends/nftables/transaction.ts";
import type { NodeFacts, ProxyState, ServicePortState } from "../../src/model/proxy-state.ts";
import { readKernelTable } from "../support/nft-json.ts";
import { canUseNetns, createTestNetns, type TestNetns } from "../support/nft-netns.ts";

const usable = await canUseNetns();

function sp(namespace: string, name: string, portName: string, protocol: ServicePortState["protocol"], clusterIP: string, port: number, endpoints: ServicePortState["endpoints"], extra: Partial<ServicePortState> = {}): ServicePortState {
  return { id: `${namespace}/${name}:${portName}/${protocol}`, namespace, name, portName, protocol, clusterIP, port, endpoints, ...extra };
}

const webTCP = sp("ns1", "web", "http", "TCP", "172.30.0.10", 80, [{ ip: "10.180.0.1", port: 8080 }, { ip: "10.180.0.2", port: 8080 }], {
  nodePort: 30080, externalIPs: ["192.0.2.10"], loadBalancerIPs: ["198.51.100.10", "198.51.100.11"], loadBalancerSourceRanges: ["10.0.0.0/24", "203.0.113.0/24"],
});
const webUDP = sp("ns1", "web", "dns", "UDP", "172.30.0.10", 53, [{ ip: "10.180.0.1", port: 5353 }, { ip: "10.180.0.2", port: 5353 }]);
const empty = sp("ns2", "empty", "", "TCP", "172.30.0.20", 80, [], { nodePort: 30090, loadBalancerIPs: ["198.51.100.20"] });
const gone = sp("ns3", "gone", "p", "TCP", "172.30.0.30", 443, [{ ip: "10.180.0.3", port: 8443 }]);

const sctp = sp("ns4", "sig", "", "SCTP", "172.30.0.40", 3868, [{ ip: "10.180.0.4", port: 3868 }], { nodePort: 30868, externalIPs: ["192.0.2.40"] });
const node: NodeFacts = { nodeIP: "10.0.0.10", nodePorts: { matchAll: false, cidrs: ["10.0.0.10/32", "192.168.0.0/16"] }, masqueradeAll: false, localDetector: { kind: "cidr", cidr: "10.180.0.0/16" } };
// Endpoint choice: eTP Local with affinity (per-ServicePort chains and dynamic sets), iTP Local without local endpoints.
const sticky = sp("ns5", "sticky", "", "TCP", "172.30.0.50", 80, [{ ip: "10.180.0.5", port: 80, local: true }, { ip: "10.181.0.5", port: 80, local: false }], {
  localEndpoints: [{ ip: "10.180.0.5", port: 80, local: true }], hasEndpoints: true, externalTrafficPolicy: "Local", affinityTimeoutSeconds: 10800, nodePort: 30500, externalIPs: ["192.0.2.50"],
});
const localOnly = sp("ns5", "local-only", "", "UDP", "172.30.0.51", 53, [], { localEndpoints: [], hasEndpoints: true, internalTrafficPolicy: "Local" });
const etpLocal = sp("ns5", "etp", "", "TCP", "172.30.0.52", 80, [{ ip: "10.180.0.6", port: 80, local: true }, { ip: "10.181.0.6", port: 80, local: false }], {
  localEndpoints: [{ ip: "10.180.0.6", port: 80, local: true }], hasEndpoints: true, externalTrafficPolicy: "Local", nodePort: 30520, loadBalancerIPs: ["198.51.100.52"],
});
const stateA: ProxyState = { family: "IPv4", node, servicePorts: [webTCP, webUDP, empty, gone, sctp, localOnly, sticky, etpLocal] };
const stateB: ProxyState = { family: "IPv4", node, servicePorts: [webTCP, webUDP, empty] };
const v6 = (s: ServicePortState, cip: string, eps: string[]): ServicePortState => ({ ...s, clusterIP: cip, externalIPs: [], loadBalancerIPs: [], loadBalancerSourceRanges: [], endpoints: eps.map((ip, i) => ({ ip, port: s.endpoints[i]?.port ?? 80 })) });
const stateV6: ProxyState = {
  family: "IPv6",
  node: { nodeIP: "fd00:10::10", nodePorts: { matchAll: true, cidrs: [] }, masqueradeAll: true, localDetector: { kind: "interface-prefix", prefix: "veth" } },
  servicePorts: [v6(webTCP, "fd00:30::10", ["fd00:180::1", "fd00:180::2"]), v6(webUDP, "fd00:30::10", ["fd00:180::1"]), v6(empty, "fd00:30::20", []), v6(sctp, "fd00:30::40", ["fd00:180::4"])],
};

describe.skipIf(!usable)("nftables backend on the real kernel", () => {
  let ns: TestNetns | undefined;
  const netns = () => {
    if (!ns) throw new Error("namespace not created");
    return ns;
  };

  /** Endpoints are extra addresses on lo, so one namespace holds client, rules and servers. */
  const endpointsOnLoopback = async (addresses: string[]) => {
    const steps = [["ip", "link", "set", "lo", "up"], ...addresses.map((a) => ["ip", "addr", "replace", `${a}/32`, "dev", "lo"]), ["ip", "route", "replace", "default", "dev", "lo"]];
    for (const argv of steps) expect((await netns().runner(argv)).stderr).toBe("");
  };

  beforeAll(async () => {
    ns = await createTestNetns();
  });
  afterAll(async () => {
    await ns?.dispose();
  });

  test("what we render loads, and the kernel lists exactly what the fake holds (IPv4 and IPv6, TCP, UDP, SCTP)", async () => {
    for (const [family, st] of [["ip", stateA], ["ip6", stateV6]] as const) {
      const fake = createFakeNft();
      await createNftablesBackend({ runner: scriptedRunner([]), client: fake }).sync(st);
      const stats = await createNftablesBackend({ runner: netns().runner }).sync(st);
      expect(stats.servicePorts).toBe(st.servicePorts.length);
      const listed = await netns().runner(["nft", "list", "table", family, "kube-proxy"]);
      expect(canonicalListing(listed.stdout)).toBe(fake.dump(family));
    }
  });

  test("a cold start loaded in batches (nft -f FILE per batch) ends with the table one full sync builds", async () => {
    const client = createNftClient(netns().runner);
    await client.deleteTable("ip");
    // The existence check is checked by the kernel but never applied: asking twice finds nothing.
    expect(await client.hasTable("ip")).toBe(false);
    expect(await client.hasTable("ip")).toBe(false);
    const fake = createFakeNft();
    await createNftablesBackend({ runner: scriptedRunner([]), client: fake }).sync(stateA);
    const calls: string[][] = [];
    const runner = async (argv: readonly string[], stdin?: string) => (calls.push([...argv]), netns().runner(argv, stdin));
    await createNftablesBackend({ runner, coldBatches: { first: 1, rest: 2 } }).sync(stateA);
    expect(calls[0]).toEqual(["nft", "-c", "create", "table", "ip", "kube-proxy"]);
    const batches = calls.filter((c) => c[1] === "-f");
    expect(batches.length).toBeGreaterThanOrEqual(4);
    expect(batches.every((c) => c[2] !== "-")).toBe(true);
    const listed = await netns().runner(["nft", "list", "table", "ip", "kube-proxy"]);
    expect(canonicalListing(listed.stdout)).toBe(fake.dump("ip"));
    expect(await client.hasTable("ip")).toBe(true);
  });

  test("partial syncs on the real kernel: same dump as the fake, and as a fresh full sync", async () => {
    const fake = createFakeNft();
    const onFake = createNftablesBackend({ runner: scriptedRunner([]), client: fake });
    const real = createNftablesBackend({ runner: netns().runner });
    const steps: [ProxyState, string[] | null][] = [
      [stateA, null],
      [stateB, ["ns3/gone", "ns4/sig", "ns5/sticky", "ns5/local-only", "ns5/etp"]],
      [{ ...stateB, servicePorts: [webTCP, webUDP, { ...empty, endpoints: [{ ip: "10.180.0.9", port: 80 }] }] }, ["ns2/empty"]],
      [{ ...stateB, servicePorts: [webTCP, { ...webUDP, endpoints: webUDP.endpoints.slice(0, 1) }] }, ["ns1/web", "ns2/empty"]],
      [{ ...stateB, servicePorts: [webTCP] }, ["ns1/web"]],
      [{ ...stateB, servicePorts: [webTCP] }, []],
    ];
    for (const [st, changed] of steps) {
      const a = await onFake.sync(st, changed && new Set(changed));
      const b = await real.sync(st, changed && new Set(changed));
      expect(b.full).toBe(a.full ?? true);
      // Group chains a sync left unused go in a follow-up transaction; compare once both are done.
      await Promise.all([onFake.idle?.(), real.idle?.()]);
      const listed = await netns().runner(["nft", "list", "table", "ip", "kube-proxy"]);
      expect(canonicalListing(listed.stdout)).toBe(fake.dump("ip"));
    }
    const fresh = createFakeNft();
    await createNftablesBackend({ runner: scriptedRunner([]), client: fresh }).sync(steps.at(-1)![0]);
    expect(fake.dump("ip")).toBe(fresh.dump("ip"));
  });

  test("real packets: connections to the ClusterIP are DNATed to both endpoints", async () => {
    await endpointsOnLoopback(["10.180.0.1", "10.180.0.2"]);
    await createNftablesBackend({ runner: netns().runner }).sync(stateB);
    const probe = await netns().runner([
      process.execPath,
      `${import.meta.dir}/../support/nft-tcp-probe.ts`,
      "172.30.0.10",
      "80",
      "24",
      "10.180.0.1:8080",
      "10.180.0.2:8080",
    ]);
    expect(probe.exitCode).toBe(0);
    const answers = JSON.parse(probe.stdout) as string[];
    expect(answers).toHaveLength(24);
    // Uniform random choice: both endpoints answer (the chance that one never does is 2^-23).
    expect(new Set(answers)).toEqual(new Set(["10.180.0.1:8080", "10.180.0.2:8080"]));
  });

  test("real packets: a group chain passes a Service of another K on to its own rule, and a count that moves inside its bucket reaches the new endpoints", async () => {
    await endpointsOnLoopback(["10.180.0.1", "10.180.0.2", "10.180.0.3"]);
    const eps = (n: number) => [1, 2, 3].slice(0, n).map((i) => ({ ip: `10.180.0.${i}`, port: 8080 }));
    // Three endpoints: bucket 2-3, so the packet misses the K=2 rule and meets the K=3 one.
    const three = sp("ns6", "three", "", "TCP", "172.30.0.60", 80, eps(3));
    const backend = createNftablesBackend({ runner: netns().runner });
    await backend.sync({ family: "IPv4", node, servicePorts: [three] });
    const listed = await netns().runner(["nft", "list", "chain", "ip", "kube-proxy", "group-cluster-tcp-2to3"]);
    expect(listed.stdout).toContain("numgen random mod 2 map @group-endpoints-tcp-2");
    expect(listed.stdout).toContain("numgen random mod 3 map @group-endpoints-tcp-3");
    const probe = async () => {
      const out = await netns().runner([process.execPath, `${import.meta.dir}/../support/nft-tcp-probe.ts`, "172.30.0.60", "80", "36", ...eps(3).map((e) => `${e.ip}:${e.port}`)]);
      expect(out.exitCode).toBe(0);
      return new Set(JSON.parse(out.stdout) as string[]);
    };
    // Each endpoint misses all 36 picks with chance (2/3)^36 < 1e-6.
    expect(await probe()).toEqual(new Set(["10.180.0.1:8080", "10.180.0.2:8080", "10.180.0.3:8080"]));
    // Down to two: the same chain, now its K=2 rule; the third endpoint gets nothing.
    const stats = await backend.sync({ family: "IPv4", node, servicePorts: [{ ...three, endpoints: eps(2) }] }, new Set(["ns6/three"]));
    expect(stats.full).toBe(false);
    expect(await probe()).toEqual(new Set(["10.180.0.1:8080", "10.180.0.2:8080"]));
  });

  test("cleanup removes both tables and succeeds again when they are gone", async () => {
    const backend = createNftablesBackend({ runner: netns().runner });
    await backend.cleanup();
    expect(await readKernelTable(netns().runner, "ip")).toBeNull();
    expect(await readKernelTable(netns().runner, "ip6")).toBeNull();
    await backend.cleanup();
    const ruleset = await netns().runner(["nft", "list", "ruleset"]);
    expect(ruleset.stdout.trim()).toBe("");
  });
});
