/**
 * Waits until the rules applied in a lab node's namespace satisfy a predicate: the kernel's state
 * is what a packet meets, so the demo and the tests wait on it rather than on log lines or on
 * timestamps that an in-flight sync could satisfy early.
 */
import type { Lab } from "./lab/lab-types.ts";

export async function waitForNodeRules(lab: Lab, what: string, ok: (table: string) => boolean, timeoutMs = 10_000, family: "ip" | "ip6" = "ip"): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let table = "";
  while (Date.now() < deadline) {
    table = (await lab.exec(lab.node.ns, ["nft", "list", "table", family, "kube-proxy"])).stdout;
    if (ok(table)) return table;
    await Bun.sleep(50);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for the node's rules to show ${what}; last seen:\n${table}`);
}
