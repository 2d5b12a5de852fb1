/**
 * The printed full sync: its script is byte for byte the checked transaction's (random states,
 * IPv6, invalid values, statements split at 1,000 elements), and the backend applies it, then
 * settles the element store, or applies the checked script when the two ever differ.
 */
import { describe, expect, test } from "bun:test";
import { parseCIDR } from "../../lib/cidr.ts";
import { scriptedRunner } from "../../lib/exec.ts";
import { parseIPv6 } from "../../lib/ip.ts";
import { createLogger } from "../../lib/log.ts";
import type { ProxyState, ServicePortState } from "../../model/proxy-state.ts";
import { NODE, randomService, rng, stateOf } from "../../../tests/support/random-service-ports.ts";
import { createFakeNft } from "./fake.ts";
import { createNftablesBackend } from "./nftables-backend.ts";
import { applyPrintedFull, printFull } from "./print-full.ts";
import { simplePort } from "./print-simple-port.ts";
import { renderContext } from "./render-context.ts";
import { renderFull } from "./render-sync.ts";

/** The printed script and the checked one for `state` (and the counts and skipped values of both agree). */
function both(state: ProxyState): { printed: string; checked: string } {
  const ctx = renderContext(state.family, 14, state.node);
  const printed = printFull(state, ctx);
  const render = renderFull(state, ctx);
  expect(printed.counts).toEqual(render.store.counts());
  expect(printed.skipped).toEqual(render.skipped);
  return { printed: printed.script, checked: render.tx.toScript() };
}

/**
 * Services most of which are of the kind print-simple-port.ts prints (ClusterIP only, remote
 * endpoints), the rest random, from the same small pool of ClusterIPs: keys collide between
 * the two kinds too.
 */
function mostlySimple(seed: number, services = 16): ProxyState {
  const r = rng(seed);
  const svcs = new Map<string, ServicePortState[]>();
  for (let i = 0; i < services; i++) {
    const name = `s${String(i).padStart(2, "0")}`;
    if (r(10) < 3) {
      svcs.set(`ns/${name}`, randomService(r, name));
      continue;
    }
    const ports = 1 + r(2);
    svcs.set(`ns/${name}`, Array.from({ length: ports }, (_, p): ServicePortState => {
      const k = 1 + r(4);
      const endpoints = Array.from({ length: k }, (_, j) => ({ ip: `10.244.${2 + r(3)}.${10 + j}`, port: 8080, local: false }));
      return { id: `ns/${name}:p${p}/TCP`, namespace: "ns", name, portName: `p${p}`, protocol: "TCP", clusterIP: `10.96.0.${1 + r(6)}`, port: 80 + p, endpoints: [...new Map(endpoints.map((e) => [e.ip, e])).values()], hasEndpoints: true };
    }));
  }
  return stateOf(svcs);
}

function randomState(seed: number, services = 12): ProxyState {
  const r = rng(seed);
  const svcs = new Map<string, ServicePortState[]>();
  for (let i = 0; i < services; i++) svcs.set(`ns/s${i}`, randomService(r, `s${i}`));
  return stateOf(svcs);
}

/** The same addresses in IPv6, canonical (10.a.b.c -> fd00:a:b:c::d; a /24 -> its /120). */
function v6(ip: string): string {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)(?:\/(\d+))?$/.exec(ip);
  if (!m) return ip;
  const text = `fd00:${m[1]}:${m[2]}:${m[3]}::${m[4]}`;
  return m[5] === undefined ? parseIPv6(text)!.text : parseCIDR(`${text}/${96 + Number(m[5])}`)!.text;
}
function inIPv6(st: ProxyState): ProxyState {
  const eps = (l: readonly { ip: string; port: number; local?: boolean }[] | undefined) => l?.map((e) => ({ ...e, ip: v6(e.ip) }));
  return {
    family: "IPv6",
    node: { ...NODE, nodeIP: "fd00:10::10", nodePorts: { matchAll: false, cidrs: ["fd00:10::10/128"] }, localDetector: { kind: "cidr", cidr: "fd00:10:244::/48" } },
    servicePorts: st.servicePorts.map((sp) => ({
      ...sp,
      clusterIP: v6(sp.clusterIP),
      endpoints: eps(sp.endpoints)!,
      localEndpoints: eps(sp.localEndpoints),
      externalIPs: sp.externalIPs?.map(v6),
      loadBalancerIPs: sp.loadBalancerIPs?.map(v6),
      loadBalancerSourceRanges: sp.loadBalancerSourceRanges?.map(v6),
    })),
  };
}

