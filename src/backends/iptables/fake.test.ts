import { describe, expect, test } from "bun:test";
import { IptablesFake, IptablesFakeError } from "./fake.ts";
import { RestoreScript } from "./restore-script.ts";
import { parseSave, printSave } from "./save-format.ts";
import { comment, word } from "./tokens.ts";

const svcRule = ["-d", "10.96.0.10/32", "-p", "tcp", "-m", "comment", "--comment", comment("demo/web:http cluster IP"), "-m", "tcp", "--dport", "80", "-j", "KUBE-SVC-A"];

function base(): RestoreScript {
  return new RestoreScript("nat").chain("KUBE-SERVICES").chain("KUBE-SVC-A").append("KUBE-SERVICES", svcRule).append("KUBE-SVC-A", ["-p", "tcp", "-j", "DNAT", "--to-destination", "10.244.1.10:8080"]);
}

describe("RestoreScript and tokens", () => {
  test("text in restore order", () => {
    expect(base().text()).toBe(
      ["*nat", ":KUBE-SERVICES - [0:0]", ":KUBE-SVC-A - [0:0]", `-A KUBE-SERVICES ${svcRule.join(" ")}`, "-A KUBE-SVC-A -p tcp -j DNAT --to-destination 10.244.1.10:8080", "COMMIT", ""].join("\n"),
    );
  });
  test.each([["10.0.0.1;reboot"], ["a b"], ['"x"'], ["$(x)"], [""]])("unsafe word %p is refused", (w) => {
    expect(() => word(w)).toThrow("unsafe word");
  });
  test("comments cannot escape their quotes", () => {
    expect(comment('a "b"\n-A X -j DROP')).toBe('"a _b__-A X -j DROP"');
    expect(comment("ns/svc:port")).toBe('"ns/svc:port"');
    expect(comment("KUBE-SEP-X")).toBe("KUBE-SEP-X");
  });
  test("built-in and malformed chain names cannot be declared", () => {
    expect(() => new RestoreScript("nat").chain("PREROUTING")).toThrow("built-in");
    expect(() => new RestoreScript("nat").chain("kube-svc")).toThrow("bad chain name");
    expect(() => new RestoreScript("nat").chain("KUBE-SVC-ABCDEFGHIJKLMNOPQRSTUVWXYZ")).toThrow("bad chain name");
  });
});

describe("IptablesFake", () => {
  test("applies declarations, appends and inserts, and saves as iptables-save does", () => {
    const fake = new IptablesFake();
    fake.restore(base().insert("PREROUTING", ["-m", "comment", "--comment", comment("kubernetes service portals"), "-j", "KUBE-SERVICES"]).text());
    expect(fake.save()).toBe(
      [
        "*nat",
        ":PREROUTING ACCEPT [0:0]",
        ":INPUT ACCEPT [0:0]",
        ":OUTPUT ACCEPT [0:0]",
        ":POSTROUTING ACCEPT [0:0]",
        ":KUBE-SERVICES - [0:0]",
        ":KUBE-SVC-A - [0:0]",
        '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        `-A KUBE-SERVICES ${svcRule.join(" ")}`,
        "-A KUBE-SVC-A -p tcp -j DNAT --to-destination 10.244.1.10:8080",
        "COMMIT",
        "",
      ].join("\n"),
    );
    expect(printSave(parseSave(fake.save()))).toBe(fake.save());
  });

  test("a re-declared chain is flushed (the --noflush restore rule)", () => {
    const fake = new IptablesFake();
    fake.restore(base().text());
    fake.restore(new RestoreScript("nat").chain("KUBE-SVC-A").append("KUBE-SVC-A", ["-p", "tcp", "-j", "DNAT", "--to-destination", "10.244.1.11:8080"]).text());
    expect(fake.tables.get("nat")!.chains.get("KUBE-SVC-A")!.rules).toEqual(["-p tcp -j DNAT --to-destination 10.244.1.11:8080"]);
    expect(fake.tables.get("nat")!.chains.get("KUBE-SERVICES")!.rules).toHaveLength(1);
  });

  test("a failing block changes nothing", () => {
    const fake = new IptablesFake();
    fake.restore(base().text());
    const before = fake.save();
    expect(() => fake.restore(new RestoreScript("nat").chain("KUBE-SVC-A").append("KUBE-SVC-A", ["-j", "KUBE-MISSING"]).text())).toThrow(IptablesFakeError);
    expect(fake.save()).toBe(before);
  });

  test.each([
    ["jump to a missing chain", new RestoreScript("nat").chain("KUBE-X").append("KUBE-X", ["-j", "KUBE-NOPE"]).text(), "missing chain KUBE-NOPE"],
    ["rule in an unknown chain", "*nat\n-A KUBE-NOPE -j ACCEPT\nCOMMIT\n", "does not exist"],
    ["deleting a chain that is still jumped to", base().text() + new RestoreScript("nat").deleteChain("KUBE-SVC-A").text(), "missing chain KUBE-SVC-A"],
    ["deleting an absent rule", new RestoreScript("nat").chain("KUBE-X").delete("KUBE-X", ["-j", "ACCEPT"]).text(), "no such rule"],
    ["missing COMMIT", "*nat\n:KUBE-X - [0:0]\n", "missing COMMIT"],
  ])("refuses %s", (_name, text, message) => {
    expect(() => new IptablesFake().restore(text)).toThrow(message);
  });

  test("an unreferenced chain can be deleted", () => {
    const fake = new IptablesFake();
    fake.restore(new RestoreScript("nat").chain("KUBE-X").text());
    fake.restore(new RestoreScript("nat").deleteChain("KUBE-X").text());
    expect(fake.tables.get("nat")!.chains.has("KUBE-X")).toBe(false);
  });
});
