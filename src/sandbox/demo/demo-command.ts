/**
 * `kube-proxy demo`: the whole proxy on one machine in one command. It starts the sandbox API
 * server and a network-namespace lab, creates a Service with three pods, runs this very binary as
 * the node's proxy, and shows where traffic to the ClusterIP goes as the Service scales 3 -> 2 -> 0.
 * Everything it made is removed at the end, also on failure and on Ctrl-C.
 */
import { DNS_CLUSTER_IP, NODE_IP, NODE_NAME } from "../lab/address-plan.ts";
import type { ProbeResult } from "../lab/probe-result.ts";
import { startNodeLab, type NodeLab } from "../node-lab.ts";
import { clusterIPService, endpointSlice, type ServicePortSpec } from "../objects.ts";
import { waitForNodeRules } from "../wait-for-rules.ts";
import { freePort, startProxyProcess, type ProxyProcess } from "../proxy-process.ts";

const PORTS: ServicePortSpec[] = [
  { name: "http", protocol: "TCP", port: 80, targetPort: 8080 },
  { name: "dns", protocol: "UDP", port: 53, targetPort: 5353 },
];
const REQUESTS = 300;

const say = (line: string) => process.stdout.write(`${line}\n`);

function spread(r: ProbeResult): string {
  const parts = Object.entries(r.answers).sort(([a], [b]) => a.localeCompare(b)).map(([pod, n]) => `${pod} ${n}`);
  if (r.refused) parts.push(`refused ${r.refused}`);
  if (r.timeouts) parts.push(`timed out ${r.timeouts}`);
  if (r.errors) parts.push(`errors ${r.errors}`);
  return parts.join(", ");
}

export async function runDemoCommand(argv: string[]): Promise<number> {
  if (argv.length > 0) {
    process.stderr.write(`demo: takes no arguments, got ${JSON.stringify(argv)}\n`);
    return 2;
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write("demo: must run as root (it creates network namespaces)\n");
    return 1;
  }
  const started = Date.now();
  let nodeLab: NodeLab | undefined;
  let proxy: ProxyProcess | undefined;
  const cleanup = async () => {
    await proxy?.stop();
    await nodeLab?.destroy();
  };
  const onSignal = () => {
    say("\nInterrupted: removing everything the demo made...");
    void cleanup().then(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    say("1. Starting the sandbox Kubernetes API server on loopback, and a lab of network namespaces:");
    say("   a node, a client outside the cluster, 3 pods...");
    nodeLab = await startNodeLab({ pods: 3 });
    const { server, lab, kubeconfig } = nodeLab;
    say(`   API server at ${server.url} (kubeconfig: ${kubeconfig})`);
    say(`   node ${lab.node.ns} (${NODE_IP}), client ${lab.client.ns} (${lab.client.ip})`);
    for (const p of lab.pods) say(`   pod ${p.name} at ${p.ip}, answering its name on TCP 8080 and UDP 5353`);

    say(`2. Node ${NODE_NAME} is known to the API server; creating Service demo/web (ClusterIP ${DNS_CLUSTER_IP}, TCP 80, UDP 53) and its EndpointSlice...`);
    server.apply("services", clusterIPService("demo", "web", DNS_CLUSTER_IP, PORTS));
    const setPods = (names: string[]) =>
      server.apply("endpointslices", endpointSlice("demo", "web", lab.pods.filter((p) => names.includes(p.name)).map((p) => ({ name: p.name, ip: p.ip, nodeName: NODE_NAME })), PORTS));
    setPods(lab.pods.map((p) => p.name));

    say("3. Starting kube-proxy (this binary) for the node, in nftables mode...");
    proxy = startProxyProcess({ kubeconfig, nodeName: NODE_NAME, netns: lab.node.ns, healthzPort: freePort(), metricsPort: freePort() });
    await proxy.waitHealthy(20_000);
    await waitForNodeRules(lab, "the Service", (t) => t.includes(lab.pods[0]!.ip));
    say(`   ${proxy.healthzUrl} answers 200: rules are in place (see: ip netns exec ${lab.node.ns} nft list table ip kube-proxy)`);

    const show = async (label: string) => {
      for (const [proto, port] of [["tcp", 80], ["udp", 53]] as const) {
        const r = await lab.probe(lab.client.ns, { proto, ip: DNS_CLUSTER_IP, port, count: REQUESTS, timeoutMs: 1000 });
        say(`   ${label} ${proto.toUpperCase()} ${DNS_CLUSTER_IP}:${port} x${REQUESTS}: ${spread(r)}${r.refused ? ` (first refusal after ${r.firstErrorMs} ms)` : ""}`);
      }
    };
    const scale = async (names: string[]) => {
      setPods(names);
      const gone = lab.pods.filter((p) => !names.includes(p.name)).map((p) => p.ip);
      await waitForNodeRules(lab, `only ${names.length} endpoints`, (t) => gone.every((ip) => !t.includes(ip)));
    };

    say(`4. Sending ${REQUESTS} requests per protocol from the client to the ClusterIP:`);
    await show("3 pods:");
    say("5. Scaling to 2 pods (pod-c leaves the EndpointSlice):");
    await scale(lab.pods.slice(0, 2).map((p) => p.name));
    await show("2 pods:");
    say("6. Scaling to 0 pods: new connections must be refused at once, not time out:");
    await scale([]);
    await show("0 pods:");
    say(`Done in ${((Date.now() - started) / 1000).toFixed(1)} s. Removing the lab, the proxy and the API server...`);
    return 0;
  } catch (e) {
    process.stderr.write(`demo failed: ${(e as Error).message}\n`);
    return 1;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await cleanup();
  }
}
