/**
 * A process that builds a one-pod lab with an echo server, prints `ready`, and waits to be
 * signalled: `tests/component/lab-cleanup.test.ts` sends it SIGTERM and checks that the lab's
 * own signal hook removed every namespace. Arguments: the lab prefix, and optionally `own-handler`
 * to install a SIGTERM handler of its own first (as the demo does), which awaits the lab's
 * destruction and exits with 7.
 */
import { realRunner } from "../../src/lib/exec.ts";
import { createLab } from "../../src/sandbox/lab/create-lab.ts";
import type { Lab } from "../../src/sandbox/lab/lab-types.ts";
import { labCommand } from "./lab-fixture.ts";

const [prefix, mode] = process.argv.slice(2);
if (!prefix) throw new Error("usage: lab-signal-child.ts PREFIX [own-handler]");
let lab: Lab | undefined;
if (mode === "own-handler") {
  process.once("SIGTERM", () => {
    // Give the lab's hook a moment to (wrongly) exit first, were it going to.
    void Bun.sleep(200).then(() => lab?.destroy()).then(() => process.exit(7));
  });
}
lab = await createLab({ runner: realRunner, pods: 1, prefix, command: labCommand() });
await lab.startEchoServers({ tcpPort: 8080, udpPort: 5353 });
process.stdout.write("ready\n");
// Keep the event loop alive until a signal ends the process.
setInterval(() => {}, 60_000);
