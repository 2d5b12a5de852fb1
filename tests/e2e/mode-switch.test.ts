/**
 * Switching a running node from nftables mode to iptables mode and back: each start removes the
 * other mode's rules once its own are in (no leftovers), the Service keeps working, and an established TCP connection
 * through the ClusterIP keeps flowing across both switches (its translation lives in conntrack).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { resolve } from "node:path";
import type { ProxyMode } from "../../src/backends/backend.ts";
import type { SandboxApiServer } from "../../src/sandbox/apiserver/server.ts";
import type { BackgroundChild } from "../../src/sandbox/lab/background-child.ts";
import type { Lab } from "../../src/sandbox/lab/lab-types.ts";
import { startNodeLab, type NodeLab } from "../../src/sandbox/node-lab.ts";
import { clusterIPService, endpointSlice, type ServicePortSpec } from "../../src/sandbox/objects.ts";
import { freePort, startProxyProcess, type ProxyProcess } from "../../src/sandbox/proxy-process.ts";
import { waitForNodeRules } from "../../src/sandbox/wait-for-rules.ts";
import { DNS_CLUSTER_IP, NODE_NAME } from "../support/addresses.ts";
import { ensureBinary } from "../support/binary.ts";

const HOLD = resolve(import.meta.dir, "../support/tcp-hold.ts");
const PORTS: ServicePortSpec[] = [{ name: "hold", protocol: "TCP", port: 7000, targetPort: 7000 }];
let server: SandboxApiServer;
let lab: Lab;
let proxy: ProxyProcess | undefined;
let client: BackgroundChild;
let binary: string;
let nodeLab: NodeLab;

const pongs = () => Number(/pongs (\d+)\s*$/.exec(client.stdout())?.[1] ?? 0);

async function startProxy(mode: ProxyMode): Promise<void> {
  await proxy?.stop();
  proxy = startProxyProcess({ command: [binary], kubeconfig: nodeLab.kubeconfig, nodeName: NODE_NAME, netns: lab.node.ns, healthzPort: freePort(), metricsPort: freePort(), extraFlags: [`--proxy-mode=${mode}`, "--min-sync-period=100ms"] });
  await proxy.waitHealthy(20_000);
  await proxy.waitSyncedAfter(0, 20_000);
}

/** The other mode's rules still in the node's namespace (kubelet's KUBE-FIREWALL stays, as upstream's cleanup leaves it). */
async function leftoversOf(mode: ProxyMode): Promise<string[]> {
  if (mode === "iptables") return (await lab.exec(lab.node.ns, ["nft", "list", "tables"])).stdout.split("\n").filter((l) => l.includes("kube-proxy"));
  return (await lab.exec(lab.node.ns, ["iptables-save"])).stdout.split("\n").filter((l) => l.includes("KUBE-") && !l.includes("KUBE-FIREWALL"));
}

/**
 * `mode`'s rules are in, and the other mode's go once they are: the proxy removes them after its
 * first sync, so that the old rules serve until the new ones do.
 */
async function rulesOnlyOf(mode: ProxyMode): Promise<void> {
  await waitForNodeRules(lab, `the ${mode} rules`, (t) => t.includes(DNS_CLUSTER_IP), 10_000, mode);
  const deadline = Date.now() + 10_000;
  while ((await leftoversOf(mode)).length > 0 && Date.now() < deadline) await Bun.sleep(50);
  expect(await leftoversOf(mode)).toEqual([]);
}

async function stillFlowing(): Promise<void> {
  const before = pongs();
  const deadline = Date.now() + 5000;
  while (pongs() < before + 5 && Date.now() < deadline) await Bun.sleep(50);
  expect(pongs()).toBeGreaterThanOrEqual(before + 5);
  expect(client.stdout()).not.toContain("failed");
}

beforeAll(async () => {
  binary = await ensureBinary();
  // The pod runs a long-lived conversation server of its own instead of the echo servers.
  nodeLab = await startNodeLab({ pods: 1, command: [binary], echo: false });
  ({ server, lab } = nodeLab);
  const pod = lab.pods[0]!;
  await lab.spawn(pod.ns, [process.execPath, HOLD, "server", "7000"]).waitForLine(/ready/, 10_000);
  server.apply("services", clusterIPService("demo", "hold", DNS_CLUSTER_IP, PORTS));
  server.apply("endpointslices", endpointSlice("demo", "hold", [{ name: pod.name, ip: pod.ip, nodeName: NODE_NAME }], PORTS));
});

afterAll(async () => {
  await proxy?.stop();
  await nodeLab?.destroy();
});

test("nftables -> iptables -> nftables: no leftovers, and an established connection keeps flowing", async () => {
  await startProxy("nftables");
  await rulesOnlyOf("nftables");
  client = lab.spawn(lab.client.ns, [process.execPath, HOLD, "client", DNS_CLUSTER_IP, "7000"]);
  await client.waitForLine(/pongs 3/, 10_000);

  await startProxy("iptables");
  await rulesOnlyOf("iptables");
  await stillFlowing();

  await startProxy("nftables");
  await rulesOnlyOf("nftables");
  await stillFlowing();

  const fresh = lab.spawn(lab.client.ns, [process.execPath, HOLD, "client", DNS_CLUSTER_IP, "7000"]);
  await fresh.waitForLine(/pongs 1/, 5000);
  await fresh.stop();
}, 90_000);
