/**
 * `kube-proxy sandbox echo --name N --tcp PORT --udp PORT [--host ADDR]`: a lab pod's server.
 * Prints `ready tcp=<port> udp=<port>` on stdout once both listen (the lab waits for that line),
 * then serves until SIGTERM or SIGINT.
 */
import { parseEchoFlags } from "./echo-flags.ts";
import { startEchoServer } from "./echo-server.ts";

/** The line the echo command prints once it listens; the lab parses it back with `parseReadyLine`. */
export function formatReadyLine(tcpPort: number, udpPort: number): string {
  return `ready tcp=${tcpPort} udp=${udpPort}`;
}

/** Reads a ready line back; null when the line is something else. */
export function parseReadyLine(line: string): { tcpPort: number; udpPort: number } | null {
  const m = /^ready tcp=(\d+) udp=(\d+)$/.exec(line.trim());
  return m ? { tcpPort: Number(m[1]), udpPort: Number(m[2]) } : null;
}

/**
 * Runs the echo server until SIGTERM/SIGINT, then returns 0. Returns 2 on a bad flag (message
 * on stderr naming the flag and value) and 1 when a port cannot be bound.
 */
export async function runEchoCommand(argv: string[]): Promise<number> {
  const flags = parseEchoFlags(argv);
  if (!flags.ok) {
    process.stderr.write(`sandbox echo: ${flags.message}\n`);
    return 2;
  }
  let server;
  try {
    server = await startEchoServer(flags.value);
  } catch (e) {
    process.stderr.write(`sandbox echo: cannot listen: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  process.stdout.write(`${formatReadyLine(server.tcpPort, server.udpPort)}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGTERM", stop);
      process.off("SIGINT", stop);
      resolve();
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  });
  server.stop();
  return 0;
}
