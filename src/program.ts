/**
 * kube-proxy-bun's program, loaded by main.ts once the JIT settings are in place: wiring only.
 * Dispatches subcommands, resolves flags and the --config file into a Config, handles the
 * one-shot actions (--help, --version, --write-config-to) and hands over to runProxy. Rules
 * already in the kernel are never flushed here: not at start, not when the API server is lost,
 * not on SIGTERM.
 */
import { writeFileSync } from "node:fs";
import packageJson from "../package.json" with { type: "json" };
import { COMMANDS } from "./cli/commands.ts";
import { ConfigFileError } from "./cli/config-file.ts";
import { configToYaml } from "./cli/config-to-file.ts";
import { FlagError, helpText } from "./cli/parse-flags.ts";
import { resolveConfig } from "./cli/resolve-config.ts";
import { runProxy } from "./cli/run-proxy.ts";
import { normalJitPolicy } from "./lib/jit-tiers.ts";

async function main(argv: string[]): Promise<number> {
  for (const [name, command] of Object.entries(COMMANDS)) {
    const words = name.split(" ");
    if (!words.every((w, i) => argv[i] === w)) continue;
    // The start-up JIT policy is for the proxy's own start (lib/jit-tiers.ts); the subcommands
    // (the demo, the lab's pod servers and probes) run with the normal one.
    normalJitPolicy();
    return (await command.load())(argv.slice(words.length));
  }
  let resolved;
  try {
    resolved = resolveConfig(argv);
  } catch (e) {
    if (e instanceof FlagError) {
      process.stderr.write(`Error: ${e.message}\nRun 'kube-proxy --help' for usage.\n`);
      return 2;
    }
    if (e instanceof ConfigFileError) {
      process.stderr.write(`Error: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  if (resolved.help) {
    process.stdout.write(helpText(COMMANDS));
    return 0;
  }
  if (resolved.version) {
    process.stdout.write(`kube-proxy-bun v${packageJson.version}\n`);
    return 0;
  }
  const { config } = resolved;
  if (config.writeConfigTo) {
    try {
      writeFileSync(config.writeConfigTo, configToYaml(config));
    } catch (e) {
      process.stderr.write(`Error: cannot write ${config.writeConfigTo}: ${(e as Error).message}\n`);
      return 1;
    }
    process.stdout.write(`Wrote configuration to: ${config.writeConfigTo}\n`);
    return 0;
  }
  return runProxy(config, resolved.warnings);
}

/** Runs the program with this process's arguments; resolves with its exit code. */
export function runProgram(): Promise<number> {
  return main(process.argv.slice(2));
}
