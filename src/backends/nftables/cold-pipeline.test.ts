import { describe, expect, test } from "bun:test";
import { scriptedRunner } from "../../lib/exec.ts";
import { stagesOf, type NodeFacts, type ProxyState, type ServicePortState } from "../../model/proxy-state.ts";
import type { EndpointSlice } from "../../kube/schemas/endpoint-slice.ts";
import type { Service } from "../../kube/schemas/service.ts";
import { buildProxyState } from "../../model/build-state.ts";
import { ClusterCache } from "../../model/cluster-cache.ts";
import { StateMemo } from "../../model/state-memo.ts";
import { coldBatches, type ColdBatches } from "./cold-pipeline.ts";
import { createFakeNft } from "./fake.ts";
import { createNftablesBackend } from "./nftables-backend.ts";
import { renderContext } from "./render-context.ts";
import { renderFull } from "./render-sync.ts";

const NODE: NodeFacts = { nodeIP: "10.0.0.10", nodePorts: { matchAll: false, cidrs: ["10.0.0.10/32"] }, masqueradeAll: false, localDetector: { kind: "cidr", cidr: "10.244.0.0/16" } };

/** Service i with `ports` ports; every third shares one external IP (a key two Services claim), endpoint counts vary so groups come and go between batches. */
function service(i: number, ports = 1 + (i % 2)): ServicePortState[] {
  return Array.from({ length: ports }, (_, p) => ({
    id: `ns/s${String(i).padStart(3, "0")}:p${p}/TCP`,
    namespace: "ns",
    name: `s${String(i).padStart(3, "0")}`,
    portName: `p${p}`,
    protocol: p === 1 && i % 4 === 1 ? ("UDP" as const) : ("TCP" as const),
    clusterIP: `10.96.0.${1 + i}`,
    port: 80 + p,
    nodePort: i % 5 === 0 ? 30000 + i : null,
    externalIPs: i % 3 === 0 ? ["192.0.2.1"] : [],
    endpoints: Array.from({ length: i % 4 }, (_, j) => ({ ip: `10.244.${i}.${j + 1}`, port: 8080, local: j === 0 })),
    affinityTimeoutSeconds: i % 7 === 3 ? 60 : null,
  }));
}

const batchesOf = (st: ProxyState, b: ColdBatches) => [...coldBatches(stagesOf(st), b)];

const stateOf = (n: number): ProxyState => ({ family: "IPv4", node: NODE, servicePorts: Array.from({ length: n }, (_, i) => service(i)).flat() });

function recordingFake() {
  const fake = createFakeNft();
  const scripts: string[] = [];
  const viaFile: boolean[] = [];
  const client = { ...fake, apply: async (tx: Parameters<typeof fake.apply>[0], o?: { viaFile?: boolean }) => (scripts.push(tx.toScript()), viaFile.push(o?.viaFile === true), fake.apply(tx)) };
  return { fake, client, scripts, viaFile };
}

