/**
 * The DNS pain, reproduced (upstream.md row 35): a UDP client keeping one connected socket to a
 * ClusterIP keeps sending from the same source port, so its conntrack entry never expires and
 * keeps pointing at the endpoint it first got. When that endpoint is replaced, only the proxy's
 * stale-flow cleanup sends the client to the new one; without it, the client hears nothing.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import type { SandboxApiServer } from "../../src/sandbox/apiserver/server.ts";
import type { BackgroundChild } from "../../src/sandbox/lab/background-child.ts";
import type { Lab } from "../../src/sandbox/lab/lab-types.ts";
import { startNodeLab, type NodeLab } from "../../src/sandbox/node-lab.ts";
import { clusterIPService, endpointSlice, type ServicePortSpec } from "../../src/sandbox/objects.ts";
import { freePort, startProxyProcess, type ProxyProcess } from "../../src/sandbox/proxy-process.ts";
import { waitForNodeRules } from "../../src/sandbox/wait-for-rules.ts";
import { DNS_CLUSTER_IP, NODE_NAME } from "../support/addresses.ts";
import { ensureBinary } from "../support/binary.ts";

const HOLD = resolve(import.meta.dir, "../support/udp-hold.ts");
const PORTS: ServicePortSpec[] = [{ name: "dns", protocol: "UDP", port: 53, targetPort: 5353 }];
let server: SandboxApiServer;
let lab: Lab;
let proxy: ProxyProcess;
let client: BackgroundChild;
let nodeLab: NodeLab;

const replies = (name: string) => client.stdout().split("\n").filter((l) => l === `reply ${name}`).length;

async function scenario(skipCleanup: boolean): Promise<{ fromNew: number }> {
  const binary = await ensureBinary();
  nodeLab = await startNodeLab({ pods: 2, command: [binary] });
  ({ server, lab } = nodeLab);
  const [a, b] = lab.pods as [(typeof lab.pods)[0], (typeof lab.pods)[0]];
  server.apply("services", clusterIPService("demo", "dns", DNS_CLUSTER_IP, PORTS));
  server.apply("endpointslices", endpointSlice("demo", "dns", [{ name: a.name, ip: a.ip, nodeName: NODE_NAME }], PORTS));
  // The switch is sandbox-only (it works only with --sandbox-netns): it lets this test show what the cleanup prevents.
  const env: Record<string, string> = skipCleanup ? { KPB_SANDBOX_SKIP_CONNTRACK_CLEANUP: "1" } : {};
  proxy = startProxyProcess({ command: [binary], kubeconfig: nodeLab.kubeconfig, nodeName: NODE_NAME, netns: lab.node.ns, healthzPort: freePort(), metricsPort: freePort(), extraFlags: ["--min-sync-period=100ms"], env });
  await proxy.waitHealthy(20_000);
  await waitForNodeRules(lab, "pod-a", (t) => t.includes(a.ip));

  client = lab.spawn(lab.client.ns, [process.execPath, HOLD, "client", DNS_CLUSTER_IP, "53"]);
  const deadline = Date.now() + 5000;
  while (replies(a.name) < 3 && Date.now() < deadline) await Bun.sleep(50);
  expect(replies(a.name)).toBeGreaterThanOrEqual(3);

  // pod-a is replaced by pod-b: it leaves the slice and stops answering (a terminating pod whose
  // server is gone; its interface stays, as it does until the pod is deleted). Deleting its
  // interface would make the kernel drop the flow by itself and hide the problem.
  server.apply("endpointslices", endpointSlice("demo", "dns", [{ name: b.name, ip: b.ip, nodeName: NODE_NAME }], PORTS));
  await lab.exec(a.ns, ["nft", "-f", "-"], "table ip dead {\n  chain input {\n    type filter hook input priority 0;\n    udp dport 5353 drop\n  }\n}\n");
  await waitForNodeRules(lab, "pod-b only", (t) => t.includes(b.ip) && !t.includes(a.ip));
  await Bun.sleep(2000);
  return { fromNew: replies(b.name) };
}

afterEach(async () => {
  await client?.stop();
  await proxy?.stop();
  await nodeLab?.destroy();
});

describe("a long-lived UDP client when its endpoint is replaced", () => {
  test("with the stale-flow cleanup it reaches the new endpoint within the sync", async () => {
    const { fromNew } = await scenario(false);
    expect(fromNew).toBeGreaterThanOrEqual(5);
    const metrics = await (await fetch(proxy.metricsUrl)).text();
    expect(metrics).toMatch(/^kubeproxy_conntrack_reconciler_deleted_entries_total\{ip_family="IPv4"\} [1-9]/m);
    expect(metrics).toMatch(/^kube_proxy_bun_conntrack_deleted_entries_by_service_total\{service="demo\/dns",ip_family="IPv4"\} [1-9]/m);
  }, 60_000);

  test("without it (sandbox switch), the same client hears nothing: its flow still points at the old endpoint", async () => {
    const { fromNew } = await scenario(true);
    expect(fromNew).toBe(0);
    const flows = (await lab.exec(lab.node.ns, ["conntrack", "-L", "-p", "udp", "--orig-dst", DNS_CLUSTER_IP])).stdout;
    // The flow's reply still comes from the replaced endpoint, pod-a.
    expect(flows).toContain(`src=${lab.pod("pod-a").ip} dst=${lab.client.ip} sport=5353`);
  }, 60_000);
});

