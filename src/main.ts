/**
 * kube-proxy-bun's entry point: wiring only. Dispatches subcommands, parses flags into a Config,
 * builds the real dependencies (API client, informers, backend, runner, status servers) and
 * starts the loops. Rules already in the kernel are never flushed here: not at start, not when
 * the API server is lost, not on SIGTERM.
 */
import packageJson from "../package.json" with { type: "json" };
import { COMMANDS } from "./cli/commands.ts";
import { FlagError, helpText, parseFlags } from "./cli/parse-flags.ts";
import { runProxy } from "./cli/run-proxy.ts";

async function main(argv: string[]): Promise<number> {
  for (const [name, command] of Object.entries(COMMANDS)) {
    const words = name.split(" ");
    if (words.every((w, i) => argv[i] === w)) return (await command.load())(argv.slice(words.length));
  }
  let parsed;
  try {
    parsed = parseFlags(argv);
  } catch (e) {
    if (!(e instanceof FlagError)) throw e;
    process.stderr.write(`Error: ${e.message}\nRun 'kube-proxy --help' for usage.\n`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(helpText(COMMANDS));
    return 0;
  }
  if (parsed.version) {
    process.stdout.write(`kube-proxy-bun v${packageJson.version}\n`);
    return 0;
  }
  return runProxy(parsed.config);
}

process.exitCode = await main(process.argv.slice(2));
