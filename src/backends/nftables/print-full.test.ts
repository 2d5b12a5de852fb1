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
import { applyPrintedFull, printFullScript } from "./print-full.ts";
import { renderContext } from "./render-context.ts";
import { fullContributions, renderFull, renderFullHead } from "./render-sync.ts";

/** The printed script and the checked one for `state`. */
function both(state: ProxyState): { printed: string; checked: string } {
  const ctx = renderContext(state.family, 14, state.node);
  const { entries } = fullContributions(state, ctx);
  return { printed: printFullScript(renderFullHead(ctx, entries).tx, entries), checked: renderFull(state, ctx).tx.toScript() };
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

describe("printFullScript", () => {
  test.each(Array.from({ length: 30 }, (_, i) => i + 1))("random state (seed %i): the checked transaction's script", (seed) => {
    const { printed, checked } = both(randomState(seed));
    expect(printed).toBe(checked);
  });

  test.each([1, 2, 3, 4, 5])("random IPv6 state (seed %i): the same", (seed) => {
    const st = inIPv6(randomState(seed));
    const { printed, checked } = both(st);
    expect(checked).toContain("fd00:10:96::");
    expect(printed).toBe(checked);
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
    const wrong = (...a: Parameters<typeof printFullScript>) => printFullScript(...a).replace(/goto group-/, "goto groupx-");
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
