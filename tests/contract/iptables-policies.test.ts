/**
 * Endpoint choice in iptables mode, over the fake and the tracer: externalTrafficPolicy Local
 * (outside clients reach local endpoints with their source kept; pods and the node short-circuit
 * to every endpoint; none local means drop), internalTrafficPolicy Local (drop when none local),
 * and session affinity (a new client may reach any endpoint; the recent checks come first).
 */
import { describe, expect, test } from "bun:test";
import { iptablesFakeRunner } from "../../src/backends/iptables/fake-runner.ts";
import { createIptablesBackend } from "../../src/backends/iptables/iptables-backend.ts";
import { endpointChain, serviceChain } from "../../src/backends/iptables/names.ts";
import type { ProxyState, ServicePortState } from "../../src/model/proxy-state.ts";
import { CLIENT_IP, NODE_IP } from "../support/addresses.ts";
import { IptablesTracer, type Fate } from "../support/ipt-tracer.ts";

const A = { ip: "10.244.1.10", port: 8080, local: true };
const B = { ip: "10.244.1.11", port: 8080, local: true };
const R = { ip: "10.244.2.20", port: 8080, local: false };
const POD = "10.244.2.5";

const sp = (name: string, o: Partial<ServicePortState>): ServicePortState => ({
  id: `demo/${name}:/TCP`, namespace: "demo", name, portName: "", protocol: "TCP", clusterIP: "10.96.0.1", port: 80, endpoints: [], ...o,
});

const state: ProxyState = {
  family: "IPv4",
  node: { nodeIP: NODE_IP, nodePorts: { matchAll: false, cidrs: [`${NODE_IP}/32`] }, masqueradeAll: false, localDetector: { kind: "cidr", cidr: "10.244.0.0/16" } },
  servicePorts: [
    sp("local-ext", { clusterIP: "10.96.0.30", externalTrafficPolicy: "Local", nodePort: 30090, externalIPs: ["192.0.2.30"], endpoints: [A, R], localEndpoints: [A], hasEndpoints: true, healthCheckNodePort: 32090 }),
    sp("local-ext-none", { clusterIP: "10.96.0.31", externalTrafficPolicy: "Local", nodePort: 30091, externalIPs: ["192.0.2.31"], endpoints: [R], localEndpoints: [], hasEndpoints: true }),
    sp("local-int", { clusterIP: "10.96.0.40", internalTrafficPolicy: "Local", endpoints: [], localEndpoints: [A], hasEndpoints: true }),
    sp("local-int-none", { clusterIP: "10.96.0.41", internalTrafficPolicy: "Local", endpoints: [], localEndpoints: [], hasEndpoints: true }),
    sp("sticky", { clusterIP: "10.96.0.50", endpoints: [A, B], affinityTimeoutSeconds: 600 }),
  ],
};

function summary(fates: Fate[]) {
  if (fates.length === 1 && fates[0]!.kind !== "dnat") return fates[0]!.kind;
  return fates.map((f) => (f.kind === "dnat" ? `${f.to}${f.masq ? " masq" : ""}` : f.kind));
}

describe("iptables endpoint choice (fake + tracer)", async () => {
  const runner = iptablesFakeRunner();
  await createIptablesBackend({ runner, family: "IPv4" }).sync(state);
  const t = new IptablesTracer(runner.fake.tables, { localAddresses: [NODE_IP, "127.0.0.1"] });
  const trace = (src: string, dst: string, dport: number, from: "outside" | "node" = "outside") => summary(t.trace({ src, dst, proto: "tcp", dport, from }));

  test.each([
    ["eTP Local, outside client via NodePort: local endpoint only, source kept", CLIENT_IP, NODE_IP, 30090, "outside", ["10.244.1.10:8080"]],
    ["eTP Local, outside client via external IP: local endpoint only, source kept", CLIENT_IP, "192.0.2.30", 80, "outside", ["10.244.1.10:8080"]],
    ["eTP Local, the node itself via NodePort: every endpoint, masqueraded", NODE_IP, NODE_IP, 30090, "node", ["10.244.1.10:8080 masq", "10.244.2.20:8080 masq"]],
    ["eTP Local, a pod via external IP: short-circuit to every endpoint, source kept", POD, "192.0.2.30", 80, "outside", ["10.244.1.10:8080", "10.244.2.20:8080"]],
    ["eTP Local with no local endpoint, outside client: dropped", CLIENT_IP, NODE_IP, 30091, "outside", "drop"],
    ["eTP Local with no local endpoint, outside client via external IP: dropped", CLIENT_IP, "192.0.2.31", 80, "outside", "drop"],
    ["eTP Local with no local endpoint, a pod still gets through", POD, "192.0.2.31", 80, "outside", ["10.244.2.20:8080"]],
    ["eTP Local: the ClusterIP still uses every endpoint", POD, "10.96.0.30", 80, "outside", ["10.244.1.10:8080", "10.244.2.20:8080"]],
    ["iTP Local, a pod: local endpoint only", POD, "10.96.0.40", 80, "outside", ["10.244.1.10:8080"]],
    ["iTP Local, an off-cluster client: local endpoint, masqueraded", CLIENT_IP, "10.96.0.40", 80, "outside", ["10.244.1.10:8080 masq"]],
    ["iTP Local with no local endpoint: dropped, not rejected", POD, "10.96.0.41", 80, "outside", "drop"],
    ["affinity: a new client may reach any endpoint", POD, "10.96.0.50", 80, "outside", ["10.244.1.10:8080", "10.244.1.11:8080"]],
  ] as const)("%s", (_name, src, dst, dport, from, want) => {
    expect(trace(src, dst, dport, from)).toEqual(want as unknown as string[]);
  });

  test("affinity: recent checks come before the random cascade, and endpoint chains record the client", () => {
    const sticky = state.servicePorts.find((s) => s.name === "sticky")!;
    const rules = runner.fake.tables.get("nat")!.chains.get(serviceChain(sticky))!.rules;
    const sep = endpointChain(sticky, A);
    expect(rules[1]).toBe(`-m comment --comment "demo/sticky -> 10.244.1.10:8080" -m recent --rcheck --seconds 600 --reap --name ${sep} --mask 255.255.255.255 --rsource -j ${sep}`);
    expect(rules.at(-1)).toContain("-j KUBE-SEP-");
    expect(runner.fake.tables.get("nat")!.chains.get(sep)!.rules[1]).toBe(`-p tcp -m comment --comment "demo/sticky" -m recent --set --name ${sep} --mask 255.255.255.255 --rsource -m tcp -j DNAT --to-destination 10.244.1.10:8080`);
  });

  test("the health-check node port is accepted in filter KUBE-NODEPORTS", () => {
    expect(runner.fake.tables.get("filter")!.chains.get("KUBE-NODEPORTS")!.rules).toEqual(['-p tcp -m comment --comment "demo/local-ext health check node port" -m tcp --dport 32090 -j ACCEPT']);
  });
});
