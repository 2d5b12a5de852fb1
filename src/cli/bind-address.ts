/**
 * `host:port` bind addresses as upstream's --healthz-bind-address / --metrics-bind-address take
 * them: an IP with an optional port (the default port is appended when missing), `[v6]:port`
 * for IPv6, or "" to disable the server.
 */
import { parseIP } from "../lib/ip.ts";

export interface BindAddress {
  host: string;
  port: number;
}

/** null for "" (disabled); throws an Error saying what is wrong otherwise. */
export function parseBindAddress(text: string, defaultPort: number): BindAddress | null {
  if (text === "") return null;
  let host = text;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2];
  } else if ((text.match(/:/g) ?? []).length === 1) {
    [host, portText] = text.split(":") as [string, string];
  }
  const ip = parseIP(host);
  if (!ip) throw new Error(`${JSON.stringify(host)} is not an IP address`);
  const port = portText === undefined ? defaultPort : Number(portText);
  if (!/^\d*$/.test(portText ?? "") || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`port ${JSON.stringify(portText)} is not in 0-65535`);
  }
  return { host: ip.text, port };
}

/** Text for logs and URLs: `1.2.3.4:10256` or `[::1]:10249`. */
export function formatBindAddress(b: BindAddress): string {
  return b.host.includes(":") ? `[${b.host}]:${b.port}` : `${b.host}:${b.port}`;
}
