/**
 * Partial == full: after any sequence of changes applied as partial syncs (with the unused-group
 * cleanup that follows them), the fake's table equals the one a fresh full sync builds.
 */
import { describe, expect, test } from "bun:test";
import { scriptedRunner } from "../../lib/exec.ts";
import type { ProxyState, ServicePortState } from "../../model/proxy-state.ts";
import { NODE, randomService, rng, stateOf } from "../../../tests/support/random-service-ports.ts";
import { createFakeNft } from "./fake.ts";
import { createNftablesBackend } from "./nftables-backend.ts";

describe("partial syncs", () => {
  test.each([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])("random change sequence (seed %i): partial result == fresh full sync", async (seed) => {
    const r = rng(seed);
    const fake = createFakeNft();
    const backend = createNftablesBackend({ runner: scriptedRunner([]), client: fake });
    const svcs = new Map<string, ServicePortState[]>();
    for (let i = 0; i < 6; i++) svcs.set(`ns/s${i}`, randomService(r, `s${i}`));
    expect((await backend.sync(stateOf(svcs), null)).full).toBe(true);
    for (let step = 0; step < 25; step++) {
      const changed = new Set<string>();
      for (let c = 0; c <= r(3); c++) {
        const key = `ns/s${r(8)}`;
        changed.add(key);
        if (r(4) === 0) svcs.delete(key);
        else svcs.set(key, randomService(r, key.slice(3)));
      }
      const stats = await backend.sync(stateOf(svcs), changed);
      expect(stats.full).toBe(false);
    }
    // The groups the last sync left unused go in its follow-up transaction.
    await backend.idle?.();
    const fresh = createFakeNft();
    await createNftablesBackend({ runner: scriptedRunner([]), client: fresh }).sync(stateOf(svcs));
    expect(fake.dump("ip")).toBe(fresh.dump("ip"));
  });

  test("a partial sync touches only the changed Service's elements", async () => {
    const fake = createFakeNft();
    const runner = scriptedRunner([]);
    const applied: string[] = [];
    const client = { ...fake, apply: async (tx: Parameters<typeof fake.apply>[0]) => (applied.push(tx.toScript()), fake.apply(tx)) };
    const backend = createNftablesBackend({ runner, client });
    const a: ServicePortState = { id: "ns/a:/TCP", namespace: "ns", name: "a", portName: "", protocol: "TCP", clusterIP: "10.96.0.1", port: 80, endpoints: [{ ip: "10.244.1.10", port: 80 }] };
    const b: ServicePortState = { ...a, id: "ns/b:/TCP", name: "b", clusterIP: "10.96.0.2" };
    await backend.sync({ family: "IPv4", servicePorts: [a, b] });
    await backend.sync({ family: "IPv4", servicePorts: [a, { ...b, endpoints: [{ ip: "10.244.1.11", port: 80 }] }] }, new Set(["ns/b"]));
    expect(applied[1]).toBe(
      [
        "delete element ip kube-proxy group-endpoints-tcp-1 { 10.96.0.2 . 80 . 0 }",
        "add element ip kube-proxy group-endpoints-tcp-1 { 10.96.0.2 . 80 . 0 : 10.244.1.11 . 80 }",
        "add element ip kube-proxy hairpin-endpoints { 10.244.1.11 . 10.244.1.11 }",
        "",
      ].join("\n"),
    );
  });

  test("a group the sync left unused is deleted by a second transaction right after it, not at the next sync", async () => {
    const fake = createFakeNft();
    const applied: string[] = [];
    const client = { ...fake, apply: async (tx: Parameters<typeof fake.apply>[0]) => (applied.push(tx.toScript()), fake.apply(tx)) };
    const backend = createNftablesBackend({ runner: scriptedRunner([]), client });
    const a: ServicePortState = { id: "ns/a:/TCP", namespace: "ns", name: "a", portName: "", protocol: "TCP", clusterIP: "10.96.0.1", port: 80, endpoints: [{ ip: "10.244.1.10", port: 80 }] };
    await backend.sync({ family: "IPv4", servicePorts: [a] });
    await backend.sync({ family: "IPv4", servicePorts: [{ ...a, endpoints: [...a.endpoints, { ip: "10.244.1.11", port: 80 }] }] }, new Set(["ns/a"]));
    await backend.idle?.();
    expect(applied).toHaveLength(3);
    // 1 endpoint -> 2 crosses from bucket 1 to bucket 2-3.
    expect(applied[2]).toBe("delete chain ip kube-proxy group-cluster-tcp-1to1\ndelete map ip kube-proxy group-endpoints-tcp-1\n");
    expect(fake.dump("ip")).not.toContain("group-cluster-tcp-1to1 ");
  });

  test("an endpoint count that moves inside its bucket changes no verdict element: only endpoint-map elements move", async () => {
    const fake = createFakeNft();
    const applied: string[] = [];
    const client = { ...fake, apply: async (tx: Parameters<typeof fake.apply>[0]) => (applied.push(tx.toScript()), fake.apply(tx)) };
    const backend = createNftablesBackend({ runner: scriptedRunner([]), client });
    const eps = (n: number) => Array.from({ length: n }, (_, i) => ({ ip: `10.244.1.${10 + i}`, port: 80, local: false }));
    const a: ServicePortState = { id: "ns/a:/TCP", namespace: "ns", name: "a", portName: "", protocol: "TCP", clusterIP: "10.96.0.1", port: 80, nodePort: 30080, endpoints: eps(10) };
    await backend.sync({ family: "IPv4", servicePorts: [a] });
    // The full sync made the whole bucket: one map and one DNAT rule per K from 8 to 15.
    expect(applied[0]).toContain("add chain ip kube-proxy group-cluster-tcp-8to15");
    for (let k = 8; k <= 15; k++) expect(applied[0]).toContain(`add map ip kube-proxy group-endpoints-tcp-${k} `);
    await backend.sync({ family: "IPv4", servicePorts: [{ ...a, endpoints: eps(11) }] }, new Set(["ns/a"]));
    await backend.idle?.();
    expect(applied).toHaveLength(2);
    const lines = applied[1]!.trim().split("\n");
    expect(lines).toEqual([
      expect.stringMatching(/^delete element ip kube-proxy group-endpoints-tcp-10 \{ 10\.96\.0\.1 \. 80 \. 0, .* 9 \}$/),
      expect.stringMatching(/^delete element ip kube-proxy group-nodeport-endpoints-tcp-10 \{ 30080 \. 0, .* 9 \}$/),
      expect.stringMatching(/^add element ip kube-proxy group-endpoints-tcp-11 \{ 10\.96\.0\.1 \. 80 \. 0 : 10\.244\.1\.10 \. 80, .* 10 : 10\.244\.1\.20 \. 80 \}$/),
      expect.stringMatching(/^add element ip kube-proxy group-nodeport-endpoints-tcp-11 \{ 30080 \. 0 : .* 10 : 10\.244\.1\.20 \. 80 \}$/),
    ]);
  });

  test("node-wide changes and failed applies bring a full sync", async () => {
    const fake = createFakeNft();
    let fail = false;
    const client = { ...fake, apply: async (tx: Parameters<typeof fake.apply>[0]) => (fail ? Promise.reject(new Error("nft: refused")) : fake.apply(tx)) };
    const backend = createNftablesBackend({ runner: scriptedRunner([]), client });
    const st: ProxyState = { family: "IPv4", node: NODE, servicePorts: [] };
    expect((await backend.sync(st, new Set())).full).toBe(true);
    expect((await backend.sync(st, new Set())).full).toBe(false);
    expect((await backend.sync({ ...st, node: { ...NODE, masqueradeAll: true } }, new Set())).full).toBe(true);
    fail = true;
    await backend.sync(st, new Set(["ns/x"])).catch(() => {});
    fail = false;
    expect((await backend.sync(st, new Set(["ns/x"]))).full).toBe(true);
  });
});
