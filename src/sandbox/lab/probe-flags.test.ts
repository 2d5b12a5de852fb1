import { describe, expect, test } from "bun:test";
import { formatTarget, parseProbeFlags, parseTarget } from "./probe-flags.ts";

describe("parseTarget", () => {
  const rows: [string, { ip: string; port: number } | null][] = [
    ["10.96.0.10:80", { ip: "10.96.0.10", port: 80 }],
    ["[fd00:10:96::a]:53", { ip: "fd00:10:96::a", port: 53 }],
    ["[FD00:10:96:0::A]:53", { ip: "fd00:10:96::a", port: 53 }],
    ["fd00::1:53", null],
    ["10.96.0.10", null],
    ["10.96.0.10:0", null],
    ["10.96.0.10:65536", null],
    ["10.96.0.300:80", null],
    ["[10.96.0.10]:80", { ip: "10.96.0.10", port: 80 }],
    ["host:80", null],
  ];
  for (const [s, want] of rows) {
    test(s, () => {
      const t = parseTarget(s);
      expect(t ? { ip: t.ip.text, port: t.port } : null).toEqual(want);
    });
  }
  test("formatTarget brackets IPv6 only", () => {
    expect(formatTarget("10.0.0.10", 80)).toBe("10.0.0.10:80");
    expect(formatTarget("fd00:10::10", 80)).toBe("[fd00:10::10]:80");
  });
});

describe("parseProbeFlags", () => {
  test("all flags", () => {
    const r = parseProbeFlags(["--proto", "udp", "--target", "[fd00:10:96::a]:53", "--count", "5", "--timeout-ms", "250", "--json"]);
    expect(r).toEqual({ ok: true, value: { proto: "udp", target: { ip: { family: "IPv6", text: "fd00:10:96::a" }, port: 53 }, count: 5, timeoutMs: 250, json: true } });
  });
  test("defaults", () => {
    const r = parseProbeFlags(["--proto", "tcp", "--target", "10.96.0.10:80", "--count", "1"]);
    expect(r).toEqual({ ok: true, value: { proto: "tcp", target: { ip: { family: "IPv4", text: "10.96.0.10" }, port: 80 }, count: 1, timeoutMs: 1000, json: false } });
  });
  test("--source: an address of the target's family", () => {
    const r = parseProbeFlags(["--proto", "tcp", "--target", "192.0.2.10:80", "--count", "1", "--source", "203.0.113.7"]);
    expect(r.ok && r.value.source).toEqual({ family: "IPv4", text: "203.0.113.7" });
  });
  const bad: [string[], string][] = [
    [["--proto", "tcp", "--target", "10.96.0.10:80", "--count", "1", "--source", "nowhere"], 'invalid value for --source: "nowhere" (must be an IP address)'],
    [["--proto", "tcp", "--target", "10.96.0.10:80", "--count", "1", "--source", "fd00:10::100"], 'invalid value for --source: "fd00:10::100" (not of the target\'s family)'],
    [["--proto", "sctp", "--target", "10.96.0.10:80", "--count", "1"], 'invalid value for --proto: "sctp" (must be tcp or udp)'],
    [["--proto", "tcp", "--target", "10.96.0.10", "--count", "1"], 'invalid value for --target: "10.96.0.10" (must be IP:PORT or [IPv6]:PORT)'],
    [["--proto", "tcp", "--target", "10.96.0.10:80", "--count", "0"], 'invalid value for --count: "0" (must be an integer 1..1000000)'],
    [["--proto", "tcp", "--target", "10.96.0.10:80", "--count", "1", "--timeout-ms", "0"], 'invalid value for --timeout-ms: "0" (must be an integer 1..600000)'],
    [["--proto", "tcp", "--target", "10.96.0.10:80"], "missing flag --count"],
    [["--proto", "tcp", "--count", "1", "--json=1"], 'flag --json takes no value, got "1"'],
  ];
  for (const [argv, message] of bad) {
    test(argv.join(" "), () => expect(parseProbeFlags(argv)).toEqual({ ok: false, message }));
  }
});
