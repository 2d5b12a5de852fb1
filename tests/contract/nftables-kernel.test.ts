/**
 * The nftables backend against the real kernel, inside a namespace of its own: what we render,
 * nft 1.0.6 accepts, and the kernel ends up holding exactly the objects of the current state
 * (a full sync atomically replaces the table). Skipped without root, `ip` or `nft`.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { isBackendError } from "../../src/backends/backend.ts";
import { createNftClient } from "../../src/backends/nftables/client.ts";
import { createNftablesBackend } from "../../src/backends/nftables/nftables-backend.ts";
import { endpointChainName, serviceChainName } from "../../src/backends/nftables/names.ts";
import { Transaction } from "../../src/backends/nftables/transaction.ts";
import type { ProxyState, ServicePortState } from "../../src/model/proxy-state.ts";
import { readKernelTable } from "../support/nft-json.ts";
import { canUseNetns, createTestNetns, type TestNetns } from "../support/nft-netns.ts";

const usable = await canUseNetns();

function sp(namespace: string, name: string, portName: string, protocol: ServicePortState["protocol"], clusterIP: string, port: number, endpoints: ServicePortState["endpoints"]): ServicePortState {
  return { id: `${namespace}/${name}:${portName}/${protocol}`, namespace, name, portName, protocol, clusterIP, port, endpoints };
}

const webTCP = sp("ns1", "web", "http", "TCP", "172.30.0.10", 80, [{ ip: "10.180.0.1", port: 8080 }, { ip: "10.180.0.2", port: 8080 }]);
const webUDP = sp("ns1", "web", "dns", "UDP", "172.30.0.10", 53, [{ ip: "10.180.0.1", port: 5353 }, { ip: "10.180.0.2", port: 5353 }]);
const empty = sp("ns2", "empty", "", "TCP", "172.30.0.20", 80, []);
const gone = sp("ns3", "gone", "p", "TCP", "172.30.0.30", 443, [{ ip: "10.180.0.3", port: 8443 }]);

const stateA: ProxyState = { family: "IPv4", servicePorts: [webTCP, webUDP, empty, gone] };
const stateB: ProxyState = { family: "IPv4", servicePorts: [webTCP, webUDP, empty] };

describe.skipIf(!usable)("nftables backend on the real kernel", () => {
  let ns: TestNetns | undefined;
  const netns = () => {
    if (!ns) throw new Error("namespace not created");
    return ns;
  };

  beforeAll(async () => {
    ns = await createTestNetns();
  });
  afterAll(async () => {
    await ns?.dispose();
  });

  test("a TCP+UDP service with endpoints and a service without endpoints load, with the expected elements", async () => {
    const backend = createNftablesBackend({ runner: netns().runner });
    const stats = await backend.sync(stateA);
    expect(stats).toMatchObject({ servicePorts: 4, endpoints: 5 });

    const t = await readKernelTable(netns().runner, "ip");
    expect(t).not.toBeNull();
    expect(t?.elements["service-ips"]).toEqual(
      [
        `172.30.0.10 . tcp . 80 : goto ${serviceChainName(webTCP)}`,
        `172.30.0.10 . udp . 53 : goto ${serviceChainName(webUDP)}`,
        `172.30.0.30 . tcp . 443 : goto ${serviceChainName(gone)}`,
      ].sort(),
    );
    expect(t?.elements["no-endpoint-services"]).toEqual(["172.30.0.20 . tcp . 80 : goto reject-chain"]);
    expect(t?.elements["cluster-ips"]).toEqual(["172.30.0.10", "172.30.0.20", "172.30.0.30"]);
    for (const ep of webTCP.endpoints) expect(t?.chains).toContain(endpointChainName(webTCP, ep));
    expect(t?.chains).not.toContain(serviceChainName(empty));
    expect(t?.text).toContain("dnat to 10.180.0.2:5353");
    expect(t?.text).toMatch(/numgen random mod 2 vmap \{ 0 : goto endpoint-\S+__10\.180\.0\.1\/8080, 1 : goto endpoint-\S+__10\.180\.0\.2\/8080 \}/);
    expect(t?.text).toContain("type nat hook prerouting priority dstnat; policy accept;");
  });

  test("a second full sync atomically replaces the table: a removed service's chains and elements are gone", async () => {
    const backend = createNftablesBackend({ runner: netns().runner });
    await backend.sync(stateA);
    await backend.sync(stateB);
    const t = await readKernelTable(netns().runner, "ip");
    expect(t?.chains).not.toContain(serviceChainName(gone));
    expect(t?.chains).not.toContain(endpointChainName(gone, gone.endpoints[0] ?? { ip: "", port: 0 }));
    expect(t?.chains.filter((c) => c.includes("ns3/"))).toEqual([]);
    expect(t?.elements["cluster-ips"]).toEqual(["172.30.0.10", "172.30.0.20"]);
    expect(t?.elements["service-ips"]?.some((e) => e.startsWith("172.30.0.30"))).toBe(false);
    expect(t?.chains).toContain(serviceChainName(webTCP));
  });

  test("a transaction the kernel refuses changes nothing", async () => {
    const before = await readKernelTable(netns().runner, "ip");
    // Deleting a chain that rules still jump to is valid script but refused by the kernel (EBUSY).
    const tx = new Transaction({ family: "ip", table: "kube-proxy", existing: { chains: ["services", "masquerading"], sets: [], maps: [] } })
      .flush({ kind: "chain", name: "masquerading" })
      .delete({ kind: "chain", name: "services" });
    const err = await createNftClient(netns().runner).apply(tx).catch((e) => e);
    expect(isBackendError(err, "apply")).toBe(true);
    const after = await readKernelTable(netns().runner, "ip");
    expect(after?.text).toBe(before?.text ?? "missing");
    expect(after?.text).toContain("masquerade fully-random");
  });

  test("SCTP ports and unnamed ports load", async () => {
    const sctp = sp("ns4", "sig", "", "SCTP", "172.30.0.40", 3868, [{ ip: "10.180.0.4", port: 3868 }]);
    await createNftablesBackend({ runner: netns().runner }).sync({ family: "IPv4", servicePorts: [sctp] });
    const t = await readKernelTable(netns().runner, "ip");
    expect(t?.elements["service-ips"]).toEqual([`172.30.0.40 . sctp . 3868 : goto ${serviceChainName(sctp)}`]);
    expect(t?.text).toContain("meta l4proto sctp dnat to 10.180.0.4:3868");
  });

  test("IPv6 renders into table ip6 kube-proxy", async () => {
    const v6 = sp("ns1", "web6", "http", "TCP", "fd00:30::10", 80, [{ ip: "fd00:180::1", port: 8080 }]);
    const v6empty = sp("ns1", "none6", "", "UDP", "fd00:30::20", 53, []);
    await createNftablesBackend({ runner: netns().runner }).sync({ family: "IPv6", servicePorts: [v6, v6empty] });
    const t = await readKernelTable(netns().runner, "ip6");
    expect(t?.elements["service-ips"]).toEqual([`fd00:30::10 . tcp . 80 : goto ${serviceChainName(v6)}`]);
    expect(t?.elements["no-endpoint-services"]).toEqual(["fd00:30::20 . udp . 53 : goto reject-chain"]);
    expect(t?.chains).toContain(endpointChainName(v6, { ip: "fd00:180::1", port: 8080 }));
    expect(t?.text).toContain("dnat to [fd00:180::1]:8080");
  });

  test("real packets: connections to the ClusterIP are DNATed to both endpoints", async () => {
    // Endpoints are extra addresses on lo, so one namespace holds client, rules and servers.
    for (const argv of [
      ["ip", "link", "set", "lo", "up"],
      ["ip", "addr", "add", "10.180.0.1/32", "dev", "lo"],
      ["ip", "addr", "add", "10.180.0.2/32", "dev", "lo"],
      ["ip", "route", "add", "default", "dev", "lo"],
    ]) {
      const out = await netns().runner(argv);
      expect(out.stderr).toBe("");
    }
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
