/** CIDR parsing and printing: the prefix is validated and the address masked and re-printed. */
import { ipv6Groups, parseIP, formatIPv6, type IPFamily } from "./ip.ts";

export interface CIDR {
  family: IPFamily;
  /** Canonical `addr/len`, with host bits cleared. */
  text: string;
  prefixLength: number;
}

/** Parses `addr/len`; null when either part is invalid. Host bits are cleared, as Go's netip.Prefix.Masked does. */
export function parseCIDR(s: string): CIDR | null {
  const [addr, len, extra] = s.trim().split("/");
  if (addr === undefined || len === undefined || extra !== undefined || !/^\d{1,3}$/.test(len)) return null;
  const ip = parseIP(addr);
  if (!ip) return null;
  const bits = Number(len);
  if (bits > (ip.family === "IPv4" ? 32 : 128)) return null;
  if (ip.family === "IPv4") {
    const n = ip.text.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
    const masked = bits === 0 ? 0 : Number(BigInt(n) & (((1n << 32n) - 1n) ^ ((1n << BigInt(32 - bits)) - 1n)));
    const text = [24, 16, 8, 0].map((sh) => (masked >>> sh) & 255).join(".");
    return { family: "IPv4", text: `${text}/${bits}`, prefixLength: bits };
  }
  const groups = ipv6Groups(ip.text)!;
  const masked = groups.map((g, i) => {
    const keep = Math.max(0, Math.min(16, bits - i * 16));
    return keep === 0 ? 0 : g & (0xffff ^ ((1 << (16 - keep)) - 1));
  });
  return { family: "IPv6", text: `${formatIPv6(masked)}/${bits}`, prefixLength: bits };
}
