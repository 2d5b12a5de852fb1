/**
 * Reads and waits on the rules applied in a lab node's namespace: the kernel's state is what a
 * packet meets, so the demo and the tests wait on it rather than on log lines or on timestamps
 * that an in-flight sync could satisfy early.
 */
import type { ProxyMode } from "../backends/backend.ts";
import type { Lab } from "./lab/lab-types.ts";

/** The node's rules as text: `nft list table ip|ip6 kube-proxy`, or `iptables-save` / `ip6tables-save`. */
export async function nodeRules(lab: Lab, mode: ProxyMode = "nftables", family: "IPv4" | "IPv6" = "IPv4"): Promise<string> {
  const argv = mode === "nftables" ? ["nft", "list", "table", family === "IPv4" ? "ip" : "ip6", "kube-proxy"] : [family === "IPv4" ? "iptables-save" : "ip6tables-save"];
  return (await lab.exec(lab.node.ns, argv)).stdout;
}

export async function waitForNodeRules(lab: Lab, what: string, ok: (rules: string) => boolean, timeoutMs = 10_000, mode: ProxyMode = "nftables", family: "IPv4" | "IPv6" = "IPv4"): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let rules = "";
  while (Date.now() < deadline) {
    rules = await nodeRules(lab, mode, family);
    if (ok(rules)) return rules;
    await Bun.sleep(50);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for the node's ${mode} rules to show ${what}; last seen:\n${rules}`);
}
