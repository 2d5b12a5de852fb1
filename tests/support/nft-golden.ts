/**
 * Golden comparison of nft scripts: order-insensitive between objects, order-sensitive within a
 * chain. A script is turned into a canonical text (object statements sorted, then each chain's
 * rules in their order), so a failing test shows a readable diff.
 */

/** Canonical text of an nft script (one statement per line, as script.ts writes it). */
export function canonicalNft(script: string): string {
  const objects: string[] = [];
  const rules = new Map<string, string[]>();
  for (const raw of script.split("\n")) {
    const line = raw.trim().replace(/\s+/g, " ");
    if (line === "" || line.startsWith("#")) continue;
    const words = line.split(" ");
    // add rule <family> <table> <chain> <rule...>
    if (words[0] === "add" && words[1] === "rule" && words.length > 5) {
      const chain = words[4] as string;
      const list = rules.get(chain) ?? [];
      list.push(words.slice(5).join(" "));
      rules.set(chain, list);
    } else {
      objects.push(line);
    }
  }
  const chains = [...rules.keys()].sort().map((c) => `rules of ${c}:\n${(rules.get(c) ?? []).map((r) => `  ${r}`).join("\n")}`);
  return [...objects.sort(), ...chains].join("\n");
}
