/**
 * A lab pod's server: answers every TCP connection and every UDP datagram with one line, its
 * name and the peer address it saw (`pod-a 10.0.0.100`), so a client can count which pod a
 * Service sent it to and tell whether its source was masqueraded on the way.
 */
import { parseIP } from "../../lib/ip.ts";

/** A running echo server and the ports it actually got (differs from the asked ones for port 0). */
export interface EchoServer {
  tcpPort: number;
  udpPort: number;
  /** Stops both listeners; safe to call twice. */
  stop(): void;
}

/** What to serve, and where. */
export interface EchoServerOptions {
  name: string;
  tcpPort: number;
  udpPort: number;
  host: string;
}

/**
 * Starts both listeners. Fails (rejects) when either port cannot be bound (in use, no such
 * address); the one already started is stopped first, so nothing is left listening.
 */
export async function startEchoServer(opts: EchoServerOptions): Promise<EchoServer> {
  const reply = (peer: string | undefined) => `${formatEchoReply(opts.name, peer)}\n`;
  const tcp = Bun.listen({
    hostname: opts.host,
    port: opts.tcpPort,
    socket: {
      // Write and close at once: a client reads one line per connection, and each new
      // connection is a new conntrack entry, so the Service picks an endpoint anew.
      open: (s) => void s.end(reply(s.remoteAddress)),
      data: () => {},
      error: () => {},
    },
  });
  try {
    const udp = await Bun.udpSocket({
      hostname: opts.host,
      port: opts.udpPort,
      socket: {
        data: (sock, _buf, port, address) => void sock.send(reply(address), port, address),
      },
    });
    let stopped = false;
    return {
      tcpPort: tcp.port,
      udpPort: udp.port,
      stop: () => {
        if (stopped) return;
        stopped = true;
        tcp.stop(true);
        udp.close();
      },
    };
  } catch (e) {
    tcp.stop(true);
    throw e;
  }
}

/**
 * The reply line: the name, then the peer address as the server saw it, in its canonical form
 * (a dual-stack socket shows an IPv4 peer as `::ffff:a.b.c.d`; that prefix is dropped). Without
 * a known peer the line is the name alone, as older servers answered.
 */
export function formatEchoReply(name: string, peer: string | undefined): string {
  if (!peer) return name;
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(peer);
  const text = v4 ? v4[1]! : peer;
  return `${name} ${parseIP(text)?.text ?? text}`;
}

/** Reads a reply line back: the server's name, and the source it saw when the line carries one. */
export function parseEchoReply(line: string): { name: string; source?: string } {
  const [name = "", source] = line.trim().split(/\s+/);
  return source ? { name, source } : { name };
}