describe("printFull", () => {
  test.each(Array.from({ length: 30 }, (_, i) => i + 1))("random state (seed %i): the checked transaction's script", (seed) => {
    const { printed, checked } = both(randomState(seed));
    expect(printed).toBe(checked);
  });

  test.each(Array.from({ length: 20 }, (_, i) => i + 1))("mostly simple ServicePorts among random ones (seed %i): the same", (seed) => {
    const st = mostlySimple(seed);
    // Both paths are taken.
    const simple = st.servicePorts.filter((sp) => simplePort(sp, renderContext("IPv4", 14, NODE))).length;
    expect(simple).toBeGreaterThan(st.servicePorts.length / 3);
    expect(simple).toBeLessThan(st.servicePorts.length);
    const { printed, checked } = both(st);
    expect(printed).toBe(checked);
  });

  test.each([1, 2, 3, 4, 5])("random IPv6 state (seed %i): the same", (seed) => {
    const st = inIPv6(randomState(seed));
    const { printed, checked } = both(st);
    expect(checked).toContain("fd00:10:96::");
    expect(printed).toBe(checked);
    const simple = both(inIPv6(mostlySimple(seed)));
    expect(simple.printed).toBe(simple.checked);
  });

  test("a container with over 1,000 elements is split into statements as the transaction splits it", () => {
    const sps: ServicePortState[] = Array.from({ length: 150 }, (_, i) => ({
      id: `ns/s${String(i).padStart(3, "0")}:/TCP`,
      namespace: "ns",
      name: `s${String(i).padStart(3, "0")}`,
      portName: "",
      protocol: "TCP",
      clusterIP: `10.96.${i >> 8}.${i & 255}`,
      port: 80,
      endpoints: Array.from({ length: 10 }, (_, j) => ({ ip: `10.244.${i}.${j + 1}`, port: 8080 })),
    }));
    const { printed, checked } = both({ family: "IPv4", node: NODE, servicePorts: sps });
    expect(printed.split("\n").filter((l) => l.startsWith("add element ip kube-proxy group-endpoints-tcp-10 "))).toHaveLength(2);
    expect(printed).toBe(checked);
  });

  test("invalid values are left out alike (unknown protocol, bad addresses and ports, unsafe names)", () => {
    const good: ServicePortState = { id: "ns/a:/TCP", namespace: "ns", name: "a", portName: "", protocol: "TCP", clusterIP: "10.96.0.1", port: 80, endpoints: [{ ip: "10.244.1.10", port: 8080 }] };
    const st: ProxyState = {
      family: "IPv4",
      node: NODE,
      servicePorts: [
        good,
        { ...good, id: "ns/b:/TCP", name: "b", clusterIP: "10.96.0.300" },
        { ...good, id: "ns/c:/XTP", name: "c", protocol: "XTP" as "TCP" },
        { ...good, id: "ns/d:/TCP", name: "d", clusterIP: "10.96.0.4", endpoints: [{ ip: '10.244.1.11"', port: 80 }, { ip: "10.244.1.12", port: 70000 }, { ip: "10.244.1.13", port: 80 }] },
        { ...good, id: 'ns/e";x:/TCP', name: 'e";x', clusterIP: "10.96.0.5" },
      ],
    };
    const { printed, checked } = both(st);
    expect(printed).not.toContain("70000");
    expect(printed).not.toContain('"; x');
    expect(printed).toBe(checked);
  });
});