describe("cold-start pipeline", () => {
  test("batches hold whole Services: a small first one, then about `rest` ServicePorts each", () => {
    const batches = batchesOf(stateOf(20), { first: 3, rest: 5 });
    // Services alternate 1 and 2 ports: s0+s1 = 3, then 1+2+1+2 = 6 four times, then the last 3.
    expect(batches.map((b) => b.length)).toEqual([3, 6, 6, 6, 6, 3]);
    for (let i = 1; i < batches.length; i++) expect(batches[i]![0]!.name).not.toBe(batches[i - 1]!.at(-1)!.name);
    expect(batches.flat()).toEqual(stateOf(20).servicePorts);
  });

  test("into a node without the table: one transaction per batch, each through a file, and the same table a single full sync builds", async () => {
    const st = stateOf(40);
    const { fake, client, scripts, viaFile } = recordingFake();
    const stats = await createNftablesBackend({ runner: scriptedRunner([]), client, coldBatches: { first: 5, rest: 12 } }).sync(st);
    expect(stats.full).toBe(true);
    expect(scripts.length).toBe(batchesOf(st, { first: 5, rest: 12 }).length);
    expect(scripts.length).toBeGreaterThan(3);
    expect(viaFile.every(Boolean)).toBe(true);
    expect(scripts[0]).toStartWith("add table ip kube-proxy\ndelete table ip kube-proxy\n");
    expect(scripts.slice(1).some((s) => s.includes("delete table"))).toBe(false);
    const single = createFakeNft();
    await createNftablesBackend({ runner: scriptedRunner([]), client: single }).sync(st);
    expect(fake.dump("ip")).toBe(single.dump("ip"));
    const { scriptBytes: _single, ...singleStats } = await createNftablesBackend({ runner: scriptedRunner([]), client: createFakeNft() }).sync(st);
    expect({ ...stats, scriptBytes: 0 }).toEqual({ ...singleStats, scriptBytes: 0 });
  });

  test("with a client that applies printed text, the first batch goes as print-full.ts's text: the checked first batch's script, through a file; the end state as before", async () => {
    const st = stateOf(40);
    const b: ColdBatches = { first: 5, rest: 12 };
    const { fake, client, scripts, viaFile } = recordingFake();
    const printed: { script: string; viaFile: boolean }[] = [];
    const firstBatch: ProxyState = { family: "IPv4", node: NODE, servicePorts: batchesOf(st, b)[0]! };
    // The fake reads transactions only: it is handed the checked first batch the text stands for.
    const withScripts = { ...client, applyScript: async (script: string, o?: { viaFile?: boolean }) => (printed.push({ script, viaFile: o?.viaFile === true }), fake.apply(renderFull(firstBatch, renderContext("IPv4", 14, NODE)).tx)) };
    await createNftablesBackend({ runner: scriptedRunner([]), client: withScripts, coldBatches: b }).sync(st);
    expect(printed).toEqual([{ script: renderFull(firstBatch, renderContext("IPv4", 14, NODE)).tx.toScript(), viaFile: true }]);
    expect(scripts.length).toBe(batchesOf(st, b).length - 1);
    expect(viaFile.every(Boolean)).toBe(true);
    const single = createFakeNft();
    await createNftablesBackend({ runner: scriptedRunner([]), client: single }).sync(st);
    expect(fake.dump("ip")).toBe(single.dump("ip"));
  });

  test("a key a later batch's lower ServicePort id claims moves to it, as in a single full sync", async () => {
    // Service key order (the model's) is not id order: "ns/a" < "ns/a-b", but "ns/a-b:..." < "ns/a:...".
    const shared = (name: string, cip: string, ep: string): ServicePortState => ({
      id: `ns/${name}:/TCP`, namespace: "ns", name, portName: "", protocol: "TCP", clusterIP: cip, port: 80, externalIPs: ["192.0.2.9"], endpoints: [{ ip: ep, port: 8080 }],
    });
    const st: ProxyState = { family: "IPv4", node: NODE, servicePorts: [shared("a", "10.96.1.1", "10.244.9.1"), shared("a-b", "10.96.1.2", "10.244.9.2"), shared("c", "10.96.1.3", "10.244.9.3")] };
    const { fake, client, scripts } = recordingFake();
    await createNftablesBackend({ runner: scriptedRunner([]), client, coldBatches: { first: 1, rest: 1 } }).sync(st);
    expect(scripts).toHaveLength(3);
    expect(scripts[1]).toContain("delete element ip kube-proxy service-ips { 192.0.2.9 . tcp . 80 }");
    const single = createFakeNft();
    await createNftablesBackend({ runner: scriptedRunner([]), client: single }).sync(st);
    expect(fake.dump("ip")).toBe(single.dump("ip"));
    expect(single.dump("ip")).toContain('192.0.2.9 . tcp . 80 comment "ns/a-b"');
  });

  test("partial syncs after a pipelined start behave as after a single full sync", async () => {
    const { fake, client } = recordingFake();
    const piped = createNftablesBackend({ runner: scriptedRunner([]), client, coldBatches: { first: 5, rest: 12 } });
    const single = createFakeNft();
    const plain = createNftablesBackend({ runner: scriptedRunner([]), client: single });
    await piped.sync(stateOf(40));
    await plain.sync(stateOf(40));
    const next: ProxyState = { ...stateOf(40), servicePorts: [...stateOf(38).servicePorts, ...service(45, 1)] };
    const changed = new Set(["ns/s038", "ns/s039", "ns/s045", "ns/s003"]);
    expect((await piped.sync(next, changed)).full).toBe(false);
    await plain.sync(next, changed);
    await Promise.all([piped.idle?.(), plain.idle?.()]);
    expect(fake.dump("ip")).toBe(single.dump("ip"));
  });

  test("a table that exists (a restart) is replaced in one transaction; so is a small state", async () => {
    for (const [existing, n] of [[true, 40], [false, 6]] as const) {
      const { fake, client, scripts } = recordingFake();
      if (existing) await fake.apply(new (await import("./transaction.ts")).Transaction({ family: "ip", table: "kube-proxy" }).add({ kind: "table" }));
      const before = scripts.length;
      await createNftablesBackend({ runner: scriptedRunner([]), client, coldBatches: { first: 5, rest: 12 } }).sync(stateOf(n));
      expect(scripts.length - before).toBe(1);
    }
  });

  test("a batch nft refuses fails the sync; the next sync replaces the table in one transaction", async () => {
    const { fake, client, scripts } = recordingFake();
    let calls = 0;
    const failing = { ...client, apply: async (tx: Parameters<typeof fake.apply>[0], o?: { viaFile?: boolean }) => (++calls === 3 ? Promise.reject(new Error("nft: refused")) : client.apply(tx, o)) };
    const backend = createNftablesBackend({ runner: scriptedRunner([]), client: failing, coldBatches: { first: 5, rest: 12 } });
    await expect(backend.sync(stateOf(40))).rejects.toThrow("refused");
    const before = scripts.length;
    expect((await backend.sync(stateOf(40), new Set(["ns/s001"]))).full).toBe(true);
    expect(scripts.length - before).toBe(1);
    const single = createFakeNft();
    await createNftablesBackend({ runner: scriptedRunner([]), client: single }).sync(stateOf(40));
    expect(fake.dump("ip")).toBe(single.dump("ip"));
  });

  test("a staged state (StateMemo's full rebuild) is built batch by batch: the first batch goes to nft before the later Services' model exists", async () => {
    const cache = new ClusterCache();
    for (let i = 0; i < 30; i++) {
      const name = `s${String(i).padStart(2, "0")}`;
      cache.upsertService({ metadata: { name, namespace: "ns" }, spec: { type: "ClusterIP", clusterIP: `10.96.1.${i + 1}`, ports: [{ name: "http", port: 80, protocol: "TCP" }] } } as Service);
      cache.upsertSlice({ metadata: { name: `${name}-x`, namespace: "ns", labels: { "kubernetes.io/service-name": name } }, addressType: "IPv4", endpoints: [{ addresses: [`10.244.1.${i + 1}`], conditions: { ready: true } }], ports: [{ name: "http", port: 8080, protocol: "TCP" }] } as EndpointSlice);
    }
    let built = 0;
    const view = { services: () => cache.services(), slicesOf: (key: string) => cache.slicesOf(key), service: (key: string) => (built++, cache.service(key)) };
    const st = new StateMemo("IPv4").state(view, null, NODE);
    const { fake, client } = recordingFake();
    const builtAtApply: number[] = [];
    const counting = { ...client, apply: (...a: Parameters<typeof client.apply>) => (builtAtApply.push(built), client.apply(...a)) };
    await createNftablesBackend({ runner: scriptedRunner([]), client: counting, coldBatches: { first: 5, rest: 8 } }).sync(st);
    expect(builtAtApply).toEqual([5, 13, 21, 29, 30]);
    const single = createFakeNft();
    await createNftablesBackend({ runner: scriptedRunner([]), client: single }).sync(buildProxyState(cache, "IPv4", NODE));
    expect(fake.dump("ip")).toBe(single.dump("ip"));
  });
});
