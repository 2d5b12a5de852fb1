/**
 * Which endpoint gets the packet, with real packets: the compiled binary in nftables mode for a
 * lab node, pods marked remote by giving their EndpointSlice entries another nodeName.
 * externalTrafficPolicy Local from outside (local endpoints only, source kept) and from the node
 * (masqueraded), internalTrafficPolicy Local without a local endpoint (dropped: a timeout, not a
 * refusal), session affinity over 50 connections, a terminating-only endpoint set, and the
 * health-check node port (200 with the local count, 503 without local endpoints).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { SandboxApiServer } from "../../src/sandbox/apiserver/server.ts";
import type { KubeObject } from "../../src/sandbox/apiserver/store.ts";
import type { Lab } from "../../src/sandbox/lab/lab-types.ts";
import { startNodeLab, type NodeLab } from "../../src/sandbox/node-lab.ts";
import { freePort, startProxyProcess, type ProxyProcess } from "../../src/sandbox/proxy-process.ts";
import { waitForNodeRules } from "../../src/sandbox/wait-for-rules.ts";
import { CLUSTER_CIDR, NODE_IP, NODE_NAME, POD_GATEWAY_IP, REMOTE_NODE_NAME, clusterIP, loadBalancerIP } from "../support/addresses.ts";
import { ensureBinary } from "../support/binary.ts";

const HCNP = 32000 + (process.pid % 1000);

function service(name: string, i: number, spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { namespace: "demo", name },
    spec: { type: "ClusterIP", clusterIP: clusterIP(i), clusterIPs: [clusterIP(i)], ipFamilies: ["IPv4"], ports: [{ name: "http", protocol: "TCP", port: 80, targetPort: 8080 }], ...spec },
  };
}

type Ep = { pod: string; node?: string; terminating?: boolean };
function slice(lab: Lab, svc: string, eps: Ep[]): KubeObject {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { namespace: "demo", name: `${svc}-1`, labels: { "kubernetes.io/service-name": svc } },
    addressType: "IPv4",
    endpoints: eps.map((e) => ({
      addresses: [lab.pod(e.pod).ip],
      nodeName: e.node ?? NODE_NAME,
      conditions: e.terminating ? { ready: false, serving: true, terminating: true } : { ready: true, serving: true, terminating: false },
    })),
    ports: [{ name: "http", protocol: "TCP", port: 8080 }],
  };
}

describe("endpoint choice end to end (nftables mode)", () => {
  let server: SandboxApiServer;
  let lab: Lab;
  let proxy: ProxyProcess;
  let nodeLab: NodeLab;
  const probe = (ns: string, ip: string, port: number, count: number, timeoutMs = 1000) => lab.probe(ns, { proto: "tcp", ip, port, count, timeoutMs });

  beforeAll(async () => {
    const binary = await ensureBinary();
    nodeLab = await startNodeLab({ pods: 4, command: [binary] });
    ({ server, lab } = nodeLab);
    const lbPort = (nodePort: number) => [{ name: "http", protocol: "TCP", port: 80, targetPort: 8080, nodePort }];
    // pod-a and pod-b are on this node; pod-c and pod-d are said to be on node-b.
    server.apply("services", { ...service("etp", 20, { type: "LoadBalancer", ports: lbPort(31020), externalTrafficPolicy: "Local", healthCheckNodePort: HCNP }), status: { loadBalancer: { ingress: [{ ip: loadBalancerIP(20), ipMode: "VIP" }] } } });
    server.apply("endpointslices", slice(lab, "etp", [{ pod: "pod-a" }, { pod: "pod-c", node: REMOTE_NODE_NAME }]));
    server.apply("services", service("remote-lb", 21, { type: "LoadBalancer", ports: lbPort(31021), externalTrafficPolicy: "Local", healthCheckNodePort: HCNP + 1 }));
    server.apply("endpointslices", slice(lab, "remote-lb", [{ pod: "pod-c", node: REMOTE_NODE_NAME }]));
    server.apply("services", service("itp", 22, { internalTrafficPolicy: "Local" }));
    server.apply("endpointslices", slice(lab, "itp", [{ pod: "pod-c", node: REMOTE_NODE_NAME }, { pod: "pod-d", node: REMOTE_NODE_NAME }]));
    server.apply("services", service("sticky", 23, { sessionAffinity: "ClientIP", sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } }));
    server.apply("endpointslices", slice(lab, "sticky", [{ pod: "pod-a" }, { pod: "pod-b" }, { pod: "pod-c" }, { pod: "pod-d" }]));
    server.apply("services", service("draining", 24, {}));
    server.apply("endpointslices", slice(lab, "draining", [{ pod: "pod-b", terminating: true }, { pod: "pod-d", terminating: true }]));
    proxy = startProxyProcess({
      command: [binary], kubeconfig: nodeLab.kubeconfig, nodeName: NODE_NAME, netns: lab.node.ns, healthzPort: freePort(), metricsPort: freePort(),
      extraFlags: ["--proxy-mode=nftables", "--min-sync-period=100ms", `--cluster-cidr=${CLUSTER_CIDR}`, "--nodeport-addresses=primary", "-v=2"],
    });
    await proxy.waitHealthy(20_000);
    await waitForNodeRules(lab, "every Service", (t) => t.includes(clusterIP(24)) && t.includes("affinity-"), 10_000);
  });

  afterAll(async () => {
    await proxy?.stop();
    await nodeLab?.destroy();
  });

  test("eTP Local from outside: only the local endpoint, the client's address preserved (LB IP and NodePort)", async () => {
    for (const [ip, port] of [[loadBalancerIP(20), 80], [NODE_IP, 31020]] as const) {
      const r = await probe(lab.client.ns, ip, port, 20);
      expect(r.answers).toEqual({ "pod-a": 20 });
      expect(Object.keys(r.sources)).toEqual([lab.client.ip]);
    }
  });

  test("eTP Local from a pod: short-circuit to every endpoint, its own address kept (as if via the load balancer)", async () => {
    const r = await probe(lab.pod("pod-b").ns, loadBalancerIP(20), 80, 40);
    expect(Object.keys(r.answers).sort()).toEqual(["pod-a", "pod-c"]);
    expect(Object.keys(r.sources)).toEqual([lab.pod("pod-b").ip]);
  });

  test("eTP Local from the node: all endpoints, masqueraded", async () => {
    const r = await probe(lab.node.ns, NODE_IP, 31020, 40);
    expect(Object.keys(r.answers).sort()).toEqual(["pod-a", "pod-c"]);
    expect(Object.keys(r.sources)).toEqual([POD_GATEWAY_IP]);
  });

  test("eTP Local with no local endpoint: outside traffic is dropped (timeout, not refusal)", async () => {
    const r = await probe(lab.client.ns, NODE_IP, 31021, 2, 500);
    expect(r.timeouts).toBe(2);
    expect(r.refused).toBe(0);
  });

  test("iTP Local with no local endpoint: ClusterIP traffic from a pod times out, not refused", async () => {
    const r = await probe(lab.pod("pod-a").ns, clusterIP(22), 80, 2, 500);
    expect(r.timeouts).toBe(2);
    expect(r.refused).toBe(0);
  });

  test("session affinity: one client keeps its endpoint over 50 connections; others spread", async () => {
    const r = await probe(lab.client.ns, clusterIP(23), 80, 50);
    expect(Object.values(r.answers)).toEqual([50]);
    const seen = new Set<string>();
    // Seven clients: the four pods, the node, and the outside host beside the client.
    const clients: [string, string | undefined][] = [...["pod-a", "pod-b", "pod-c", "pod-d"].map((p) => [lab.pod(p).ns, undefined] as [string, undefined]), [lab.node.ns, undefined], [lab.client.ns, lab.outside.ip]];
    for (const [ns, source] of clients) {
      const x = await lab.probe(ns, { proto: "tcp", ip: clusterIP(23), port: 80, count: 10, timeoutMs: 1000, ...(source ? { source } : {}) });
      expect(Object.values(x.answers)).toEqual([10]);
      seen.add(Object.keys(x.answers)[0]!);
    }
    // Seven clients all landing on one of four endpoints has probability 4 x (1/4)^7 = 1/4096.
    expect(seen.size).toBeGreaterThan(1);
  });

  test("a terminating-only endpoint set still serves", async () => {
    const r = await probe(lab.client.ns, clusterIP(24), 80, 30);
    expect(Object.keys(r.answers).sort()).toEqual(["pod-b", "pod-d"]);
  });

  test("health-check node port: 200 with the local count where there are local ready endpoints, 503 elsewhere", async () => {
    const ok = await fetch(`http://127.0.0.1:${HCNP}/`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get("x-load-balancing-endpoint-weight")).toBe("1");
    expect(await ok.json()).toEqual({ service: { namespace: "demo", name: "etp" }, localEndpoints: 1, serviceProxyHealthy: true });
    const none = await fetch(`http://127.0.0.1:${HCNP + 1}/`);
    expect(none.status).toBe(503);
    expect(((await none.json()) as { localEndpoints: number }).localEndpoints).toBe(0);
    const metrics = await (await fetch(proxy.metricsUrl)).text();
    expect(metrics).toMatch(/kubeproxy_sync_proxy_rules_no_local_endpoints_total\{traffic_policy="external",ip_family="IPv4"\} 1/);
    expect(metrics).toMatch(/kubeproxy_sync_proxy_rules_no_local_endpoints_total\{traffic_policy="internal",ip_family="IPv4"\} 1/);
  });
});
