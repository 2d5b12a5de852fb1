/**
 * Which iptables a node uses, legacy or nf_tables, decided as the common iptables wrapper does:
 * the variant holding kubelet's KUBE-IPTABLES-HINT (or KUBE-KUBELET-CANARY) chain wins; else the
 * one with more rules; nf_tables on a tie. Writing our rules into the other variant would leave
 * two rule sets fighting over the same packets. Null when the variant tools are not installed
 * (then the plain `iptables-restore` the system points at is used).
 */
import type { Runner } from "../../lib/exec.ts";
import type { IPFamily } from "../../lib/ip.ts";
import { toolName, type IptablesVariant } from "./client.ts";

const HINTS = /^:(KUBE-IPTABLES-HINT|KUBE-KUBELET-CANARY) /m;

async function dump(runner: Runner, family: IPFamily, variant: IptablesVariant): Promise<string | null> {
  try {
    const r = await runner([`${toolName(family, variant)}-save`]);
    return r.exitCode === 0 ? r.stdout : null;
  } catch {
    return null;
  }
}

const ruleCount = (text: string) => text.split("\n").filter((l) => l.startsWith("-A ")).length;

/**
 * The variant, and the whole `-save` dump of it that decided (null with the variant): the
 * caller reads the rules next anyway (the first sync or the cleanup), one process less.
 */
export async function detectIptablesVariant(runner: Runner, family: IPFamily): Promise<{ variant: IptablesVariant | null; dump: string | null }> {
  const [nft, legacy] = await Promise.all([dump(runner, family, "nf_tables"), dump(runner, family, "legacy")]);
  if (nft === null && legacy === null) return { variant: null, dump: null };
  if (nft === null) return { variant: "legacy", dump: legacy };
  if (legacy === null) return { variant: "nf_tables", dump: nft };
  const variant = HINTS.test(nft) ? "nf_tables" : HINTS.test(legacy) ? "legacy" : ruleCount(legacy) > ruleCount(nft) ? "legacy" : "nf_tables";
  return { variant, dump: variant === "legacy" ? legacy : nft };
}
