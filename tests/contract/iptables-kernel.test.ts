/**
 * The iptables fake stays honest: the same restore scripts applied to the fake and to the real
 * kernel (iptables-restore in a fresh namespace) give the same iptables-save dump.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createIptablesClient } from "../../src/backends/iptables/client.ts";
import { IptablesFake } from "../../src/backends/iptables/fake.ts";
import { RestoreScript } from "../../src/backends/iptables/restore-script.ts";
import { parseSave, printTable } from "../../src/backends/iptables/save-format.ts";
import { comment } from "../../src/backends/iptables/tokens.ts";
import { inNetns, realRunner } from "../../src/lib/exec.ts";

const ns = `kpb-ipt-${process.pid}-1`;
const canRun = process.getuid?.() === 0 && Bun.which("iptables-restore") !== null && Bun.which("ip") !== null;

beforeAll(async () => {
  if (canRun) await realRunner(["ip", "netns", "add", ns]);
});
afterAll(async () => {
  if (canRun) await realRunner(["ip", "netns", "del", ns]);
});

function scripts(): string[] {
  const nat = new RestoreScript("nat")
    .chain("KUBE-SERVICES")
    .chain("KUBE-MARK-MASQ")
    .chain("KUBE-POSTROUTING")
    .chain("KUBE-SVC-AAAAAAAAAAAAAAAA")
    .chain("KUBE-SEP-BBBBBBBBBBBBBBBB")
    .chain("KUBE-SEP-CCCCCCCCCCCCCCCC")
    .append("KUBE-MARK-MASQ", ["-j", "MARK", "--set-xmark", "0x4000/0x4000"])
    .append("KUBE-POSTROUTING", ["-m", "mark", "!", "--mark", "0x4000/0x4000", "-j", "RETURN"])
    .append("KUBE-POSTROUTING", ["-j", "MARK", "--set-xmark", "0x4000/0x0"])
    .append("KUBE-POSTROUTING", ["-m", "comment", "--comment", comment("kubernetes service traffic requiring SNAT"), "-j", "MASQUERADE", "--random-fully"])
    .append("KUBE-SERVICES", ["-d", "10.96.0.10/32", "-p", "tcp", "-m", "comment", "--comment", comment("demo/web:http cluster IP"), "-m", "tcp", "--dport", "80", "-j", "KUBE-SVC-AAAAAAAAAAAAAAAA"])
    .append("KUBE-SERVICES", ["-m", "comment", "--comment", comment("kubernetes service nodeports; NOTE: this must be the last rule in this chain"), "-m", "addrtype", "--dst-type", "LOCAL", "-j", "KUBE-MARK-MASQ"])
    .append("KUBE-SVC-AAAAAAAAAAAAAAAA", ["-m", "comment", "--comment", comment("demo/web:http -> 10.244.1.10:8080"), "-m", "recent", "--rcheck", "--seconds", "10800", "--reap", "--name", "KUBE-SEP-BBBBBBBBBBBBBBBB", "--mask", "255.255.255.255", "--rsource", "-j", "KUBE-SEP-BBBBBBBBBBBBBBBB"])
    .append("KUBE-SVC-AAAAAAAAAAAAAAAA", ["-m", "comment", "--comment", comment("demo/web:http -> 10.244.1.10:8080"), "-m", "statistic", "--mode", "random", "--probability", "0.50000000000", "-j", "KUBE-SEP-BBBBBBBBBBBBBBBB"])
    .append("KUBE-SVC-AAAAAAAAAAAAAAAA", ["-m", "comment", "--comment", comment("demo/web:http -> 10.244.1.11:8080"), "-j", "KUBE-SEP-CCCCCCCCCCCCCCCC"])
    .append("KUBE-SEP-BBBBBBBBBBBBBBBB", ["-s", "10.244.1.10/32", "-m", "comment", "--comment", comment("demo/web:http"), "-j", "KUBE-MARK-MASQ"])
    .append("KUBE-SEP-BBBBBBBBBBBBBBBB", ["-p", "tcp", "-m", "comment", "--comment", comment("demo/web:http"), "-m", "recent", "--set", "--name", "KUBE-SEP-BBBBBBBBBBBBBBBB", "--mask", "255.255.255.255", "--rsource", "-m", "tcp", "-j", "DNAT", "--to-destination", "10.244.1.10:8080"])
    .append("KUBE-SEP-CCCCCCCCCCCCCCCC", ["-p", "udp", "-m", "comment", "--comment", comment("demo/web:http"), "-m", "udp", "-j", "DNAT", "--to-destination", "10.244.1.11:8080"])
    .insert("PREROUTING", ["-m", "comment", "--comment", comment("kubernetes service portals"), "-j", "KUBE-SERVICES"])
    .insert("POSTROUTING", ["-m", "comment", "--comment", comment("kubernetes postrouting rules"), "-j", "KUBE-POSTROUTING"]);
  const filter = new RestoreScript("filter")
    .chain("KUBE-FORWARD")
    .chain("KUBE-SERVICES")
    .append("KUBE-FORWARD", ["-m", "conntrack", "--ctstate", "INVALID", "-j", "DROP"])
    .append("KUBE-FORWARD", ["-m", "comment", "--comment", comment("kubernetes forwarding rules"), "-m", "mark", "--mark", "0x4000/0x4000", "-j", "ACCEPT"])
    .append("KUBE-SERVICES", ["-d", "10.96.0.20/32", "-p", "udp", "-m", "comment", "--comment", comment("demo/empty has no endpoints"), "-m", "udp", "--dport", "53", "-j", "REJECT", "--reject-with", "icmp-port-unreachable"])
    .insert("FORWARD", ["-m", "conntrack", "--ctstate", "NEW", "-m", "comment", "--comment", comment("kubernetes service portals"), "-j", "KUBE-SERVICES"]);
  // A second sync: the SVC chain is re-declared (so flushed) and one endpoint chain deleted.
  const second = new RestoreScript("nat")
    .chain("KUBE-SVC-AAAAAAAAAAAAAAAA")
    .append("KUBE-SVC-AAAAAAAAAAAAAAAA", ["-m", "comment", "--comment", comment("demo/web:http -> 10.244.1.11:8080"), "-j", "KUBE-SEP-CCCCCCCCCCCCCCCC"])
    .deleteChain("KUBE-SEP-BBBBBBBBBBBBBBBB");
  return [nat.text(), filter.text(), second.text()];
}

describe.skipIf(!canRun)("iptables fake vs the kernel", () => {
  test("the same restore scripts give the same iptables-save dump", async () => {
    const client = createIptablesClient(inNetns(realRunner, ns), "IPv4");
    const fake = new IptablesFake();
    for (const s of scripts()) {
      fake.restore(s);
      await client.restore(s);
    }
    const kernel = parseSave(await client.save());
    for (const table of ["nat", "filter"]) {
      expect(printTable(table, kernel.get(table)!)).toBe(printTable(table, fake.tables.get(table)!));
    }
    expect(["nf_tables", "legacy"]).toContain(await client.variant());
  });

  test("a refused restore is a BackendError and changes nothing", async () => {
    const client = createIptablesClient(inNetns(realRunner, ns), "IPv4");
    const before = await client.save("nat");
    const bad = new RestoreScript("nat").chain("KUBE-SVC-AAAAAAAAAAAAAAAA").append("KUBE-SVC-AAAAAAAAAAAAAAAA", ["-j", "KUBE-NOPE"]).text();
    await expect(client.restore(bad)).rejects.toThrow("iptables-restore failed");
    expect((await client.save("nat")).replace(/^#.*\n/gm, "")).toBe(before.replace(/^#.*\n/gm, ""));
  });
});
