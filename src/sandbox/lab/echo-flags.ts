/**
 * Flags of `kube-proxy sandbox echo`: `--name N --tcp PORT --udp PORT [--host ADDR]`.
 * Port 0 asks the kernel for a free port; the ready line then tells which one was taken.
 */
import * as v from "valibot";
import { parseIP } from "../../lib/ip.ts";
import { intFlag, parseFlags, type FlagsResult } from "./flags.ts";

/** What the echo server is asked to do. */
export interface EchoFlags {
  name: string;
  tcpPort: number;
  udpPort: number;
  /** The address to listen on; "::" (both families, the default) or one address. */
  host: string;
}

const EchoFlagsSchema = v.object({
  // The name is what clients count; keep it one printable word so it survives a line protocol.
  name: v.pipe(v.string("must be a word"), v.regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, "must be 1-63 letters, digits, '.', '_' or '-'")),
  tcp: intFlag(0, 65535),
  udp: intFlag(0, 65535),
  host: v.optional(
    v.pipe(v.string("must be an IP address"), v.check((s) => parseIP(s) !== null, "must be an IP address")),
    "::",
  ),
});

/** Parses the echo command's argv; fails with a message naming the bad flag and its value. */
export function parseEchoFlags(argv: readonly string[]): FlagsResult<EchoFlags> {
  const r = parseFlags(argv, { name: "value", tcp: "value", udp: "value", host: "value" }, EchoFlagsSchema);
  if (!r.ok) return r;
  return { ok: true, value: { name: r.value.name, tcpPort: r.value.tcp, udpPort: r.value.udp, host: r.value.host } };
}
