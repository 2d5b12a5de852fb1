/**
 * Builds `iptables-restore --noflush` input for one table: the chains to (re)declare, which
 * flushes them, the rules to append, and the chains to delete. Rules are lists of words already
 * made safe by tokens.ts; the builder only arranges them. One script = one atomic commit.
 */
import { chainName, userChainName } from "./tokens.ts";

export type IptablesTable = "filter" | "nat" | "mangle";

export class RestoreScript {
  private readonly declared: string[] = [];
  private readonly declaredSet = new Set<string>();
  private readonly rules: string[] = [];
  private readonly deleted: string[] = [];

  constructor(readonly table: IptablesTable) {}

  /** Declares `chain`: created if missing, flushed if present (that is what --noflush restore does with a ":" line). */
  chain(chain: string): this {
    userChainName(chain);
    if (!this.declaredSet.has(chain)) {
      this.declaredSet.add(chain);
      this.declared.push(chain);
    }
    return this;
  }

  /** Appends a rule (`-A chain words...`). */
  append(chain: string, words: readonly string[]): this {
    this.rules.push(["-A", chainName(chain), ...words].join(" "));
    return this;
  }

  /** Inserts a rule at the top (`-I chain 1 words...`), for the jumps kube-proxy puts first in built-in chains. */
  insert(chain: string, words: readonly string[]): this {
    this.rules.push(["-I", chainName(chain), "1", ...words].join(" "));
    return this;
  }

  /** Deletes a rule by its words (`-D chain words...`); fails the restore if it is not there. */
  delete(chain: string, words: readonly string[]): this {
    this.rules.push(["-D", chainName(chain), ...words].join(" "));
    return this;
  }

  /** Deletes a chain (`-X`); it must be declared (so flushed) in the same script and unreferenced. */
  deleteChain(chain: string): this {
    this.chain(chain);
    this.deleted.push(chain);
    return this;
  }

  /** Rules this script appends (`-A`): what upstream's iptables_last metric counts. */
  appendedRules(): number {
    return this.rules.filter((r) => r.startsWith("-A ")).length;
  }

  /** The chains this script declares, in order. */
  declaredChains(): string[] {
    return [...this.declared];
  }

  isEmpty(): boolean {
    return this.declared.length === 0 && this.rules.length === 0;
  }

  /** The restore text: `*table`, declarations, rules, deletions, `COMMIT`. */
  text(): string {
    return [
      `*${this.table}`,
      ...this.declared.map((c) => `:${c} - [0:0]`),
      ...this.rules,
      ...this.deleted.map((c) => `-X ${c}`),
      "COMMIT",
      "",
    ].join("\n");
  }
}
