/**
 * Upstream's localhost NodePorts in iptables mode (upstream.md row 10): with the default
 * --iptables-localhost-nodeports, a connection from the node to 127.0.0.1:<nodePort> reaches a
 * pod (route_localnet is set, the traffic is masqueraded), kubelet's KUBE-FIREWALL guards
 * 127.0.0.0/8; with --iptables-localhost-nodeports=false it does not answer there. And upstream's
 * canary: rules flushed behind the proxy's back come back within a sync period.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { SandboxApiServer } from "../../src/sandbox/apiserver/server.ts";
import type { Lab } from "../../src/sandbox/lab/lab-types.ts";
import { startNodeLab, type NodeLab } from "../../src/sandbox/node-lab.ts";
import { clusterIPService, endpointSlice, type ServicePortSpec } from "../../src/sandbox/objects.ts";
import { freePort, startProxyProcess, type ProxyProcess } from "../../src/sandbox/proxy-process.ts";
import { waitForNodeRules } from "../../src/sandbox/wait-for-rules.ts";
import { DNS_CLUSTER_IP, NODE_IP, NODE_NAME } from "../support/addresses.ts";
import { ensureBinary } from "../support/binary.ts";

const PORTS: ServicePortSpec[] = [{ name: "http", protocol: "TCP", port: 80, targetPort: 8080 }];
const NODE_PORT = 30080;
let server: SandboxApiServer;
let lab: Lab;
let proxy: ProxyProcess | undefined;
let binary: string;
let nodeLab: NodeLab;

async function startProxy(extra: string[]): Promise<void> {
  await proxy?.stop();
  proxy = startProxyProcess({ command: [binary], kubeconfig: nodeLab.kubeconfig, nodeName: NODE_NAME, netns: lab.node.ns, healthzPort: freePort(), metricsPort: freePort(), extraFlags: ["--proxy-mode=iptables", "--min-sync-period=100ms", ...extra] });
  await proxy.waitHealthy(20_000);
  await proxy.waitSyncedAfter(0, 20_000);
  await waitForNodeRules(lab, "the NodePort", (t) => t.includes(`--dport ${NODE_PORT}`), 10_000, "iptables");
}

beforeAll(async () => {
  binary = await ensureBinary();
  nodeLab = await startNodeLab({ pods: 1, command: [binary] });
  ({ server, lab } = nodeLab);
  const svc = clusterIPService("demo", "web", DNS_CLUSTER_IP, PORTS);
  const spec = svc.spec as { type: string; ports: { nodePort?: number }[] };
  spec.type = "NodePort";
  spec.ports[0]!.nodePort = NODE_PORT;
  server.apply("services", svc);
  server.apply("endpointslices", endpointSlice("demo", "web", lab.pods.map((p) => ({ name: p.name, ip: p.ip, nodeName: NODE_NAME })), PORTS));
});

afterAll(async () => {
  await proxy?.stop();
  await nodeLab?.destroy();
});

describe("iptables localhost NodePorts", () => {
  test("on by default: the node reaches a pod through 127.0.0.1:<nodePort>", async () => {
    await startProxy([]);
    const r = await lab.probe(lab.node.ns, { proto: "tcp", ip: "127.0.0.1", port: NODE_PORT, count: 5, timeoutMs: 1000 });
    expect(r.answers).toEqual({ "pod-a": 5 });
    expect((await lab.exec(lab.node.ns, ["sysctl", "-n", "net.ipv4.conf.all.route_localnet"])).stdout.trim()).toBe("1");
    expect((await lab.exec(lab.node.ns, ["iptables-save", "-t", "filter"])).stdout).toContain('-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections"');
    const viaNodeIP = await lab.probe(lab.client.ns, { proto: "tcp", ip: NODE_IP, port: NODE_PORT, count: 3, timeoutMs: 1000 });
    expect(viaNodeIP.answers).toEqual({ "pod-a": 3 });
  });

  test("--iptables-localhost-nodeports=false: no answer on 127.0.0.1", async () => {
    await startProxy(["--iptables-localhost-nodeports=false"]);
    await waitForNodeRules(lab, "loopback excluded", (t) => t.includes("! -d 127.0.0.0/8"), 10_000, "iptables");
    const r = await lab.probe(lab.node.ns, { proto: "tcp", ip: "127.0.0.1", port: NODE_PORT, count: 2, timeoutMs: 500 });
    expect(r.answers).toEqual({});
  });

  test("rules flushed by someone else come back within a sync period (the canary)", async () => {
    await startProxy(["--sync-period=1s"]);
    await lab.exec(lab.node.ns, ["iptables-restore", "--noflush"], "*mangle\n-X KUBE-PROXY-CANARY\nCOMMIT\n*nat\n-F KUBE-SERVICES\nCOMMIT\n");
    expect((await lab.exec(lab.node.ns, ["iptables-save", "-t", "nat"])).stdout).not.toContain("-A KUBE-SERVICES -d 10.96.0.10/32");
    await waitForNodeRules(lab, "the ClusterIP rule back", (t) => t.includes("-A KUBE-SERVICES -d 10.96.0.10/32") && t.includes(":KUBE-PROXY-CANARY"), 10_000, "iptables");
    const r = await lab.probe(lab.client.ns, { proto: "tcp", ip: DNS_CLUSTER_IP, port: 80, count: 3, timeoutMs: 1000 });
    expect(r.answers).toEqual({ "pod-a": 3 });
  });
});
