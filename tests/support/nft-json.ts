/**
 * Reads a kube-proxy table back from the kernel as plain data (via `nft -j list table`), so
 * real-kernel tests assert on chains and elements instead of on nft's text layout.
 */
import type { Runner } from "../../src/lib/exec.ts";

/** A table as the kernel holds it: chain names, and each set's or map's elements as text. */
export interface KernelTable {
  chains: string[];
  /** `key` for set elements, `key : verdict` for map elements (concatenations joined by " . "). */
  elements: Record<string, string[]>;
  /** Rules per chain, as nft prints them in its text listing. */
  text: string;
}

type Json = unknown;

function keyText(k: Json): string {
  if (typeof k === "string" || typeof k === "number") return String(k);
  const o = k as Record<string, Json>;
  if (o.concat) return (o.concat as Json[]).map(keyText).join(" . ");
  if (o.elem) return keyText((o.elem as Record<string, Json>).val);
  return JSON.stringify(k);
}

function verdictText(v: Json): string {
  const o = v as Record<string, Json>;
  for (const kind of ["goto", "jump"]) {
    if (o[kind]) return `${kind} ${(o[kind] as { target: string }).target}`;
  }
  return Object.keys(o)[0] ?? JSON.stringify(v);
}

/** Lists table `family kube-proxy` via `runner`, or null when the table does not exist. */
export async function readKernelTable(runner: Runner, family: "ip" | "ip6"): Promise<KernelTable | null> {
  const json = await runner(["nft", "-j", "list", "table", family, "kube-proxy"]);
  if (json.exitCode !== 0) return null;
  const text = await runner(["nft", "list", "table", family, "kube-proxy"]);
  const items = (JSON.parse(json.stdout) as { nftables: Record<string, Record<string, Json>>[] }).nftables;
  const chains: string[] = [];
  const elements: Record<string, string[]> = {};
  for (const item of items) {
    if (item.chain) chains.push(item.chain.name as string);
    const container = item.set ?? item.map;
    if (container) {
      const list: string[] = [];
      for (const e of (container.elem as Json[] | undefined) ?? []) {
        list.push(Array.isArray(e) ? `${keyText(e[0])} : ${verdictText(e[1])}` : keyText(e));
      }
      elements[container.name as string] = list.sort();
    }
  }
  return { chains: chains.sort(), elements, text: text.stdout };
}
