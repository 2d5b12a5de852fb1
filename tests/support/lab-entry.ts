/**
 * An entry point that runs the lab's helper subcommands (`sandbox echo`, `sandbox probe`)
 * through the same command registry as `src/program.ts`, but without the rest of the proxy's
 * start-up. Component tests start it inside namespaces: `bun tests/support/lab-entry.ts sandbox echo ...`.
 */
import { COMMANDS } from "../../src/cli/commands.ts";

const [group, name, ...rest] = process.argv.slice(2);
const entry = COMMANDS[`${group} ${name}`];
if (!entry) {
  process.stderr.write(`lab-entry: unknown command ${JSON.stringify(`${group} ${name}`)}\n`);
  process.exit(2);
}
process.exitCode = await (await entry.load())(rest);
