/**
 * An in-memory iptables that really applies `iptables-restore --noflush` input: declarations
 * create or flush user chains, rules append, insert and delete, chains are deleted only when
 * empty of references, jumps must name a chain that exists or a known target, and a table's block
 * is all-or-nothing. `save()` prints what iptables-save would, so tests can compare it with the
 * kernel's dump (the honesty test) and trace packets over it.
 */
import { BUILTIN_CHAINS, isBuiltinChain } from "./tokens.ts";
import { printSave, type SaveModel, type TableModel } from "./save-format.ts";

/** Targets that are not chains. */
const TARGETS = new Set(["ACCEPT", "DROP", "RETURN", "REJECT", "DNAT", "SNAT", "MASQUERADE", "MARK", "LOG", "CONNMARK", "NOTRACK", "CT"]);

export class IptablesFakeError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`iptables-restore (fake): line ${line}: ${message}`);
    this.name = "IptablesFakeError";
  }
}

function emptyTable(name: string): TableModel {
  return { chains: new Map((BUILTIN_CHAINS[name] ?? []).map((c) => [c, { policy: "ACCEPT", rules: [] }])) };
}

function cloneTable(t: TableModel): TableModel {
  return { chains: new Map([...t.chains].map(([k, v]) => [k, { policy: v.policy, rules: [...v.rules] }])) };
}

const jumpOf = (rule: string) => /(?:^| )-[jg] (\S+)/.exec(rule)?.[1];

export class IptablesFake {
  readonly tables: SaveModel = new Map();

  /** Applies restore text (always --noflush semantics); throws IptablesFakeError and changes nothing in a failing table block. */
  restore(text: string): void {
    let name: string | undefined;
    let work: TableModel | undefined;
    const lines = text.split("\n");
    lines.forEach((raw, i) => {
      const n = i + 1;
      const line = raw.trim();
      if (line === "" || line.startsWith("#")) return;
      if (line.startsWith("*")) {
        name = line.slice(1);
        work = cloneTable(this.tables.get(name) ?? emptyTable(name));
        return;
      }
      if (!work || !name) throw new IptablesFakeError(n, `outside a table: ${line}`);
      if (line === "COMMIT") {
        this.check(work, n);
        this.tables.set(name, work);
        work = undefined;
        return;
      }
      this.applyLine(work, line, n);
    });
    if (work) throw new IptablesFakeError(lines.length, "missing COMMIT");
  }

  /** The dump, as iptables-save prints it (tables sorted by name, no comment lines). */
  save(): string {
    return printSave(this.tables);
  }

  private applyLine(t: TableModel, line: string, n: number): void {
    if (line.startsWith(":")) {
      const [chain, policy] = line.slice(1).split(" ");
      if (!chain || isBuiltinChain(chain)) throw new IptablesFakeError(n, `declaring built-in chain ${chain} is not supported by the fake`);
      if (policy !== "-") throw new IptablesFakeError(n, `user chain ${chain} with policy ${policy}`);
      const c = t.chains.get(chain);
      if (c) c.rules = [];
      else t.chains.set(chain, { policy: "-", rules: [] });
      return;
    }
    const [op, chain, ...rest] = line.split(" ");
    const c = chain ? t.chains.get(chain) : undefined;
    if (!c) throw new IptablesFakeError(n, `chain ${chain} does not exist`);
    switch (op) {
      case "-A":
        c.rules.push(rest.join(" "));
        return;
      case "-I": {
        const pos = /^\d+$/.test(rest[0] ?? "") ? Number(rest.shift()) : 1;
        if (pos < 1 || pos > c.rules.length + 1) throw new IptablesFakeError(n, `index ${pos} out of range in ${chain}`);
        c.rules.splice(pos - 1, 0, rest.join(" "));
        return;
      }
      case "-D": {
        const at = c.rules.indexOf(rest.join(" "));
        if (at < 0) throw new IptablesFakeError(n, `no such rule in ${chain}: ${rest.join(" ")}`);
        c.rules.splice(at, 1);
        return;
      }
      case "-F":
        c.rules = [];
        return;
      case "-X":
        if (isBuiltinChain(chain!)) throw new IptablesFakeError(n, `cannot delete built-in chain ${chain}`);
        if (c.rules.length > 0) throw new IptablesFakeError(n, `chain ${chain} is not empty`);
        t.chains.delete(chain!);
        return;
      default:
        throw new IptablesFakeError(n, `unsupported command ${op}`);
    }
  }

  /** At COMMIT: every jump names a target or an existing chain (the kernel refuses otherwise). */
  private check(t: TableModel, n: number): void {
    for (const [chain, c] of t.chains) {
      for (const rule of c.rules) {
        const target = jumpOf(rule);
        if (target && !TARGETS.has(target) && !t.chains.has(target)) throw new IptablesFakeError(n, `rule in ${chain} jumps to missing chain ${target}`);
      }
    }
  }
}
