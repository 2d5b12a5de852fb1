import { describe, expect, test } from "bun:test";
import { parseIP } from "../../lib/ip.ts";
import { formatEchoReply, parseEchoReply, startEchoServer } from "./echo-server.ts";
import { probeOnce } from "./probe-once.ts";

describe("echo reply", () => {
  test("name and the peer it saw, IPv4-mapped peers shown as IPv4", () => {
    expect(formatEchoReply("pod-a", "::ffff:10.0.0.100")).toBe("pod-a 10.0.0.100");
    expect(formatEchoReply("pod-a", "FD00:10:0:0::100")).toBe("pod-a fd00:10::100");
    expect(formatEchoReply("pod-a", undefined)).toBe("pod-a");
  });
  test("read back, also the name-only reply of an older server", () => {
    expect(parseEchoReply("pod-a 10.244.1.1\n")).toEqual({ name: "pod-a", source: "10.244.1.1" });
    expect(parseEchoReply("pod-a")).toEqual({ name: "pod-a" });
  });
});

test("a probe over loopback hears the server's name and its own address, TCP and UDP, both families", async () => {
  const server = await startEchoServer({ name: "pod-x", tcpPort: 0, udpPort: 0, host: "::" });
  try {
    for (const lo of ["127.0.0.1", "::1"]) {
      const ip = parseIP(lo)!;
      expect(await probeOnce("tcp", ip, server.tcpPort, 2000)).toEqual({ kind: "answer", name: "pod-x", source: lo });
      expect(await probeOnce("udp", ip, server.udpPort, 2000, ip)).toEqual({ kind: "answer", name: "pod-x", source: lo });
    }
  } finally {
    server.stop();
  }
});
