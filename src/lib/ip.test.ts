import { describe, expect, test } from "bun:test";
import { parseIP, parseIPv4, parseIPv6, parsePort } from "./ip.ts";

describe("parseIP", () => {
  const rows: [string, string | null][] = [
    ["10.96.0.1", "10.96.0.1"],
    ["0.0.0.0", "0.0.0.0"],
    ["255.255.255.255", "255.255.255.255"],
    ["010.1.1.1", null],
    ["256.1.1.1", null],
    ["1.2.3", null],
    ["1.2.3.4.5", null],
    ["10.0.0.1; flush ruleset", null],
    ["", null],
    ["fd00::1", "fd00::1"],
    ["FD00:0:0:0:0:0:0:1", "fd00::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
    ["::", "::"],
    ["::1", "::1"],
    ["1::", "1::"],
    ["::ffff:10.0.0.1", "::ffff:a00:1"],
    ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"],
    ["1:0:3:4:5:6:7:8", "1:0:3:4:5:6:7:8"],
    ["1:2:3:4:5:6:7:8:9", null],
    ["1::2::3", null],
    ["fe80::1%eth0", null],
    ["12345::", null],
    [":1", null],
  ];
  test.each(rows)("%p -> %p", (input, want) => {
    expect(parseIP(input)?.text ?? null).toBe(want);
  });
  test("families", () => {
    expect(parseIPv4("1.2.3.4")?.family).toBe("IPv4");
    expect(parseIPv6("::1")?.family).toBe("IPv6");
    expect(parseIPv4("::1")).toBeNull();
    expect(parseIPv6("1.2.3.4")).toBeNull();
  });
});

describe("parsePort", () => {
  test.each([[80, 80], [65535, 65535], [0, null], [65536, null], [1.5, null], ["80", null]] as [unknown, number | null][])(
    "%p -> %p",
    (input, want) => expect(parsePort(input)).toBe(want),
  );
});
