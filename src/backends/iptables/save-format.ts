/**
 * iptables-save text, both ways: parsing what the kernel's `iptables-save` prints into a model,
 * and printing a model the way iptables-save does (built-in chains first in fixed order, user
 * chains sorted, rules grouped by chain in that order), so a fake's dump compares with the kernel's.
 */
import { BUILTIN_CHAINS } from "./tokens.ts";

/** One table: chains by name, each with its policy ("-" for user chains) and rule texts (without `-A CHAIN`). */
export interface TableModel {
  chains: Map<string, { policy: string; rules: string[] }>;
}

export type SaveModel = Map<string, TableModel>;

/** Parses iptables-save output; comment lines and counters are ignored. Throws on a malformed line. */
export function parseSave(text: string): SaveModel {
  const model: SaveModel = new Map();
  let table: TableModel | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    if (line.startsWith("*")) {
      table = { chains: new Map() };
      model.set(line.slice(1), table);
    } else if (line === "COMMIT") {
      table = undefined;
    } else if (!table) {
      throw new Error(`iptables-save: line outside a table: ${line}`);
    } else if (line.startsWith(":")) {
      const [name, policy] = line.slice(1).split(" ");
      table.chains.set(name!, { policy: policy ?? "-", rules: [] });
    } else if (line.startsWith("-A ")) {
      const [, chain, ...rest] = line.split(" ");
      const c = table.chains.get(chain!);
      if (!c) throw new Error(`iptables-save: rule for undeclared chain ${chain}`);
      c.rules.push(rest.join(" "));
    } else {
      throw new Error(`iptables-save: unexpected line: ${line}`);
    }
  }
  return model;
}

/** Prints one table as iptables-save would (without the comment lines). */
export function printTable(name: string, t: TableModel): string {
  const builtins = (BUILTIN_CHAINS[name] ?? []).filter((c) => t.chains.has(c));
  const users = [...t.chains.keys()].filter((c) => !builtins.includes(c)).sort();
  const order = [...builtins, ...users];
  return [
    `*${name}`,
    ...order.map((c) => `:${c} ${t.chains.get(c)!.policy} [0:0]`),
    ...order.flatMap((c) => t.chains.get(c)!.rules.map((r) => `-A ${c} ${r}`)),
    "COMMIT",
  ].join("\n");
}

/** Prints tables in name order, for comparing whole dumps. */
export function printSave(model: SaveModel): string {
  return [...model.keys()].sort().map((n) => printTable(n, model.get(n)!)).join("\n") + "\n";
}
