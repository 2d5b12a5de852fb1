/**
 * Turns argv into a validated Config. Flags follow Go's pflag forms (`--name value`,
 * `--name=value`, `-v 2`, `-v=2`); any unknown flag or bad value is a FlagError that names the
 * flag and the value, and main exits 2 on it, as upstream does.
 */
import { hostname } from "node:os";
import * as v from "valibot";
import type { BindAddress } from "./bind-address.ts";
import type { Config } from "./config.ts";
import { FLAGS, type FlagSpec } from "./flag-table.ts";

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

function value<T>(spec: FlagSpec, text: string): T {
  if (spec.boolean) {
    if (text !== "true" && text !== "false") throw new FlagError(`invalid argument ${JSON.stringify(text)} for "--${spec.name}" flag: must be true or false`);
    return (text === "true") as T;
  }
  const r = v.safeParse(spec.schema, text);
  if (!r.success) throw new FlagError(`invalid argument ${JSON.stringify(text)} for "--${spec.name}" flag: ${r.issues[0].message}`);
  return r.output as T;
}

/** Parses and validates argv; throws FlagError naming the flag and value. */
export function parseFlags(argv: readonly string[], osHostname: () => string = hostname): ParsedFlags {
  const raw = splitFlags(argv);
  const get = <T>(name: string): T => {
    const spec = BY_NAME.get(name)!;
    return value<T>(spec, raw.get(name) ?? spec.default);
  };
  const override = get<string>("hostname-override").trim().toLowerCase();
  if (raw.has("hostname-override") && override === "") throw new FlagError(`invalid argument "${raw.get("hostname-override")}" for "--hostname-override" flag: empty after trimming`);
  const legacySync = get<number | string>("iptables-sync-period");
  const legacyMin = get<number | string>("iptables-min-sync-period");
  const syncPeriodMs = raw.has("sync-period") || legacySync === "" ? get<number>("sync-period") : (legacySync as number);
  const minSyncPeriodMs = raw.has("min-sync-period") || legacyMin === "" ? get<number>("min-sync-period") : (legacyMin as number);
  if (syncPeriodMs <= 0) throw new FlagError(`invalid argument "${raw.get("sync-period") ?? raw.get("iptables-sync-period")}" for "--sync-period" flag: must be greater than 0`);
  const config: Config = {
    kubeconfig: get<string>("kubeconfig"),
    master: get<string>("master"),
    hostname: override || osHostname().trim().toLowerCase(),
    mode: get<Config["mode"]>("proxy-mode"),
    healthzBindAddress: get<BindAddress | null>("healthz-bind-address"),
    metricsBindAddress: get<BindAddress | null>("metrics-bind-address"),
    syncPeriodMs,
    minSyncPeriodMs,
    verbosity: get<number>("v"),
    sandboxNetns: get<string>("sandbox-netns"),
    cleanup: get<boolean>("cleanup"),
    nodePortAddresses: get<string[]>("nodeport-addresses"),
    masqueradeAll: get<boolean>("masquerade-all"),
    masqueradeBit: get<number>("iptables-masquerade-bit"),
    clusterCIDRs: get<string[]>("cluster-cidr"),
    detectLocalMode: get<Config["detectLocalMode"]>("detect-local-mode"),
    podBridgeInterface: get<string>("pod-bridge-interface"),
    podInterfaceNamePrefix: get<string>("pod-interface-name-prefix"),
  };
  if (config.detectLocalMode === "BridgeInterface" && !config.podBridgeInterface) throw new FlagError(`"--detect-local-mode=BridgeInterface" needs "--pod-bridge-interface"`);
  if (config.detectLocalMode === "InterfaceNamePrefix" && !config.podInterfaceNamePrefix) throw new FlagError(`"--detect-local-mode=InterfaceNamePrefix" needs "--pod-interface-name-prefix"`);
  return { config, help: get<boolean>("help"), version: get<boolean>("version"), set: new Set(raw.keys()) };
}

/** The --help text, generated from the flag table so it cannot drift. */
export function helpText(commands: Record<string, { summary: string }>): string {
  const lines = ["Usage: kube-proxy [flags]", "       kube-proxy <command> [flags]", "", "Flags:"];
  for (const f of FLAGS.filter((f) => !f.hidden)) {
    const def = f.boolean || f.default === "" ? "" : ` (default ${JSON.stringify(f.default)})`;
    lines.push(`  --${f.name}${f.boolean ? "" : " value"}`.padEnd(34) + f.help + def);
  }
  lines.push("", "Commands:");
  for (const [name, c] of Object.entries(commands)) lines.push(`  ${name}`.padEnd(34) + c.summary);
  return lines.join("\n") + "\n";
}
