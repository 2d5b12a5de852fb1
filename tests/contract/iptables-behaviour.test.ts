/** The behaviour table through the iptables backend, its fake and the tracer. */
import { describe, expect, test } from "bun:test";
import { iptablesFakeRunner } from "../../src/backends/iptables/fake-runner.ts";
import { createIptablesBackend } from "../../src/backends/iptables/iptables-backend.ts";
import { IptablesTracer, type Fate } from "../support/ipt-tracer.ts";
import { NODE_IP } from "../support/addresses.ts";
import { BEHAVIOUR_ROWS, behaviourState, expectationFor, POD_A } from "./service-behaviour-rows.ts";

function summarize(fates: Fate[]): { want: string[] | "reject" | "drop" | "pass"; masq: boolean[] } {
  if (fates.every((f) => f.kind === "dnat")) return { want: fates.map((f) => (f as { to: string }).to).sort(), masq: [...new Set(fates.map((f) => (f as { masq: boolean }).masq))] };
  if (fates.length === 1 && fates[0]!.kind !== "dnat") return { want: fates[0]!.kind, masq: fates[0]!.kind === "pass" ? [fates[0]!.masq] : [] };
  throw new Error(`mixed fates: ${JSON.stringify(fates)}`);
}

async function tracer(state = behaviourState()) {
  const runner = iptablesFakeRunner();
  await createIptablesBackend({ runner, family: "IPv4" }).sync(state);
  return new IptablesTracer(runner.fake.tables, { localAddresses: [NODE_IP, "127.0.0.1"] });
}

describe("iptables behaviour (fake + tracer)", async () => {
  const t = await tracer();
  test.each(BEHAVIOUR_ROWS.map((r) => [r.name, r] as const))("%s", (_name, row) => {
    const { want, masq } = expectationFor(row, "iptables");
    const got = summarize(t.trace({ src: row.src, dst: row.dst, proto: row.proto, dport: row.dport, from: row.from }));
    expect(got.want).toEqual(want);
    if (masq !== undefined) expect(got.masq).toEqual([masq]);
  });

  test("hairpin: the endpoint reaching itself is masqueraded, reaching the other is not", async () => {
    const fates = t.trace({ src: POD_A, dst: "10.96.0.10", proto: "tcp", dport: 80, from: "outside" });
    expect(fates).toEqual([
      { kind: "dnat", to: "10.244.1.10:8080", masq: true },
      { kind: "dnat", to: "10.244.1.11:8080", masq: false },
    ]);
  });

  test("--masquerade-all masquerades pod traffic too", async () => {
    const all = await tracer(behaviourState({ kind: "cidr", cidr: "10.244.0.0/16" }, true));
    const fates = all.trace({ src: "10.244.2.5", dst: "10.96.0.10", proto: "tcp", dport: 80, from: "outside" });
    expect(new Set(fates.map((f) => (f as { masq: boolean }).masq))).toEqual(new Set([true]));
  });

  test("interface-prefix detection: traffic from pod interfaces is not masqueraded", async () => {
    const byIface = await tracer(behaviourState({ kind: "interface-prefix", prefix: "veth" }));
    const fromPod = byIface.trace({ src: "10.244.2.5", dst: "10.96.0.10", proto: "tcp", dport: 80, from: "outside", iif: "veth123" });
    const fromUplink = byIface.trace({ src: "10.244.2.5", dst: "10.96.0.10", proto: "tcp", dport: 80, from: "outside", iif: "eth0" });
    expect(new Set(fromPod.map((f) => (f as { masq: boolean }).masq))).toEqual(new Set([false]));
    expect(new Set(fromUplink.map((f) => (f as { masq: boolean }).masq))).toEqual(new Set([true]));
  });

  test("the tracer refuses a rule it does not understand", () => {
    const runner = iptablesFakeRunner();
    runner.fake.restore("*nat\n:KUBE-X - [0:0]\n-A KUBE-X -m owner --uid-owner 0 -j ACCEPT\nCOMMIT\n");
    runner.fake.restore('*nat\n-I PREROUTING 1 -j KUBE-X\nCOMMIT\n');
    const bad = new IptablesTracer(runner.fake.tables, { localAddresses: [] });
    expect(() => bad.trace({ src: "1.1.1.1", dst: "2.2.2.2", proto: "tcp", dport: 1, from: "outside" })).toThrow("unknown match module owner");
  });
});
