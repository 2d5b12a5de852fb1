/**
 * Turns argv into a validated Config (flags over upstream's defaults; the `--config` file is
 * merged afterwards by resolve-config.ts). Flags follow Go's pflag forms (`--name value`,
 * `--name=value`, `-v 2`, `-v=2`, booleans as `--flag` or `--flag=false`); any unknown flag or bad
 * value is a FlagError that names the flag and the value, and main exits 2 on it, as upstream does.
 */
import { hostname } from "node:os";
import * as v from "valibot";
import { parseIP } from "../lib/ip.ts";
import { defaultConfig, type Config } from "./config.ts";
import { FLAGS, type FlagSpec } from "./flag-table.ts";
import { goBool } from "./value-schemas.ts";

export class FlagError extends Error {
  readonly kind = "flag";
  constructor(message: string) {
    super(message);
    this.name = "FlagError";
  }
}

export interface ParsedFlags {
  config: Config;
  help: boolean;
  version: boolean;
  /** Flags the user set explicitly, by name. */
  set: Set<string>;
  /** Things to tell the operator once logging is up (deprecated flags). */
  warnings: string[];
}

const BY_NAME = new Map(FLAGS.map((f) => [f.name, f]));

/** Splits argv into raw name -> text, rejecting unknown flags and stray arguments. */
export function splitFlags(argv: readonly string[]): Map<string, string> {
  const raw = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--?([A-Za-z0-9][A-Za-z0-9-]*)(?:=(.*))?$/s.exec(arg);
    if (!m) throw new FlagError(`unexpected argument ${JSON.stringify(arg)}: kube-proxy takes only flags`);
    const name = m[1]!;
    const spec = BY_NAME.get(name);
    if (!spec) throw new FlagError(`unknown flag: ${arg.split("=")[0]}`);
    let value = m[2];
    if (value === undefined) {
      if (spec.boolean) value = "true";
      else {
        if (i + 1 >= argv.length) throw new FlagError(`flag needs an argument: --${name}`);
        value = argv[++i]!;
      }
    }
    raw.set(name, value);
  }
  return raw;
}

function flagValue(spec: FlagSpec, text: string): unknown {
  const bad = (why: string) => new FlagError(`invalid argument ${JSON.stringify(text)} for "--${spec.name}" flag: ${why}`);
  if (spec.boolean) {
    const b = goBool(text);
    if (b === null) throw bad("must be true or false");
    return b;
  }
  const r = v.safeParse(spec.schema, text);
  if (!r.success) throw bad(r.issues[0].message);
  return r.output;
}

/** Parses and validates argv; throws FlagError naming the flag and value. */
export function parseFlags(argv: readonly string[], osHostname: () => string = hostname): ParsedFlags {
  const raw = splitFlags(argv);
  const config = defaultConfig(osHostname());
  const warnings: string[] = [];
  let help = false;
  let version = false;
  // Table order, not argv order: our short names win over the iptables- ones, ports over addresses.
  for (const spec of FLAGS) {
    const text = raw.get(spec.name);
    if (text === undefined) continue;
    const value = flagValue(spec, text);
    try {
      spec.set(config, value as never);
    } catch (e) {
      throw new FlagError(`invalid argument ${JSON.stringify(text)} for "--${spec.name}" flag: ${(e as Error).message}`);
    }
    if (spec.name === "help") help = value as boolean;
    if (spec.name === "version") version = value as boolean;
    if (spec.deprecated) warnings.push(`Flag --${spec.name} is deprecated: ${spec.deprecated}`);
  }
  applyBindAddressFamily(config, raw);
  const syncFlag = raw.has("sync-period") ? "sync-period" : "iptables-sync-period";
  if (config.syncPeriodMs <= 0) throw new FlagError(`invalid argument "${raw.get(syncFlag)}" for "--${syncFlag === "sync-period" ? "sync-period" : "iptables-sync-period"}" flag: must be greater than 0`);
  if (config.detectLocalMode === "BridgeInterface" && !config.podBridgeInterface) throw new FlagError(`"--detect-local-mode=BridgeInterface" needs "--pod-bridge-interface"`);
  if (config.detectLocalMode === "InterfaceNamePrefix" && !config.podInterfaceNamePrefix) throw new FlagError(`"--detect-local-mode=InterfaceNamePrefix" needs "--pod-interface-name-prefix"`);
  return { config, help, version, set: new Set(raw.keys()), warnings };
}

/** Upstream: with an IPv6 --bind-address, the status servers' default addresses are [::] and [::1]. */
function applyBindAddressFamily(config: Config, raw: Map<string, string>): void {
  if (parseIP(config.bindAddress)?.family !== "IPv6") return;
  if (!raw.has("healthz-bind-address") && config.healthzBindAddress?.host === "0.0.0.0") config.healthzBindAddress = { ...config.healthzBindAddress, host: "::" };
  if (!raw.has("metrics-bind-address") && config.metricsBindAddress?.host === "127.0.0.1") config.metricsBindAddress = { ...config.metricsBindAddress, host: "::1" };
}

/** The --help text, generated from the flag table so it cannot drift. */
export function helpText(commands: Record<string, { summary: string }>): string {
  const lines = ["Usage: kube-proxy [flags]", "       kube-proxy <command> [flags]", "", "Flags:"];
  for (const f of FLAGS.filter((f) => !f.hidden)) {
    const def = f.boolean || f.default === "" ? "" : ` (default ${JSON.stringify(f.default)})`;
    const dep = f.deprecated ? ` (DEPRECATED: ${f.deprecated})` : "";
    lines.push(`  --${f.name}${f.boolean ? "" : " value"}`.padEnd(40) + f.help + def + dep);
  }
  lines.push("", "Commands:");
  for (const [name, c] of Object.entries(commands)) lines.push(`  ${name}`.padEnd(40) + c.summary);
  return lines.join("\n") + "\n";
}
