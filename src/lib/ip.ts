/**
 * IP address parsing and printing. Every address that reaches a rule script passes through here:
 * it is parsed into numbers and printed back in canonical form, so no API string is ever
 * interpolated as-is.
 */

export type IPFamily = "IPv4" | "IPv6";

/** A parsed address: its family and canonical text (IPv4 dotted quad, IPv6 RFC 5952). */
export interface IP {
  family: IPFamily;
  text: string;
}

/**
 * Parses a dotted-quad IPv4 address; null when it is not one (leading zeros are refused, as Go's
 * netip does, so an accepted string is already canonical). A loop over char codes rather than
 * split + regex: the model and the renderers parse every endpoint address of every sync, and at
 * 100k endpoints the regex version was a tenth of a full sync's render (bun run bench, B1).
 */
export function parseIPv4(s: string): IP | null {
  if (s.length < 7 || s.length > 15) return null;
  let octets = 0;
  let value = 0;
  let digits = 0;
  let leadingZero = false;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46; // a virtual final "."
    if (c === 46) {
      if (digits === 0 || (leadingZero && digits > 1) || value > 255) return null;
      octets++;
      value = 0;
      digits = 0;
      continue;
    }
    if (c < 48 || c > 57 || digits === 3) return null;
    if (digits === 0) leadingZero = c === 48;
    value = value * 10 + (c - 48);
    digits++;
  }
  return octets === 4 ? { family: "IPv4", text: s } : null;
}

/** Parses an IPv6 address (with an optional embedded IPv4 tail); null when it is not one. No zones. */
export function parseIPv6(s: string): IP | null {
  const groups = ipv6Groups(s);
  return groups ? { family: "IPv6", text: formatIPv6(groups) } : null;
}

/** Parses either family; null when the string is not an address. */
export function parseIP(s: string): IP | null {
  return s.includes(":") ? parseIPv6(s) : parseIPv4(s);
}

/** The 16-bit groups of an IPv6 address, or null. */
export function ipv6Groups(s: string): number[] | null {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || s.length > 45) return null;
  let text = s;
  const lastColon = text.lastIndexOf(":");
  if (lastColon < 0) return null;
  if (text.includes(".")) {
    // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
    const v4 = parseIPv4(text.slice(lastColon + 1));
    if (!v4) return null;
    const o = v4.text.split(".").map(Number) as [number, number, number, number];
    text = `${text.slice(0, lastColon + 1)}${((o[0] << 8) | o[1]).toString(16)}:${((o[2] << 8) | o[3]).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const parse = (h: string | undefined): number[] | null => {
    if (!h) return [];
    const out: number[] = [];
    for (const g of h.split(":")) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parse(halves[0]);
  const rest = parse(halves[1]);
  if (!head || !rest) return null;
  const explicit = head.length + rest.length;
  if (halves.length === 1) return explicit === 8 ? head : null;
  if (explicit > 7) return null;
  return [...head, ...new Array<number>(8 - explicit).fill(0), ...rest];
}

/** RFC 5952 text: lower case, no leading zeros, the longest run (>= 2) of zero groups as "::". */
export function formatIPv6(groups: number[]): string {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}

/** A port number 1..65535, or null. */
export function parsePort(n: unknown): number | null {
  return typeof n === "number" && Number.isInteger(n) && n >= 1 && n <= 65535 ? n : null;
}
