import { describe, expect, test } from "bun:test";
import type { NftObject, RuleFragment } from "./objects.ts";
import { Transaction } from "./transaction.ts";

function printed(family: "ip" | "ip6", fragments: RuleFragment[]): string {
  const t = new Transaction({ family, table: "t" })
    .add({ kind: "table" })
    .add({ kind: "chain", name: "a" })
    .add({ kind: "chain", name: "b" })
    .add({ kind: "set", name: "s", keyType: ["addr"] })
    .add({ kind: "map", name: "m", keyType: ["addr", "inet_proto", "inet_service"], valueType: "verdict" })
    .add({ kind: "rule", chain: "a", fragments });
  const lines = t.toScript().trimEnd().split("\n");
  return (lines.at(-1) ?? "").replace(`add rule ${family} t a `, "");
}

describe("script: rule fragments", () => {
  const rows: [string, "ip" | "ip6", RuleFragment[], string][] = [
    ["ct state", "ip", [{ match: "ct-state", states: ["new"] }, { stmt: "verdict", verdict: { verdict: "jump", chain: "b" } }], "ct state new jump b"],
    ["saddr ip", "ip", [{ match: "addr", field: "saddr", addr: "10.0.0.1" }, { stmt: "verdict", verdict: { verdict: "accept" } }], "ip saddr 10.0.0.1 accept"],
    ["daddr ip6", "ip6", [{ match: "addr", field: "daddr", addr: "fd00::1" }, { stmt: "verdict", verdict: { verdict: "drop" } }], "ip6 daddr fd00::1 drop"],
    ["set lookup", "ip", [{ match: "addr-in-set", field: "daddr", set: "s" }, { stmt: "reject" }], "ip daddr @s reject"],
    ["vmap ip6", "ip6", [{ stmt: "vmap", key: ["daddr", "l4proto", "dport"], map: "m" }], "ip6 daddr . meta l4proto . th dport vmap @m"],
    [
      "numgen",
      "ip",
      [{ stmt: "numgen-vmap", targets: [{ verdict: "goto", chain: "a" }, { verdict: "goto", chain: "b" }] }],
      "numgen random mod 2 vmap { 0 : goto a, 1 : goto b }",
    ],
    ["mark or", "ip", [{ stmt: "mark-or", value: 0x4000 }], "mark set mark or 0x4000"],
    ["mark xor", "ip", [{ stmt: "mark-xor", value: 0x4000 }], "mark set mark xor 0x4000"],
    ["mark clear", "ip", [{ match: "mark-clear", mask: 0x4000 }, { stmt: "verdict", verdict: { verdict: "return" } }], "mark and 0x4000 == 0 return"],
    ["masquerade", "ip", [{ stmt: "masquerade", fullyRandom: true }], "masquerade fully-random"],
    ["dnat ip", "ip", [{ match: "l4proto", proto: "tcp" }, { stmt: "dnat", addr: "10.1.2.3", port: 8080 }], "meta l4proto tcp dnat to 10.1.2.3:8080"],
    ["dnat ip6 brackets the address", "ip6", [{ match: "l4proto", proto: "sctp" }, { stmt: "dnat", addr: "fd00::5", port: 80 }], "meta l4proto sctp dnat to [fd00::5]:80"],
  ];
  for (const [name, family, fragments, want] of rows) test(name, () => expect(printed(family, fragments)).toBe(want));
});

describe("script: objects and operations", () => {
  test("one statement per line, properties inside { ... ; }, deletes name only", () => {
    const objs: NftObject[] = [
      { kind: "chain", name: "nat-output", base: { type: "nat", hook: "output", priority: { name: "dstnat" } } },
      { kind: "chain", name: "pre", base: { type: "filter", hook: "prerouting", priority: { name: "dstnat", offset: -10 } }, comment: "x y" },
      { kind: "set", name: "ips", keyType: ["addr"], comment: "Active ClusterIPs" },
      { kind: "element", container: "ips", key: [{ type: "addr", addr: "fd00::1" }] },
    ];
    const t = new Transaction({ family: "ip6", table: "kube-proxy" }).add({ kind: "table" }).delete({ kind: "table" }).add({ kind: "table", comment: "rules for kube-proxy" });
    for (const o of objs) t.add(o);
    t.delete({ kind: "element", container: "ips", key: [{ type: "addr", addr: "fd00::1" }] });
    t.flush({ kind: "set", name: "ips", keyType: ["addr"] });
    t.delete({ kind: "chain", name: "pre" });
    expect(t.toScript()).toBe(
      [
        "add table ip6 kube-proxy",
        "delete table ip6 kube-proxy",
        'add table ip6 kube-proxy { comment "rules for kube-proxy" ; }',
        "add chain ip6 kube-proxy nat-output { type nat hook output priority -100 ; }",
        'add chain ip6 kube-proxy pre { type filter hook prerouting priority -110 ; comment "x y" ; }',
        'add set ip6 kube-proxy ips { type ipv6_addr ; comment "Active ClusterIPs" ; }',
        "add element ip6 kube-proxy ips { fd00::1 }",
        "delete element ip6 kube-proxy ips { fd00::1 }",
        "flush set ip6 kube-proxy ips",
        "delete chain ip6 kube-proxy pre",
        "",
      ].join("\n"),
    );
  });
  test("an empty transaction is an empty script", () => {
    expect(new Transaction({ family: "ip", table: "t" }).toScript()).toBe("");
  });
});
