/**
 * The walking skeleton end to end, in each proxy mode: the compiled binary, run for a lab node
 * against the sandbox API server, moves real TCP and UDP packets from a client namespace to pod
 * namespaces through a ClusterIP, follows EndpointSlice changes, rejects when there are no
 * endpoints, skips a bad object without losing the good ones, and removes a deleted Service's rules.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { ProxyMode } from "../../src/backends/backend.ts";
import type { SandboxApiServer } from "../../src/sandbox/apiserver/server.ts";
import type { Lab } from "../../src/sandbox/lab/lab-types.ts";
import { startNodeLab, type NodeLab } from "../../src/sandbox/node-lab.ts";
import { clusterIPService, endpointSlice, type ServicePortSpec } from "../../src/sandbox/objects.ts";
import { freePort, startProxyProcess, type ProxyProcess } from "../../src/sandbox/proxy-process.ts";
import { nodeRules, waitForNodeRules } from "../../src/sandbox/wait-for-rules.ts";
import { DNS_CLUSTER_IP, NODE_NAME } from "../support/addresses.ts";
import { ensureBinary } from "../support/binary.ts";

const PORTS: ServicePortSpec[] = [
  { name: "http", protocol: "TCP", port: 80, targetPort: 8080 },
  { name: "dns", protocol: "UDP", port: 53, targetPort: 5353 },
];
const VIP = DNS_CLUSTER_IP;

/** How each mode shows "this ServicePort rejects" and "the table is ours and present" in its dump. */
const SHAPES: Record<ProxyMode, { rejects: RegExp; present: string }> = {
  nftables: { rejects: /no-endpoint-services[\s\S]*10\.96\.0\.10 \. tcp \. 80/, present: "service-ips" },
  iptables: { rejects: /-d 10\.96\.0\.10\/32 -p tcp .*--dport 80 -j REJECT/, present: ":KUBE-SERVICES" },
};

