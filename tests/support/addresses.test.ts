import { describe, expect, test } from "bun:test";
import { parseIP } from "../../src/lib/ip.ts";
import * as plan from "./addresses.ts";

/** True when `ip` lies inside `cidr` (both of one family), by comparing the leading bits. */
function inCidr(ip: string, cidr: string): boolean {
  const [net, bits] = cidr.split("/") as [string, string];
  const toBits = (s: string) => {
    const p = parseIP(s);
    if (!p) throw new Error(`not an IP: ${s}`);
    if (p.family === "IPv4") return p.text.split(".").map((o) => Number(o).toString(2).padStart(8, "0")).join("");
    const full = p.text.includes("::") ? expandV6(p.text) : p.text.split(":");
    return full.map((g) => parseInt(g, 16).toString(2).padStart(16, "0")).join("");
  };
  return toBits(ip).slice(0, Number(bits)) === toBits(net).slice(0, Number(bits));
}

function expandV6(text: string): string[] {
  const [h, t] = text.split("::") as [string, string];
  const head = h ? h.split(":") : [];
  const tail = t ? t.split(":") : [];
  return [...head, ...new Array<string>(8 - head.length - tail.length).fill("0"), ...tail];
}

describe("address plan", () => {
  const rows: [string, string, string][] = [
    ["podIP(0)", plan.podIP(0), "10.244.1.10"],
    ["podIP(239)", plan.podIP(plan.MAX_POD_INDEX), "10.244.1.249"],
    ["podIP6(0)", plan.podIP6(0), "fd00:10:244:1::10"],
    ["remotePodIP(1)", plan.remotePodIP(1), "10.244.2.11"],
    ["clusterIP(0)", plan.clusterIP(0), "10.96.1.1"],
    ["clusterIP(249)", plan.clusterIP(249), "10.96.1.250"],
    ["clusterIP(250)", plan.clusterIP(250), "10.96.2.1"],
    ["clusterIP(max)", plan.clusterIP(plan.MAX_SERVICE_INDEX), "10.96.254.250"],
    ["clusterIP6(0)", plan.clusterIP6(0), "fd00:10:96::100"],
    ["externalIP(0)", plan.externalIP(0), "192.0.2.10"],
    ["loadBalancerIP(0)", plan.loadBalancerIP(0), "198.51.100.10"],
    ["defaultPodName(0)", plan.defaultPodName(0), "pod-a"],
    ["defaultPodName(25)", plan.defaultPodName(25), "pod-z"],
    ["defaultPodName(26)", plan.defaultPodName(26), "pod-aa"],
  ];
  for (const [name, got, want] of rows) test(name, () => expect(got).toBe(want));

  test("every generated address is canonical and inside its range", () => {
    const cases: [(i: number) => string, string, number][] = [
      [plan.podIP, plan.POD_CIDR, plan.MAX_POD_INDEX],
      [plan.podIP6, plan.POD_CIDR6, plan.MAX_POD_INDEX],
      [plan.remotePodIP, plan.CLUSTER_CIDR, plan.MAX_POD_INDEX],
      [plan.remotePodIP6, plan.CLUSTER_CIDR6, plan.MAX_POD_INDEX],
      [plan.clusterIP, plan.SERVICE_CIDR, plan.MAX_SERVICE_INDEX],
      [plan.clusterIP6, plan.SERVICE_CIDR6, plan.MAX_SERVICE_INDEX],
    ];
    for (const [fn, cidr, max] of cases) {
      for (const i of [0, 1, Math.floor(max / 2), max]) {
        const ip = fn(i);
        expect(parseIP(ip)?.text).toBe(ip);
        expect(inCidr(ip, cidr)).toBe(true);
      }
    }
    expect(inCidr(plan.POD_CIDR.split("/")[0]!, plan.CLUSTER_CIDR)).toBe(true);
    expect(inCidr(plan.DNS_CLUSTER_IP, plan.SERVICE_CIDR)).toBe(true);
    expect(inCidr(plan.DNS_CLUSTER_IP6, plan.SERVICE_CIDR6)).toBe(true);
    expect(inCidr(plan.NODE_IP, plan.NODE_NETWORK_CIDR) && inCidr(plan.CLIENT_IP, plan.NODE_NETWORK_CIDR)).toBe(true);
    expect(inCidr(plan.CLIENT_IP, plan.CLIENT_SOURCE_RANGE)).toBe(true);
    expect(inCidr(plan.CLIENT_IP, plan.OTHER_SOURCE_RANGE)).toBe(false);
  });

  test("distinct indices give distinct addresses", () => {
    const seen = new Set<string>();
    for (let i = 0; i <= plan.MAX_SERVICE_INDEX; i++) seen.add(plan.clusterIP(i));
    expect(seen.size).toBe(plan.MAX_SERVICE_INDEX + 1);
    expect(seen.has(plan.DNS_CLUSTER_IP)).toBe(false);
  });

  test("out-of-range indices throw instead of wrapping", () => {
    expect(() => plan.podIP(plan.MAX_POD_INDEX + 1)).toThrow(RangeError);
    expect(() => plan.podIP(-1)).toThrow(RangeError);
    expect(() => plan.clusterIP(plan.MAX_SERVICE_INDEX + 1)).toThrow(RangeError);
    expect(() => plan.clusterIP(1.5)).toThrow(RangeError);
  });

  test("no address is used for two roles", () => {
    const fixed = [plan.NODE_IP, plan.REMOTE_NODE_IP, plan.CLIENT_IP, plan.POD_GATEWAY_IP, plan.DNS_CLUSTER_IP, plan.UNUSED_IP,
      plan.IN_CLUSTER_CLIENT_IP, plan.SINK_LINK.node, plan.SINK_LINK.sink, plan.podIP(0), plan.remotePodIP(0), plan.externalIP(0), plan.loadBalancerIP(0)];
    expect(new Set(fixed).size).toBe(fixed.length);
  });
});
