/**
 * The checks shared by command-line flags (text in) and the config file (typed YAML/JSON values
 * in): durations, bind addresses, CIDR lists, node-port addresses, bits, interface names. Each is
 * a plain function that returns the parsed value or throws an Error saying what is wrong, so the
 * flag table and the file schema both wrap it and report the flag or the field path.
 */
import { parseCIDR } from "../lib/cidr.ts";
import { parseDuration } from "../lib/duration.ts";
import { parseIP } from "../lib/ip.ts";
import { parseBindAddress, type BindAddress } from "./bind-address.ts";

/** A Go duration in milliseconds. */
export function durationValue(s: string): number {
  const ms = parseDuration(s);
  if (ms === null) throw new Error("must be a duration such as 30s, 1m0s or 500ms");
  return ms;
}

/** `IP[:port]`, `[v6]:port`, or "" (null: disabled). */
export function bindAddressValue(s: string, defaultPort: number): BindAddress | null {
  try {
    return parseBindAddress(s, defaultPort);
  } catch (e) {
    throw new Error(`must be IP[:port] or empty: ${(e as Error).message}`);
  }
}

/** Comma-separated CIDRs (or a list of them), at most one per family, in canonical text. */
export function clusterCIDRsValue(input: string | readonly string[]): string[] {
  const list = splitList(input);
  const parsed = list.map((c) => parseCIDR(c));
  if (parsed.some((c) => c === null)) throw new Error("must be comma-separated CIDRs");
  if (new Set(parsed.map((c) => c!.family)).size !== parsed.length) throw new Error("at most one CIDR per IP family");
  return parsed.map((c) => c!.text);
}

/** Any number of CIDRs, canonical text (--ipvs-exclude-cidrs). */
export function cidrListValue(input: string | readonly string[]): string[] {
  return splitList(input).map((c) => {
    const p = parseCIDR(c);
    if (!p) throw new Error(`${JSON.stringify(c)} is not a CIDR`);
    return p.text;
  });
}

/** CIDRs and the keywords `primary` and `all` (--nodeport-addresses). */
export function nodePortAddressesValue(input: string | readonly string[]): string[] {
  return splitList(input).map((c) => {
    if (c === "primary" || c === "all") return c;
    const p = parseCIDR(c);
    if (!p) throw new Error("must be comma-separated CIDRs or the keywords 'primary' and 'all'");
    return p.text;
  });
}

/** An IP address in canonical text (--bind-address). */
export function ipValue(s: string): string {
  const ip = parseIP(s.trim());
  if (!ip) throw new Error("must be an IP address");
  return ip.text;
}

/** A whole number within [min, max]. */
export function intValue(input: string | number, min: number, max: number): number {
  const n = typeof input === "number" ? input : /^-?\d+$/.test(input.trim()) ? Number(input.trim()) : NaN;
  if (!Number.isInteger(n)) throw new Error("must be a whole number");
  if (n < min || n > max) throw new Error(`must be ${min}-${max}`);
  return n;
}

/** A non-negative number (rates such as --kube-api-qps). */
export function nonNegativeNumberValue(input: string | number): number {
  const n = typeof input === "number" ? input : input.trim() === "" ? NaN : Number(input);
  if (!Number.isFinite(n) || n < 0) throw new Error("must be a number >= 0");
  return n;
}

const INTERFACE_NAME = /^[A-Za-z0-9_.@-]{0,15}$/;

/** A Linux interface name or prefix (at most 15 safe characters). */
export function interfaceNameValue(s: string): string {
  if (!INTERFACE_NAME.test(s)) throw new Error("must be an interface name (at most 15 letters, digits, '_', '.', '@', '-')");
  return s;
}

const FEATURE_GATE = /^[A-Za-z][A-Za-z0-9]*$/;

/** `Name=true,Other=false` (or an object from the file) as a map of gate -> enabled. */
export function featureGatesValue(input: string | Readonly<Record<string, boolean>>): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  const pairs: [string, string | boolean][] =
    typeof input === "string" ? splitList(input).map((p) => { const i = p.indexOf("="); return i < 0 ? [p, ""] : [p.slice(0, i).trim(), p.slice(i + 1).trim()]; }) : Object.entries(input);
  for (const [name, value] of pairs) {
    if (!FEATURE_GATE.test(name)) throw new Error(`${JSON.stringify(name)} is not a feature gate name`);
    const b = typeof value === "boolean" ? value : goBool(value);
    if (b === null) throw new Error(`feature gate ${name} needs =true or =false`);
    out[name] = b;
  }
  return out;
}

/** Go's strconv.ParseBool, which pflag uses for boolean flags; null when it is none of its forms. */
export function goBool(s: string): boolean | null {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(s)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(s)) return false;
  return null;
}

function splitList(input: string | readonly string[]): string[] {
  const list = typeof input === "string" ? (input.trim() === "" ? [] : input.split(",")) : [...input];
  return list.map((x) => x.trim());
}
