/**
 * A real network-namespace lab (root only): three routed pods with echo servers, reached from
 * the client namespace directly (no proxy involved yet), over TCP and UDP, in both families.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createLab } from "../../src/sandbox/lab/create-lab.ts";
import type { Lab } from "../../src/sandbox/lab/lab-types.ts";
import { realRunner } from "../../src/lib/exec.ts";
import { CLIENT_IP, DNS_CLUSTER_IP, NODE_IP, podIP } from "../support/addresses.ts";
import { labCommand, namespacesWithPrefix } from "../support/lab-fixture.ts";

const TCP = 8080;
const UDP = 5353;
let lab: Lab;

beforeAll(async () => {
  lab = await createLab({ runner: realRunner, pods: 3, command: labCommand() });
  await lab.startEchoServers({ tcpPort: TCP, udpPort: UDP });
}, 60_000);

afterAll(async () => {
  const prefix = lab?.prefix;
  await lab?.destroy();
  if (prefix) expect(await namespacesWithPrefix(prefix)).toEqual([]);
}, 60_000);

describe("lab", () => {
  test("has the planned shape", async () => {
    expect(lab.pods.map((p) => [p.name, p.ip])).toEqual([["pod-a", podIP(0)], ["pod-b", podIP(1)], ["pod-c", podIP(2)]]);
    expect(lab.node.ip).toBe(NODE_IP);
    expect(lab.client.ip).toBe(CLIENT_IP);
    expect((await namespacesWithPrefix(lab.prefix)).sort()).toEqual(lab.namespaces().sort());
    expect(lab.namespaces()).toHaveLength(6);
    const fwd = await lab.exec(lab.node.ns, ["sysctl", "-n", "net.ipv4.ip_forward"]);
    expect(fwd.stdout.trim()).toBe("1");
  });

  for (const proto of ["tcp", "udp"] as const) {
    for (const family of ["ip", "ip6"] as const) {
      test(`the client reaches every pod directly over ${proto} (${family})`, async () => {
        for (const pod of lab.pods) {
          const r = await lab.probe(lab.client.ns, { proto, ip: pod[family], port: proto === "tcp" ? TCP : UDP, count: 3 });
          expect(r.answers).toEqual({ [pod.name]: 3 });
          expect(r.refused + r.timeouts + r.errors).toBe(0);
        }
      });
    }
  }

  test("pods reach each other and the node reaches pods", async () => {
    const [a, b] = lab.pods;
    expect((await lab.probe(a!.ns, { proto: "tcp", ip: b!.ip, port: TCP, count: 1 })).answers).toEqual({ [b!.name]: 1 });
    expect((await lab.probe(lab.node.ns, { proto: "udp", ip: a!.ip, port: UDP, count: 1 })).answers).toEqual({ [a!.name]: 1 });
  });

  for (const proto of ["tcp", "udp"] as const) {
    test(`a closed ${proto} port is reported refused, quickly`, async () => {
      const r = await lab.probe(lab.client.ns, { proto, ip: lab.pods[0]!.ip, port: 81, count: 2, timeoutMs: 2000 });
      expect(r).toMatchObject({ answers: {}, refused: 2, timeouts: 0, errors: 0 });
      // Far below the timeout: the refusal came back, nothing waited it out.
      expect(r.firstErrorMs!).toBeLessThan(1000);
    });
  }

  test("a Service address without rules is routed into the sink and dropped (a timeout, not unreachable)", async () => {
    const r = await lab.probe(lab.client.ns, { proto: "tcp", ip: DNS_CLUSTER_IP, port: 53, count: 1, timeoutMs: 300 });
    expect(r).toMatchObject({ answers: {}, refused: 0, timeouts: 1, errors: 0 });
  });

  test("addPod wires a new pod with an echo server; removePod takes it away", async () => {
    const d = await lab.addPod("pod-d");
    expect(d.ip).toBe(podIP(3));
    expect((await lab.probe(lab.client.ns, { proto: "tcp", ip: d.ip, port: TCP, count: 1 })).answers).toEqual({ "pod-d": 1 });
    await lab.removePod("pod-d");
    expect(await namespacesWithPrefix(d.ns)).toEqual([]);
    const r = await lab.probe(lab.client.ns, { proto: "tcp", ip: d.ip, port: TCP, count: 1, timeoutMs: 300 });
    expect(r.answers).toEqual({});
    expect(lab.pods.map((p) => p.name)).toEqual(["pod-a", "pod-b", "pod-c"]);
  });

  test("exec and probe refuse namespaces that are not the lab's", async () => {
    await expect(lab.exec("default", ["true"])).rejects.toThrow("not one of this lab's namespaces");
    await expect(lab.probe("default", { proto: "tcp", ip: NODE_IP, port: 1, count: 1 })).rejects.toThrow("not one of this lab's namespaces");
    expect(() => lab.runnerIn("default")).toThrow("not one of this lab's namespaces");
  });
});
