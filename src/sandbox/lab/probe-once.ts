/**
 * One probe request over a fresh socket, so every request has a new source port and conntrack
 * picks an endpoint anew (as separate client connections would).
 */
import { createConnection } from "node:net";
import { createSocket } from "node:dgram";
import type { IP } from "../../lib/ip.ts";
import type { ProbeProto } from "./probe-flags.ts";
import type { ProbeOutcome } from "./probe-result.ts";
import { parseEchoReply } from "./echo-server.ts";

function errorCode(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "EUNKNOWN";
}

function firstLine(text: string): string {
  return text.split("\n")[0]?.trim() ?? "";
}

/** An answer from the reply's first line: `name [source-the-server-saw]`. */
function answer(text: string): ProbeOutcome {
  return { kind: "answer", ...parseEchoReply(firstLine(text)) };
}

/**
 * TCP: connect, read the first line, close. A refused connect (RST, or ICMP port-unreachable,
 * which the kernel reports as ECONNREFUSED) is `refused`; no answer within `timeoutMs` is
 * `timeout`; a connection closed without a line is an error `EEMPTY`. Never rejects.
 */
export function probeTcpOnce(ip: IP, port: number, timeoutMs: number, source?: IP): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    let data = "";
    let done = false;
    const sock = createConnection({ host: ip.text, port, family: ip.family === "IPv6" ? 6 : 4, ...(source ? { localAddress: source.text } : {}) });
    const finish = (o: ProbeOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(o);
    };
    const timer = setTimeout(() => finish({ kind: "timeout" }), timeoutMs);
    sock.setEncoding("utf8");
    sock.on("data", (d: string) => {
      data += d;
      if (data.includes("\n")) finish(answer(data));
    });
    sock.on("end", () => finish(data.trim() ? answer(data) : { kind: "error", code: "EEMPTY" }));
    sock.on("close", () => finish(data.trim() ? answer(data) : { kind: "error", code: "EEMPTY" }));
    sock.on("error", (e) => finish(errorCode(e) === "ECONNREFUSED" ? { kind: "refused" } : { kind: "error", code: errorCode(e) }));
  });
}

/**
 * UDP: send one datagram on a connected socket and wait for the reply. The socket is connected
 * so that an ICMP port-unreachable comes back as ECONNREFUSED (an unconnected socket never
 * hears of it); that is `refused`. No reply within `timeoutMs` is `timeout`. Never rejects.
 */
export function probeUdpOnce(ip: IP, port: number, timeoutMs: number, source?: IP): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    let done = false;
    const sock = createSocket(ip.family === "IPv6" ? "udp6" : "udp4");
    const finish = (o: ProbeOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        sock.close();
      } catch {
        // Already closed by an error; nothing left to release.
      }
      resolve(o);
    };
    const timer = setTimeout(() => finish({ kind: "timeout" }), timeoutMs);
    sock.on("message", (msg) => finish(answer(msg.toString("utf8"))));
    sock.on("error", (e) => finish(errorCode(e) === "ECONNREFUSED" ? { kind: "refused" } : { kind: "error", code: errorCode(e) }));
    const send = () =>
      sock.connect(port, ip.text, () => {
        sock.send("probe\n", (err) => {
          if (err) finish(errorCode(err) === "ECONNREFUSED" ? { kind: "refused" } : { kind: "error", code: errorCode(err) });
        });
      });
    if (source) sock.bind({ address: source.text, port: 0 }, send);
    else send();
  });
}

/**
 * One request of either protocol, from `source` when given (a local address of the namespace;
 * one that is not local fails with EADDRNOTAVAIL, counted as an error).
 */
export function probeOnce(proto: ProbeProto, ip: IP, port: number, timeoutMs: number, source?: IP): Promise<ProbeOutcome> {
  return proto === "tcp" ? probeTcpOnce(ip, port, timeoutMs, source) : probeUdpOnce(ip, port, timeoutMs, source);
}
