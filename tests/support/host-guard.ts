/**
 * Preloaded before every test file (bunfig.toml): records the host's own network namespaces and
 * nft ruleset before the tests and fails the run if they differ afterwards. Rules and namespaces
 * are only ever made inside namespaces a test created, and must be gone when it ends.
 */
import { afterAll, beforeAll } from "bun:test";

async function hostState(): Promise<string> {
  const run = async (argv: string[]) => {
    try {
      const p = Bun.spawn(argv, { stdout: "pipe", stderr: "ignore" });
      const out = await new Response(p.stdout).text();
      await p.exited;
      return out;
    } catch {
      return `(${argv[0]} not available)`;
    }
  };
  const namespaces = (await run(["ip", "netns", "list"])).split("\n").sort().join("\n");
  return `${namespaces}\n--\n${await run(["nft", "list", "ruleset"])}`;
}

let before = "";
beforeAll(async () => {
  before = await hostState();
});
afterAll(async () => {
  const after = await hostState();
  if (after !== before) throw new Error(`host-guard: the test run left the host changed.\nbefore:\n${before}\nafter:\n${after}`);
});
