import { expect, test } from "bun:test";
import type { Runner } from "../../lib/exec.ts";
import { detectIptablesVariant } from "./detect-variant.ts";

const dumps = (nft: string | null, legacy: string | null): Runner => async (argv) => {
  const text = argv[0] === "iptables-nft-save" ? nft : argv[0] === "iptables-legacy-save" ? legacy : undefined;
  if (text === undefined) throw new Error(`unexpected ${argv.join(" ")}`);
  if (text === null) throw new Error("not installed");
  return { exitCode: 0, stdout: text, stderr: "" };
};
const rules = (n: number) => Array.from({ length: n }, (_, i) => `-A INPUT -s 10.0.0.${i}/32 -j ACCEPT`).join("\n");

test.each([
  ["only nft installed", "", null, "nf_tables"],
  ["only legacy installed", null, "", "legacy"],
  ["neither installed", null, null, null],
  ["kubelet's hint in legacy", rules(5), ":KUBE-IPTABLES-HINT - [0:0]", "legacy"],
  ["kubelet's hint in nft wins over more legacy rules", ":KUBE-IPTABLES-HINT - [0:0]", rules(9), "nf_tables"],
  ["more rules in legacy", rules(1), rules(3), "legacy"],
  ["a tie goes to nft", rules(2), rules(2), "nf_tables"],
] as const)("%s -> %p", async (_name, nft, legacy, want) => {
  expect((await detectIptablesVariant(dumps(nft, legacy), "IPv4")).variant).toBe(want);
});
