import { describe, expect, test } from "bun:test";
import type { EndpointSlice } from "../kube/schemas/endpoint-slice.ts";
import type { Service } from "../kube/schemas/service.ts";
import { buildProxyState, type NodeTopology } from "./build-state.ts";
import { ClusterCache } from "./cluster-cache.ts";
import { stagesOf, stateIndexOf } from "./proxy-state.ts";
import { StateMemo } from "./state-memo.ts";

const svc = (name: string, port: number, ip: string): Service =>
  ({ metadata: { name, namespace: "default" }, spec: { type: "ClusterIP", clusterIP: ip, sessionAffinity: "None", ports: [{ name: "http", port, protocol: "TCP" }, ...(port === 82 ? [{ name: "dns", port: 53, protocol: "UDP" }] : [])] } }) as Service;

const slice = (name: string, service: string, ips: string[], node = "node-a"): EndpointSlice =>
  ({
    metadata: { name, namespace: "default", labels: { "kubernetes.io/service-name": service } },
    addressType: "IPv4",
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true }, nodeName: node })),
    ports: [{ name: "http", port: 8080, protocol: "TCP" }],
  }) as EndpointSlice;

// A small deterministic generator, so a failure can be replayed.
function rng(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
}

// Names that are prefixes of each other, so the id order ("a-b:..." before "a:...") is exercised.
const NAMES = ["a", "a-b", "a.b", "ab", "b", "a-"];

describe("StateMemo", () => {
  test("after any sequence of changes it equals buildProxyState of the same cache", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const r = rng(seed);
      const cache = new ClusterCache();
      const memo = new StateMemo("IPv4");
      let topo: NodeTopology = { nodeName: "node-a", zone: "" };
      expect(memo.state(cache, null, undefined, topo)).toEqual(buildProxyState(cache, "IPv4", undefined, topo));
      for (let step = 0; step < 40; step++) {
        const changed = new Set<string>();
        for (let k = 0; k < 1 + Math.floor(r() * 3); k++) {
          const i = Math.floor(r() * 6);
          const what = r();
          if (what < 0.3) changed.add(cache.upsertService(svc(NAMES[i]!, 80 + Math.floor(r() * 3), `10.96.0.${i + 1}`)));
          else if (what < 0.45) changed.add(cache.removeService("default", NAMES[i]!));
          else if (what < 0.85) for (const key of cache.upsertSlice(slice(`s${i}-${Math.floor(r() * 2)}`, NAMES[Math.floor(r() * 6)]!, Array.from({ length: Math.floor(r() * 4) }, (_, j) => `10.244.${i}.${j + 1}`), r() < 0.5 ? "node-a" : "node-b"))) changed.add(key);
          else for (const key of cache.removeSlice("default", `s${i}-${Math.floor(r() * 2)}`)) changed.add(key);
        }
        if (r() < 0.1) topo = { nodeName: r() < 0.5 ? "node-a" : "node-b", zone: "" };
        const st = memo.state(cache, r() < 0.1 ? null : changed, undefined, topo);
        const want = buildProxyState(cache, "IPv4", undefined, topo);
        expect(st).toEqual(want);
        // The kept index equals one computed by walking the ServicePorts.
        const [got, walked] = [st.index!, stateIndexOf(want)];
        const { portsOf: _a, ...gotCounts } = got;
        const { portsOf: _b, ...wantCounts } = walked;
        expect(gotCounts).toEqual(wantCounts);
        for (const name of NAMES) expect(got.portsOf(`default/${name}`)).toEqual(walked.portsOf(`default/${name}`));
      }
    }
  });

  test("a Service not named as changed keeps its earlier ServicePorts (that is the point)", () => {
    const cache = new ClusterCache();
    const memo = new StateMemo("IPv4");
    cache.upsertService(svc("a", 80, "10.96.0.1"));
    const first = memo.state(cache, null);
    expect(first.servicePorts).toHaveLength(1); // a full state is built when read (see below)
    cache.upsertService(svc("a", 81, "10.96.0.1"));
    expect(memo.state(cache, new Set())).toEqual(first);
    expect(memo.state(cache, new Set(["default/a"])).servicePorts[0]!.port).toBe(81);
    // An earlier state is a snapshot: later changes do not reach it.
    expect(first.servicePorts[0]!.port).toBe(80);
    expect(first.index!.portsOf("default/a")[0]!.port).toBe(80);
  });

  test("a full rebuild is staged: Services are built as they are pulled, in id order, and reading the state builds the rest", () => {
    const cache = new ClusterCache();
    for (const [i, name] of NAMES.entries()) cache.upsertService(svc(name, 80 + (i % 3), `10.96.0.${i + 1}`));
    cache.upsertSlice(slice("s0", "a", ["10.244.0.1", "10.244.0.2"]));
    const memo = new StateMemo("IPv4");
    const want = buildProxyState(cache, "IPv4");
    const st = memo.state(cache, null);
    expect(st.staged!.services).toBe(NAMES.length);
    const pulled: string[] = [];
    for (const ports of st.staged!.stages()) {
      pulled.push(...ports.map((sp) => sp.id));
      if (pulled.length >= 3) break;
    }
    expect(pulled).toEqual(want.servicePorts.slice(0, pulled.length).map((sp) => sp.id));
    expect(st).toEqual(want);
    expect(stateIndexOf(st).services).toBe(NAMES.length);
    // Pulled again after the build: every Service, in order.
    expect([...stagesOf(st)].flat().map((sp) => sp.id)).toEqual(want.servicePorts.map((sp) => sp.id));
    // A hand-built state's stages are its Services' runs of ServicePorts.
    expect([...stagesOf(want)].map((ports) => ports.length)).toEqual([...stagesOf(st)].map((ports) => ports.length));
  });

  test("a later call completes a staged build first: from then on the earlier state is a snapshot", () => {
    const cache = new ClusterCache();
    cache.upsertService(svc("a", 80, "10.96.0.1"));
    cache.upsertService(svc("b", 80, "10.96.0.2"));
    const memo = new StateMemo("IPv4");
    const first = memo.state(cache, null);
    const [firstStage] = first.staged!.stages();
    expect(firstStage!.map((sp) => sp.port)).toEqual([80]);
    // Built while the sync that holds `first` was in flight: the change is also named to the next call.
    cache.upsertService(svc("b", 81, "10.96.0.2"));
    const second = memo.state(cache, new Set(["default/b"]));
    cache.upsertService(svc("b", 82, "10.96.0.2"));
    memo.state(cache, new Set(["default/b"]));
    expect(first.servicePorts.map((sp) => sp.port)).toEqual([80, 81]);
    expect(second.servicePorts.map((sp) => sp.port)).toEqual([80, 81]);
  });
});
