/**
 * Rule fragments in the exact word order and spelling iptables-save prints, built only from
 * parsed values (addresses through lib/ip, ports as integers, protocols from a fixed map), so the
 * restore text is safe and the fake's dump equals the kernel's.
 */
import { parseIP, type IPFamily } from "../../lib/ip.ts";
import type { Protocol } from "../../kube/schemas/service.ts";
import { comment, word } from "./tokens.ts";

export const PROTO: Readonly<Record<Protocol, string>> = { TCP: "tcp", UDP: "udp", SCTP: "sctp" };

/** `addr/32` or `addr/128` from a parsed address; throws on anything unparsable. */
export function hostCIDR(ip: string): string {
  const p = parseIP(ip);
  if (!p) throw new Error(`iptables: not an IP address: ${JSON.stringify(ip)}`);
  return `${p.text}/${p.family === "IPv4" ? 32 : 128}`;
}

/** `ip:port` or `[ip]:port` for DNAT. */
export function hostPort(ip: string, port: number): string {
  const p = parseIP(ip);
  if (!p || !Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`iptables: bad endpoint ${JSON.stringify(ip)}:${port}`);
  return word(p.family === "IPv4" ? `${p.text}:${port}` : `[${p.text}]:${port}`);
}

/** `-m comment --comment TEXT` */
export const commentWords = (text: string) => ["-m", "comment", "--comment", comment(text)];

/** `-d VIP -p proto -m comment ... -m proto --dport N`: a destination match in save order, with a comment. */
export function destinationWords(ip: string, protocol: Protocol, port: number, text: string): string[] {
  const proto = PROTO[protocol];
  return ["-d", hostCIDR(ip), "-p", proto, ...commentWords(text), "-m", proto, "--dport", word(String(port))];
}

/** The probability word as the kernel stores and prints it (a 31-bit fixed-point fraction, 11 decimals). */
export function probability(p: number): string {
  return (Math.round(p * 2 ** 31) / 2 ** 31).toFixed(11);
}

/** `REJECT --reject-with icmp(6)-port-unreachable`: what iptables-save prints for a default REJECT. */
export function rejectWords(family: IPFamily): string[] {
  return ["-j", "REJECT", "--reject-with", family === "IPv4" ? "icmp-port-unreachable" : "icmp6-port-unreachable"];
}

/** The mark bit as iptables-save prints `--or-mark`: `0x4000/0x4000`. */
export function markWords(bit: number): string {
  const mark = `0x${(2 ** bit).toString(16)}`;
  return `${mark}/${mark}`;
}