describe("simplePort", () => {
  const base: ServicePortState = { id: "ns/a:/TCP", namespace: "ns", name: "a", portName: "", protocol: "TCP", clusterIP: "10.96.0.1", port: 80, endpoints: [{ ip: "10.244.1.10", port: 8080, local: false }], hasEndpoints: true };
  const ctx = renderContext("IPv4", 14, NODE);
  test("a ClusterIP-only port with remote canonical endpoints is simple", () => {
    expect(simplePort(base, ctx)?.endpoints).toBe(1);
  });
  test.each<{ name: string; sp: ServicePortState }>([
    { name: "a NodePort", sp: { ...base, nodePort: 30080 } },
    { name: "an external IP", sp: { ...base, externalIPs: ["192.0.2.10"] } },
    { name: "a LoadBalancer IP", sp: { ...base, loadBalancerIPs: ["198.51.100.10"] } },
    { name: "source ranges", sp: { ...base, loadBalancerSourceRanges: ["10.0.0.0/24"] } },
    { name: "session affinity", sp: { ...base, affinityTimeoutSeconds: 30 } },
    { name: "internal traffic policy Local", sp: { ...base, internalTrafficPolicy: "Local" as const } },
    { name: "a local endpoint", sp: { ...base, endpoints: [{ ip: "10.244.1.10", port: 8080, local: true }] } },
    { name: "an endpoint not known to be remote", sp: { ...base, endpoints: [{ ip: "10.244.1.10", port: 8080 }] } },
    { name: "local endpoints listed", sp: { ...base, localEndpoints: [{ ip: "10.244.1.10", port: 8080, local: true }] } },
    { name: "a non-canonical endpoint address", sp: { ...base, endpoints: [{ ip: "10.244.1.010", port: 8080, local: false }] } },
    { name: "an endpoint port out of range", sp: { ...base, endpoints: [{ ip: "10.244.1.10", port: 70000, local: false }] } },
    { name: "one address twice", sp: { ...base, endpoints: [{ ip: "10.244.1.10", port: 8080, local: false }, { ip: "10.244.1.10", port: 8081, local: false }] } },
    { name: "no endpoints", sp: { ...base, endpoints: [], hasEndpoints: false } },
    { name: "endpoints, none usable", sp: { ...base, hasEndpoints: false } },
    { name: "a ClusterIP of the other family", sp: { ...base, clusterIP: "fd00::1" } },
    { name: "an unknown protocol", sp: { ...base, protocol: "XTP" as "TCP" } },
  ])("not with $name", ({ sp }) => {
    expect(simplePort(sp, ctx)).toBeNull();
  });
});

describe("the backend's printed full sync", () => {
  /** The fake, with applyScript recording the printed scripts (the fake reads transactions only, so it is handed the checked one). */
  function recordingClient() {
    const fake = createFakeNft();
    const scripts: string[] = [];
    return { fake, scripts, client: { ...fake, applyScript: async (script: string) => (scripts.push(script), { scriptBytes: script.length }) } };
  }

  test("a full sync goes to nft as its printed script; the next sync is partial on the settled store", async () => {
    const { fake, scripts, client } = recordingClient();
    const backend = createNftablesBackend({ runner: scriptedRunner([]), client });
    const st = randomState(7);
    const stats = await backend.sync(st, null);
    expect(stats.full).toBe(true);
    expect(scripts).toEqual([renderFull(st, renderContext("IPv4", 14, NODE)).tx.toScript()]);
    // The fake holds nothing from the printed script: load the checked table into it, as nft did.
    await fake.apply(renderFull(st, renderContext("IPv4", 14, NODE)).tx);
    const next = randomState(8);
    const changed = new Set(next.servicePorts.map((sp) => `${sp.namespace}/${sp.name}`));
    for (const sp of st.servicePorts) changed.add(`${sp.namespace}/${sp.name}`);
    expect((await backend.sync(next, changed)).full).toBe(false);
    await backend.idle?.();
    const fresh = createFakeNft();
    await fresh.apply(renderFull(next, renderContext("IPv4", 14, NODE)).tx);
    expect(fake.dump("ip")).toBe(fresh.dump("ip"));
  });

  test("when a printed script ever differs from the checked one, the checked one is applied and the error logged", async () => {
    const { fake, client } = recordingClient();
    const lines: string[] = [];
    const log = createLogger(2, { write: (l: string) => void lines.push(l) });
    const st = randomState(3);
    const ctx = renderContext("IPv4", 14, NODE);
    const wrong = (...a: Parameters<typeof printFull>) => {
      const p = printFull(...a);
      return { ...p, script: p.script.replace(/goto group-/, "goto groupx-") };
    };
    const done = await applyPrintedFull(st, ctx, client, log, wrong);
    const render = await done.settled;
    expect(render).not.toBeNull();
    expect(lines.join("\n")).toContain("printed script differed from its checked transaction");
    expect(fake.dump("ip")).toBe((() => {
      const f = createFakeNft();
      void f.apply(renderFull(st, ctx).tx);
      return f.dump("ip");
    })());
  });
});