for (const mode of ["nftables", "iptables"] as const) {
  describe(`ClusterIP end to end (${mode} mode)`, () => {
    let server: SandboxApiServer;
    let lab: Lab;
    let proxy: ProxyProcess;
    let nodeLab: NodeLab;

    const setPods = (names: string[]) =>
      server.apply("endpointslices", endpointSlice("demo", "web", lab.pods.filter((p) => names.includes(p.name)).map((p) => ({ name: p.name, ip: p.ip, nodeName: NODE_NAME })), PORTS));
    const probe = (proto: "tcp" | "udp", count = 100) => lab.probe(lab.client.ns, { proto, ip: VIP, port: proto === "tcp" ? 80 : 53, count, timeoutMs: 1000 });
    const waitForRules = async (what: string, ok: (rules: string) => boolean) => {
      try {
        await waitForNodeRules(lab, what, ok, 10_000, mode);
      } catch (e) {
        throw new Error(`${(e as Error).message}\n${proxy.log()}`);
      }
    };

    beforeAll(async () => {
      const binary = await ensureBinary();
      nodeLab = await startNodeLab({ pods: 3, command: [binary] });
      ({ server, lab } = nodeLab);
      server.apply("services", clusterIPService("demo", "web", VIP, PORTS));
      setPods(lab.pods.map((p) => p.name));
      proxy = startProxyProcess({ command: [binary], kubeconfig: nodeLab.kubeconfig, nodeName: NODE_NAME, netns: lab.node.ns, healthzPort: freePort(), metricsPort: freePort(), extraFlags: [`--proxy-mode=${mode}`, "--min-sync-period=100ms", "-v=2"] });
      await proxy.waitHealthy(20_000);
      await proxy.waitSyncedAfter(0, 20_000);
    });

    afterAll(async () => {
      await proxy?.stop();
      await nodeLab?.destroy();
    });

    test("/healthz answers 200 with upstream's body after the first sync", async () => {
      const res = await fetch(proxy.healthzUrl);
      expect(res.status).toBe(200);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ nodeEligible: true, healthy: true, status: { IPv4: { healthy: true } } });
      const metrics = await (await fetch(proxy.metricsUrl)).text();
      expect(metrics).toMatch(/^kubeproxy_sync_proxy_rules_duration_seconds_count\{ip_family="IPv4"\} [1-9]/m);
      expect(metrics).toMatch(/^kubeproxy_sync_proxy_rules_last_timestamp_seconds\{ip_family="IPv4"\} \d/m);
      expect(await (await fetch(proxy.metricsUrl.replace("/metrics", "/proxyMode"))).text()).toBe(mode);
      // Mode-specific metrics exist only in their mode, as upstream registers them.
      const iptablesTotal = /^kubeproxy_sync_proxy_rules_iptables_total\{table="nat",ip_family="IPv4"\} [1-9]/m;
      if (mode === "iptables") {
        expect(metrics).toMatch(iptablesTotal);
        expect(metrics).not.toContain("kubeproxy_sync_proxy_rules_nftables_sync_failures_total");
      } else {
        expect(metrics).not.toMatch(iptablesTotal);
        expect(metrics).toContain("# TYPE kubeproxy_sync_proxy_rules_nftables_sync_failures_total counter");
      }
    });

    test.each(["tcp", "udp"] as const)("%s to the ClusterIP reaches each of 3 pods", async (proto) => {
      const r = await probe(proto);
      expect(Object.keys(r.answers).sort()).toEqual(["pod-a", "pod-b", "pod-c"]);
      expect(r.refused + r.timeouts + r.errors).toBe(0);
    });

    test("an EndpointSlice with an unparsable address is skipped, and the Service's other endpoints keep working", async () => {
      server.apply("endpointslices", endpointSlice("demo", "web", [{ name: "pod-x", ip: "10.244.1.300" }], PORTS, "broken"));
      const deadline = Date.now() + 5000;
      while (!proxy.log().includes("demo/web-broken") && Date.now() < deadline) await Bun.sleep(50);
      expect(proxy.log()).toMatch(/demo\/web-broken.*endpoints\.0\.addresses\.0/);
      const r = await probe("tcp", 60);
      expect(Object.keys(r.answers).sort()).toEqual(["pod-a", "pod-b", "pod-c"]);
      server.remove("endpointslices", "demo", "web-broken");
    });

    test("removing an endpoint from the EndpointSlice takes it out of rotation", async () => {
      setPods(["pod-a", "pod-b"]);
      await waitForRules("pod-c gone", (t) => !t.includes(lab.pod("pod-c").ip) && t.includes(lab.pod("pod-b").ip));
      for (const proto of ["tcp", "udp"] as const) {
        const r = await probe(proto);
        expect(Object.keys(r.answers).sort()).toEqual(["pod-a", "pod-b"]);
      }
    });

    test("with no endpoints, new connections are refused at once, not timed out", async () => {
      setPods([]);
      await waitForRules("no endpoints", (t) => !t.includes(lab.pod("pod-a").ip) && SHAPES[mode].rejects.test(t));
      for (const proto of ["tcp", "udp"] as const) {
        const r = await probe(proto, 10);
        expect(r.refused).toBe(10);
        expect(r.answers).toEqual({});
        expect(r.elapsedMs).toBeLessThan(1000);
      }
    });

    test("deleting the Service removes its rules", async () => {
      expect(await nodeRules(lab, mode)).toContain(VIP);
      server.remove("services", "demo", "web");
      await waitForRules("the Service gone", (t) => t.includes(SHAPES[mode].present) && !t.includes(VIP));
      const r = await probe("tcp", 1);
      expect(r.refused).toBe(0);
    });

    test("--cleanup removes the rules of every mode", async () => {
      await proxy.stop();
      const cleanup = Bun.spawn([await ensureBinary(), "--cleanup", `--sandbox-netns=${lab.node.ns}`], { stdout: "pipe", stderr: "pipe" });
      expect(await cleanup.exited).toBe(0);
      expect((await lab.exec(lab.node.ns, ["nft", "list", "ruleset"])).stdout).not.toContain("kube-proxy");
      // kubelet's KUBE-FIREWALL stays, as upstream's cleanup leaves it.
      expect((await lab.exec(lab.node.ns, ["iptables-save"])).stdout.split("\n").filter((l) => l.includes("KUBE-") && !l.includes("KUBE-FIREWALL"))).toEqual([]);
    });
  });
}
