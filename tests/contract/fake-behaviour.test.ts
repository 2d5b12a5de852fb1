/**
 * One contract suite across every implementation's fake: the shared behaviour table
 * (service-behaviour-rows.ts), in both families, through the nftables fake with its tracer and
 * the iptables fake with its tracer. kernel-behaviour.test.ts runs the same rows on the kernel.
 */
import { describe, expect, test } from "bun:test";
import { iptablesFakeRunner } from "../../src/backends/iptables/fake-runner.ts";
import { createIptablesBackend } from "../../src/backends/iptables/iptables-backend.ts";
import { createFakeNft } from "../../src/backends/nftables/fake.ts";
import { createNftablesBackend } from "../../src/backends/nftables/nftables-backend.ts";
import { scriptedRunner } from "../../src/lib/exec.ts";
import { IptablesTracer, type Fate } from "../support/ipt-tracer.ts";
import { summarize, trace } from "../support/nft-tracer.ts";
import { behaviourAddresses, behaviourRows, behaviourState, expectationFor } from "./service-behaviour-rows.ts";

for (const family of ["IPv4", "IPv6"] as const) {
  describe(`shared behaviour table through the fakes (${family})`, async () => {
    const a = behaviourAddresses(family);
    const local = [a.sender.node, a.podGateway, family === "IPv4" ? "127.0.0.1" : "::1"];
    const nft = createFakeNft();
    await createNftablesBackend({ runner: scriptedRunner([]), client: nft }).sync(behaviourState(undefined, false, family));
    const nftFamily = family === "IPv4" ? "ip" : "ip6";
    const ipt = iptablesFakeRunner();
    await createIptablesBackend({ runner: ipt, family }).sync(behaviourState(undefined, false, family));
    const iptTracer = new IptablesTracer(ipt.fake.tables, { localAddresses: local });

    for (const row of behaviourRows(family)) {
      test(`nftables: ${row.name}`, () => {
        const { want, masq, masqByEndpoint } = expectationFor(row, "nftables");
        const got = summarize(trace(nft.table(nftFamily)!, nftFamily, { from: row.from === "node" ? "node" : "remote", src: row.src, proto: row.proto, dst: row.dst, dport: row.dport, iif: "eth-x" }, local));
        expect(got.endpoints as unknown).toEqual(want === "pass" ? "untouched" : want);
        if (masq !== undefined && Array.isArray(want)) expect(got.masq as unknown).toBe(masq);
        if (masqByEndpoint) expect(got.masq as unknown).toBe("mixed");
      });
      test(`iptables: ${row.name}`, () => {
        const { want, masq } = expectationFor(row, "iptables");
        const fates: Fate[] = iptTracer.trace({ src: row.src, dst: row.dst, proto: row.proto, dport: row.dport, from: row.from });
        const got = fates.every((f) => f.kind === "dnat") ? fates.map((f) => (f as { to: string }).to).sort() : fates[0]!.kind;
        expect(got as unknown).toEqual(want);
        if (masq !== undefined && Array.isArray(want)) expect([...new Set(fates.map((f) => (f as { masq: boolean }).masq))]).toEqual([masq]);
      });
    }
  });
}
