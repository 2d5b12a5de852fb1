/**
 * Flags and the `--config` file into one Config, with upstream's precedence: without --config
 * the flags (over the defaults) are the configuration; with it, the file is, and only a few
 * flags still apply on top (--hostname-override, --master, logging flags, --cleanup,
 * --init-only, --write-config-to, and our own flags that have no file field). Other flags given
 * together with --config are ignored as upstream does, but with a warning each.
 */
import { hostname } from "node:os";
import { readFileSync } from "node:fs";
import type { Config } from "./config.ts";
import { configNotes } from "./config-notes.ts";
import { ConfigFileError, loadConfigFile } from "./config-file.ts";
import { FLAGS } from "./flag-table.ts";
import { parseFlags, splitFlags } from "./parse-flags.ts";

export interface ResolvedConfig {
  config: Config;
  help: boolean;
  version: boolean;
  /** To log once logging is configured: ignored flags, deprecated flags, inert settings. */
  warnings: string[];
}

export interface ResolveDeps {
  osHostname?: () => string;
  /** Reads the --config file; throws when it cannot. */
  readFile?: (path: string) => string;
}

/** Throws FlagError (bad flag) or ConfigFileError (bad file), each naming what is wrong. */
export function resolveConfig(argv: readonly string[], deps: ResolveDeps = {}): ResolvedConfig {
  const osHostname = deps.osHostname ?? hostname;
  const readFile = deps.readFile ?? ((p: string) => readFileSync(p, "utf8"));
  const flags = parseFlags(argv, osHostname);
  if (!flags.config.configFile || flags.help || flags.version) return { ...flags, warnings: [...flags.warnings, ...configNotes(flags.config)] };

  const path = flags.config.configFile;
  let text: string;
  try {
    text = readFile(path);
  } catch (e) {
    throw new ConfigFileError(`config file ${path}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const file = loadConfigFile(text, path, osHostname());
  const config = file.config;
  const warnings = [...flags.warnings, ...file.warnings];
  const raw = splitFlags(argv);
  const ignored: string[] = [];
  for (const spec of FLAGS) {
    if (!raw.has(spec.name)) continue;
    if (!spec.overridesFile) {
      ignored.push(`--${spec.name}`);
      continue;
    }
    // Already validated by parseFlags: copy the flag's resolved value over the file's.
    copyFlag(spec.name, flags.config, config);
  }
  if (ignored.length > 0) warnings.push(`These flags are ignored because --config is given (upstream's rule; set them in the file instead): ${ignored.join(", ")}`);
  return { config, help: false, version: false, warnings: [...warnings, ...configNotes(config)] };
}

/** The Config fields each file-overriding flag owns. */
const FIELDS_OF: Record<string, (keyof Config)[]> = {
  config: ["configFile"],
  "write-config-to": ["writeConfigTo"],
  cleanup: ["cleanup"],
  "init-only": ["initOnly"],
  master: ["master"],
  "api-mode": ["apiMode"],
  "poll-interval": ["pollIntervalMs"],
  "hostname-override": ["hostname", "hostnameOverride"],
  v: ["verbosity"],
  "sandbox-netns": ["sandboxNetns"],
};

function copyFlag(name: string, from: Config, to: Config): void {
  for (const field of FIELDS_OF[name] ?? []) (to as unknown as Record<string, unknown>)[field] = from[field];
  if (name === "vmodule") to.logging.vmodule = from.logging.vmodule;
  if (name === "logging-format") to.logging.format = from.logging.format;
  if (name === "log-flush-frequency") to.logging.flushFrequencyMs = from.logging.flushFrequencyMs;
}
