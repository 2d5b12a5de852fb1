/**
 * A lab pod's server: answers every TCP connection and every UDP datagram with its name and a
 * newline, so a client can count which pod a Service sent it to.
 */

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
  const reply = `${opts.name}\n`;
  const tcp = Bun.listen({
    hostname: opts.host,
    port: opts.tcpPort,
    socket: {
      // Write and close at once: a client reads one line per connection, and each new
      // connection is a new conntrack entry, so the Service picks an endpoint anew.
      open: (s) => void s.end(reply),
      data: () => {},
      error: () => {},
    },
  });
  try {
    const udp = await Bun.udpSocket({
      hostname: opts.host,
      port: opts.udpPort,
      socket: {
        data: (sock, _buf, port, address) => void sock.send(reply, port, address),
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
