/**
 * Partial == full: after any sequence of changes, the iptables rules built by partial syncs equal
 * those a fresh full sync of the same state builds (random sequences over the fake, seeded).
 */
import { describe, expect, test } from "bun:test";
import type { ProxyState, ServicePortState } from "../../model/proxy-state.ts";
import { iptablesFakeRunner } from "./fake-runner.ts";
import { createIptablesBackend } from "./iptables-backend.ts";

/** A small deterministic PRNG (mulberry32), so a failing sequence can be replayed from its seed. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomService(r: () => number, i: number): ServicePortState[] {
  const n = Math.floor(r() * 4);
  const ports = 1 + Math.floor(r() * 2);
  return Array.from({ length: ports }, (_, p) => ({
    id: `ns/svc${i}:p${p}/${p % 2 ? "UDP" : "TCP"}`,
    namespace: "ns",
    name: `svc${i}`,
    portName: `p${p}`,
    protocol: p % 2 ? ("UDP" as const) : ("TCP" as const),
    clusterIP: `10.96.0.${i + 1}`,
    port: 80 + p,
    endpoints: Array.from({ length: n }, (_, e) => ({ ip: `10.244.${i}.${e + Math.floor(r() * 3) * 10 + 1}`, port: 8080 })).filter((x, k, all) => all.findIndex((y) => y.ip === x.ip) === k),
    nodePort: r() < 0.3 ? 30000 + i * 10 + p : null,
    externalIPs: r() < 0.2 ? [`192.0.2.${i + 1}`] : [],
    loadBalancerIPs: r() < 0.2 ? [`198.51.100.${i + 1}`] : [],
    loadBalancerSourceRanges: r() < 0.5 ? ["10.0.0.0/24"] : [],
  }));
}

const stateOf = (services: Map<number, ServicePortState[]>): ProxyState => ({
  family: "IPv4",
  servicePorts: [...services.values()].flat().sort((a, b) => (a.id < b.id ? -1 : 1)),
});

describe("iptables partial sync", () => {
  test.each(Array.from({ length: 20 }, (_, i) => i + 1))("random sequence, seed %d: partial == full after every step", async (seed) => {
    const r = rng(seed);
    const services = new Map<number, ServicePortState[]>();
    for (let i = 0; i < 6; i++) services.set(i, randomService(r, i));
    const runner = iptablesFakeRunner();
    const backend = createIptablesBackend({ runner, family: "IPv4" });
    await backend.sync(stateOf(services));
    let partials = 0;
    for (let step = 0; step < 12; step++) {
      const changed = new Set<string>();
      for (let k = 0; k < 1 + Math.floor(r() * 2); k++) {
        const i = Math.floor(r() * 8);
        if (r() < 0.25) services.delete(i);
        else services.set(i, randomService(r, i));
        changed.add(`ns/svc${i}`);
      }
      const stats = await backend.sync(stateOf(services), changed);
      if (stats.full === false) partials++;
      const fresh = iptablesFakeRunner();
      await createIptablesBackend({ runner: fresh, family: "IPv4" }).sync(stateOf(services));
      expect(runner.fake.save()).toBe(fresh.fake.save());
    }
    expect(partials).toBe(12);
  });

  test("a partial sync leaves unchanged Services' chains out of the script", async () => {
    const r = rng(99);
    const services = new Map<number, ServicePortState[]>([[0, randomService(r, 0)], [1, randomService(r, 1)]]);
    services.get(1)![0]!.endpoints = [{ ip: "10.244.1.1", port: 8080 }];
    const runner = iptablesFakeRunner();
    const backend = createIptablesBackend({ runner, family: "IPv4" });
    await backend.sync(stateOf(services));
    services.set(0, randomService(r, 0));
    await backend.sync(stateOf(services), new Set(["ns/svc0"]));
    const script = runner.restores.at(-1)!;
    expect(script).not.toContain("10.244.1.1:8080");
    expect(script).toContain("-j KUBE-SVC-");
  });

  test("node-wide changes and an unknown kernel state force a full sync", async () => {
    const runner = iptablesFakeRunner();
    const backend = createIptablesBackend({ runner, family: "IPv4" });
    const services = new Map([[0, randomService(rng(5), 0)]]);
    services.get(0)![0]!.endpoints = [{ ip: "10.244.0.9", port: 8080 }];
    expect((await backend.sync(stateOf(services), new Set())).full).toBe(true);
    expect((await backend.sync(stateOf(services), new Set())).full).toBe(false);
    const withNode = { ...stateOf(services), node: { nodeIP: "10.0.0.10", nodePorts: { matchAll: true, cidrs: [] }, masqueradeAll: true, localDetector: { kind: "none" as const } } };
    expect((await backend.sync(withNode, new Set())).full).toBe(true);
    expect((await backend.sync(withNode, null)).full).toBe(true);
  });

  test("the hourly full sync", async () => {
    let t = 0;
    const backend = createIptablesBackend({ runner: iptablesFakeRunner(), family: "IPv4", now: () => t });
    const services = new Map([[0, randomService(rng(7), 0)]]);
    services.get(0)![0]!.endpoints = [{ ip: "10.244.0.9", port: 8080 }];
    await backend.sync(stateOf(services), new Set());
    t = 3_599_999;
    expect((await backend.sync(stateOf(services), new Set())).full).toBe(false);
    t = 3_600_000;
    expect((await backend.sync(stateOf(services), new Set())).full).toBe(true);
  });
});
