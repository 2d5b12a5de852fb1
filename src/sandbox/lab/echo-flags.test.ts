import { describe, expect, test } from "bun:test";
import { parseEchoFlags } from "./echo-flags.ts";
import { formatReadyLine, parseReadyLine, runEchoCommand } from "./echo-command.ts";

describe("parseEchoFlags", () => {
  const rows: { argv: string[]; want: object | string }[] = [
    { argv: ["--name", "pod-a", "--tcp", "8080", "--udp", "5353"], want: { name: "pod-a", tcpPort: 8080, udpPort: 5353, host: "::" } },
    { argv: ["--name=pod-a", "--tcp=0", "--udp=0", "--host=10.244.1.10"], want: { name: "pod-a", tcpPort: 0, udpPort: 0, host: "10.244.1.10" } },
    { argv: ["--name", "p", "--tcp", "1", "--udp", "2", "--host", "fd00:10:244:1::10"], want: { name: "p", tcpPort: 1, udpPort: 2, host: "fd00:10:244:1::10" } },
    { argv: ["--tcp", "1", "--udp", "2"], want: "missing flag --name" },
    { argv: ["--name", "pod-a", "--udp", "2"], want: "missing flag --tcp" },
    { argv: ["--name", "pod a", "--tcp", "1", "--udp", "2"], want: 'invalid value for --name: "pod a"' },
    { argv: ["--name", "pod-a", "--tcp", "65536", "--udp", "2"], want: 'invalid value for --tcp: "65536" (must be an integer 0..65535)' },
    { argv: ["--name", "pod-a", "--tcp", "1", "--udp", "x"], want: 'invalid value for --udp: "x" (must be an integer 0..65535)' },
    { argv: ["--name", "pod-a", "--tcp", "1", "--udp", "2", "--host", "localhost"], want: 'invalid value for --host: "localhost" (must be an IP address)' },
    { argv: ["--name", "pod-a", "--tcp", "1", "--udp", "2", "--extra"], want: "unknown flag --extra" },
  ];
  for (const { argv, want } of rows) {
    test(argv.join(" "), () => {
      const r = parseEchoFlags(argv);
      if (typeof want === "string") {
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.message).toStartWith(want);
      } else {
        expect(r).toEqual({ ok: true, value: want as never });
      }
    });
  }
});

describe("ready line", () => {
  test("round-trips", () => {
    expect(formatReadyLine(8080, 5353)).toBe("ready tcp=8080 udp=5353");
    expect(parseReadyLine("ready tcp=8080 udp=5353\n")).toEqual({ tcpPort: 8080, udpPort: 5353 });
    expect(parseReadyLine("listening")).toBeNull();
  });
});

test("runEchoCommand returns 2 on a bad flag without listening", async () => {
  expect(await runEchoCommand(["--name", "x", "--tcp", "nope", "--udp", "1"])).toBe(2);
});
