/**
 * Preloaded before every test file (bunfig.toml): fails the run if it leaves the host changed.
 * Checked: the host's own nft ruleset is as before, and no network namespace carrying this test
 * process's id (every lab and nft test names its namespaces `kpb-...-<pid>-...`) remains. Other
 * processes' namespaces are not this run's business, so concurrent runs do not trip each other;
 * `.ci/test` compares the whole host before and after the full suite.
 */
import { afterAll, beforeAll } from "bun:test";

async function run(argv: string[]): Promise<string> {
  try {
    const p = Bun.spawn(argv, { stdout: "pipe", stderr: "ignore" });
    const out = await new Response(p.stdout).text();
    await p.exited;
    return out;
  } catch {
    return `(${argv[0]} not available)`;
  }
}

const ownNamespaces = async () =>
  (await run(["ip", "netns", "list"]))
    .split("\n")
    .map((l) => l.split(" ")[0] ?? "")
    .filter((n) => n.split("-").includes(String(process.pid)));

let rulesBefore = "";
beforeAll(async () => {
  rulesBefore = await run(["nft", "list", "ruleset"]);
});
afterAll(async () => {
  const left = await ownNamespaces();
  const rulesAfter = await run(["nft", "list", "ruleset"]);
  if (left.length > 0) throw new Error(`host-guard: the test run left network namespaces behind: ${left.join(" ")}`);
  if (rulesAfter !== rulesBefore) throw new Error(`host-guard: the test run changed the host's own nft ruleset.\nbefore:\n${rulesBefore}\nafter:\n${rulesAfter}`);
});
