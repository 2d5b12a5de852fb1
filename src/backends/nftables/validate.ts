/**
 * Value checks shared by the transaction: names, comments, addresses, ports, marks. Each returns
 * an error message, or null when the value may be printed into a script as it is.
 */
import { parseCIDR } from "../../lib/cidr.ts";
import { parseIPv4, parseIPv6 } from "../../lib/ip.ts";
import type { L4Proto, NftFamily } from "./objects.ts";

/**
 * nft object names: a letter, `_` or `.` first, then letters, digits and `_./-`. The kernel
 * keeps names in 256 bytes with the terminating NUL, so 255 characters is the most.
 */
const NAME = /^[A-Za-z_.][A-Za-z0-9_./-]*$/;
export const NFT_NAME_LENGTH_MAX = 255;

/**
 * Comments are printed inside double quotes: no quotes, backslashes or control characters may
 * reach them. nft refuses comments longer than 128 characters.
 */
const COMMENT = /^[A-Za-z0-9 .,:;/_()@+=-]*$/;
export const NFT_COMMENT_LENGTH_MAX = 128;

export const L4_PROTOS: readonly L4Proto[] = ["tcp", "udp", "sctp"];

/** Checks an object name (table, chain, set, map). */
export function checkName(name: string): string | null {
  if (name.length === 0 || name.length > NFT_NAME_LENGTH_MAX) return `name length ${name.length} not in 1..${NFT_NAME_LENGTH_MAX}`;
  return NAME.test(name) ? null : `invalid name ${JSON.stringify(name)}`;
}

/** Checks an optional comment. */
export function checkComment(comment: string | undefined): string | null {
  if (comment === undefined) return null;
  if (comment.length > NFT_COMMENT_LENGTH_MAX) return `comment longer than ${NFT_COMMENT_LENGTH_MAX} characters`;
  return COMMENT.test(comment) ? null : `invalid comment ${JSON.stringify(comment)}`;
}

/** Checks that `addr` is an address of the table's family, written in canonical form. */
export function checkAddr(family: NftFamily, addr: string): string | null {
  const parsed = family === "ip" ? parseIPv4(addr) : parseIPv6(addr);
  if (!parsed) return `${JSON.stringify(addr)} is not an ${family === "ip" ? "IPv4" : "IPv6"} address`;
  return parsed.text === addr ? null : `${JSON.stringify(addr)} is not canonical (${parsed.text})`;
}

/** Checks a port number 1..65535. */
export function checkPort(port: number): string | null {
  return Number.isInteger(port) && port >= 1 && port <= 65535 ? null : `invalid port ${port}`;
}

/** Checks a layer-4 protocol name. */
export function checkProto(proto: string): string | null {
  return (L4_PROTOS as readonly string[]).includes(proto) ? null : `invalid protocol ${JSON.stringify(proto)}`;
}

/** Checks a 32-bit packet mark value (non-zero). */
export function checkMark(value: number): string | null {
  return Number.isInteger(value) && value > 0 && value <= 0xffffffff ? null : `invalid mark ${value}`;
}

/** Checks an `addr/len` prefix of the table's family, written canonically (host bits clear). */
export function checkPrefix(family: NftFamily, cidr: string): string | null {
  const parsed = parseCIDR(cidr);
  const want = family === "ip" ? "IPv4" : "IPv6";
  if (!parsed || parsed.family !== want) return `${JSON.stringify(cidr)} is not an ${want} prefix`;
  return parsed.text === cidr ? null : `${JSON.stringify(cidr)} is not canonical (${parsed.text})`;
}

/**
 * Interface names are printed inside double quotes: the kernel's own rules (at most 15
 * characters, no "/", no whitespace) narrowed to characters that cannot close the quotes or
 * act as a wildcard.
 */
const IFNAME = /^[A-Za-z0-9_.:@-]{1,15}$/;

/** Checks an interface name (or prefix). */
export function checkIfname(name: string): string | null {
  return IFNAME.test(name) ? null : `invalid interface name ${JSON.stringify(name)}`;
}

/** Checks the N of `numgen random mod N`. */
export function checkModulus(n: number | undefined): string | null {
  return n !== undefined && Number.isInteger(n) && n >= 1 && n <= 65535 ? null : `invalid modulus ${n}`;
}
