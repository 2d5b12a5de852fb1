import { describe, expect, test } from "bun:test";
import { isNftError, NftError, type NftErrorKind } from "./nft-error.ts";
import type { NftObject } from "./objects.ts";
import { Transaction } from "./transaction.ts";

const tx = () => new Transaction({ family: "ip", table: "kube-proxy" }).add({ kind: "table" });
const withBasics = () =>
  tx()
    .add({ kind: "chain", name: "a" })
    .add({ kind: "set", name: "ips", keyType: ["addr"] })
    .add({ kind: "map", name: "m", keyType: ["addr", "inet_proto", "inet_service"], valueType: "verdict" });

describe("Transaction: the first error sticks", () => {
  const rows: { name: string; obj: NftObject; kind: NftErrorKind }[] = [
    { name: "invalid chain name", obj: { kind: "chain", name: "bad name" }, kind: "invalid-name" },
    { name: "name with a quote", obj: { kind: "chain", name: 'a"b' }, kind: "invalid-name" },
    { name: "name too long", obj: { kind: "chain", name: "a".repeat(256) }, kind: "invalid-name" },
    { name: "comment with a quote", obj: { kind: "chain", name: "c", comment: 'x" ; flush ruleset' }, kind: "invalid-value" },
    { name: "rule in an undefined chain", obj: { kind: "rule", chain: "nope", fragments: [{ stmt: "reject" }] }, kind: "undefined-reference" },
    {
      name: "jump to an undefined chain",
      obj: { kind: "rule", chain: "a", fragments: [{ stmt: "verdict", verdict: { verdict: "jump", chain: "nope" } }] },
      kind: "undefined-reference",
    },
    {
      name: "numgen goto an undefined chain",
      obj: { kind: "rule", chain: "a", fragments: [{ stmt: "numgen-vmap", targets: [{ verdict: "goto", chain: "a" }, { verdict: "goto", chain: "nope" }] }] },
      kind: "undefined-reference",
    },
    { name: "lookup in an undefined set", obj: { kind: "rule", chain: "a", fragments: [{ match: "addr-in-set", field: "daddr", set: "nope" }] }, kind: "undefined-reference" },
    { name: "vmap with the wrong key", obj: { kind: "rule", chain: "a", fragments: [{ stmt: "vmap", key: ["daddr"], map: "m" }] }, kind: "invalid-value" },
    { name: "IPv6 address in an ip table", obj: { kind: "rule", chain: "a", fragments: [{ match: "addr", field: "saddr", addr: "fd00::1" }] }, kind: "invalid-value" },
    { name: "non-canonical address", obj: { kind: "rule", chain: "a", fragments: [{ stmt: "dnat", addr: "010.0.0.1", port: 80 }] }, kind: "invalid-value" },
    { name: "injected address", obj: { kind: "rule", chain: "a", fragments: [{ stmt: "dnat", addr: "10.0.0.1 ; flush ruleset", port: 80 }] }, kind: "invalid-value" },
    { name: "port 0", obj: { kind: "rule", chain: "a", fragments: [{ stmt: "dnat", addr: "10.0.0.1", port: 0 }] }, kind: "invalid-value" },
    { name: "empty rule", obj: { kind: "rule", chain: "a", fragments: [] }, kind: "invalid-value" },
    { name: "element of an undefined map", obj: { kind: "element", container: "nope", key: [{ type: "addr", addr: "10.0.0.1" }] }, kind: "undefined-reference" },
    {
      name: "element with a short key",
      obj: { kind: "element", container: "m", key: [{ type: "addr", addr: "10.0.0.1" }], value: { verdict: "drop" } },
      kind: "invalid-value",
    },
    {
      name: "map element without a verdict",
      obj: { kind: "element", container: "m", key: [{ type: "addr", addr: "10.0.0.1" }, { type: "inet_proto", proto: "tcp" }, { type: "inet_service", port: 80 }] },
      kind: "invalid-value",
    },
    {
      name: "map element going to an undefined chain",
      obj: {
        kind: "element",
        container: "m",
        key: [{ type: "addr", addr: "10.0.0.1" }, { type: "inet_proto", proto: "tcp" }, { type: "inet_service", port: 80 }],
        value: { verdict: "goto", chain: "nope" },
      },
      kind: "undefined-reference",
    },
    { name: "set element with a value", obj: { kind: "element", container: "ips", key: [{ type: "addr", addr: "10.0.0.1" }], value: { verdict: "drop" } }, kind: "invalid-value" },
    {
      name: "unknown protocol in a key",
      obj: { kind: "element", container: "m", key: [{ type: "addr", addr: "10.0.0.1" }, { type: "inet_proto", proto: "icmp" as "tcp" }, { type: "inet_service", port: 80 }], value: { verdict: "drop" } },
      kind: "invalid-value",
    },
  ];
  for (const r of rows) {
    test(r.name, () => {
      const t = withBasics().add(r.obj);
      expect(isNftError(t.error, r.kind)).toBe(true);
      expect(() => t.toScript()).toThrow(NftError);
    });
  }

  test("later valid operations neither clear nor replace the first error, and are not recorded", () => {
    const t = withBasics().add({ kind: "chain", name: "bad name" });
    const first = t.error;
    const before = t.operations.length;
    t.add({ kind: "chain", name: "fine" }).add({ kind: "rule", chain: "nope", fragments: [{ stmt: "reject" }] });
    expect(t.error).toBe(first);
    expect(t.operations.length).toBe(before);
    expect(() => t.toScript()).toThrow(/bad name/);
  });

  test("chains must be added before rules refer to them (nft needs that order)", () => {
    const t = tx()
      .add({ kind: "chain", name: "a" })
      .add({ kind: "rule", chain: "a", fragments: [{ stmt: "verdict", verdict: { verdict: "jump", chain: "b" } }] })
      .add({ kind: "chain", name: "b" });
    expect(isNftError(t.error, "undefined-reference")).toBe(true);
  });

  test("nothing may be added before the table", () => {
    const t = new Transaction({ family: "ip", table: "kube-proxy" }).add({ kind: "chain", name: "a" });
    expect(isNftError(t.error, "undefined-reference")).toBe(true);
  });

  test("deleting the table forgets its chains", () => {
    const t = withBasics().delete({ kind: "table" }).add({ kind: "table" }).add({ kind: "rule", chain: "a", fragments: [{ stmt: "reject" }] });
    expect(isNftError(t.error, "undefined-reference")).toBe(true);
  });

  test("deleting a table that is neither added nor known is refused", () => {
    const t = new Transaction({ family: "ip", table: "kube-proxy" }).delete({ kind: "table" });
    expect(isNftError(t.error, "invalid-operation")).toBe(true);
  });

  test("existing objects (for partial syncs) may be referenced without adding them", () => {
    const t = new Transaction({
      family: "ip6",
      table: "kube-proxy",
      existing: { chains: ["a", "b"], sets: [], maps: [{ kind: "map", name: "m", keyType: ["addr", "inet_proto", "inet_service"], valueType: "verdict" }] },
    })
      .flush({ kind: "chain", name: "a" })
      .add({ kind: "rule", chain: "a", fragments: [{ stmt: "verdict", verdict: { verdict: "goto", chain: "b" } }] })
      .add({ kind: "element", container: "m", key: [{ type: "addr", addr: "fd00::1" }, { type: "inet_proto", proto: "udp" }, { type: "inet_service", port: 53 }], value: { verdict: "goto", chain: "b" } });
    expect(t.error).toBeNull();
    expect(t.toScript()).toBe(
      [
        "flush chain ip6 kube-proxy a",
        "add rule ip6 kube-proxy a goto b",
        "add element ip6 kube-proxy m { fd00::1 . udp . 53 : goto b }",
        "",
      ].join("\n"),
    );
  });

  test("an invalid table name is refused at construction", () => {
    expect(() => new Transaction({ family: "ip", table: "kube proxy" })).toThrow(NftError);
  });

  test("toScript is kept until the next operation, which it then includes", () => {
    const tx = new Transaction({ family: "ip", table: "t" }).add({ kind: "table" });
    const first = tx.toScript();
    expect(tx.toScript()).toBe(first);
    tx.add({ kind: "chain", name: "c" });
    expect(tx.toScript()).toBe(`${first}add chain ip t c\n`);
  });
});
