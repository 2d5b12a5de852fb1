/**
 * An ordered list of add / flush / delete operations on one nft table, applied later as one
 * atomic kernel transaction. Every operation is validated as it is added, against what the
 * transaction has defined so far (plus what the caller says already exists): names, values, and
 * references to chains, sets and maps. The first failure sticks; later operations are ignored
 * and `toScript()` throws it, so a partly valid ruleset never reaches the kernel. Rule fragments
 * and set or map elements are checked by check-fragment.ts and check-element.ts.
 */
import { NftError } from "./nft-error.ts";
import {
  verdictChains,
  type FlushableObject,
  type MapObject,
  type NftFamily,
  type NftObject,
  type RuleObject,
  type SetObject,
  type Verdict,
} from "./objects.ts";
import { checkElement, checkElementKey, type ElementContext } from "./check-element.ts";
import { checkFragment, fail, value, type Container, type FragmentContext } from "./check-fragment.ts";
import { renderScript } from "./script.ts";
import { checkAddr, checkComment, checkModulus, checkName } from "./validate.ts";

/** One recorded operation. */
export type NftOperation =
  | { op: "add"; object: NftObject }
  | { op: "flush"; object: FlushableObject }
  | { op: "delete"; object: NftObject };

/** What already exists in the kernel's table before this transaction (for partial syncs). */
export interface ExistingTable {
  chains: readonly string[];
  sets: readonly SetObject[];
  maps: readonly MapObject[];
}

/** Which table a transaction works on, and what is known to exist there already. */
export interface TransactionTarget {
  family: NftFamily;
  table: string;
  /** Omitted: the table is not known to exist; the transaction must add it first. */
  existing?: ExistingTable;
}

function containerOf(o: SetObject | MapObject): Container {
  return o.kind === "set"
    ? { kind: "set", keyType: o.keyType, interval: o.interval === true, dynamicTimeout: o.dynamicTimeout === true, valueType: null, modulus: undefined }
    : { kind: "map", keyType: o.keyType, interval: false, dynamicTimeout: false, valueType: o.valueType, modulus: o.modulus, proto: o.proto };
}

const VERDICTS: ReadonlySet<string> = new Set(["accept", "drop", "return", "jump", "goto"]);

/** The ordered, validated operations of one atomic nft transaction on one table. */
export class Transaction {
  readonly family: NftFamily;
  readonly table: string;
  #ops: NftOperation[] = [];
  #error: NftError | null = null;
  /** toScript's result until the next operation is recorded. */
  #script: string | null = null;
  #tableKnown: boolean;
  #chains = new Set<string>();
  #containers = new Map<string, Container>();
  /** IPv6 addresses already checked in this transaction (a big sync repeats each many times). */
  #goodAddrs = new Set<string>();
  /**
   * Comments and verdict chains already checked: a full sync repeats each thousands of times
   * (about a fifth of its render was these re-checks, bun run bench B1). A comment's check
   * depends on its text alone; a chain reference also on the chains defined, so that cache is
   * emptied whenever a chain goes away.
   */
  #goodComments = new Set<string>();
  #goodVerdictChains = new Set<string>();
  /** What check-element.ts asks of this transaction; one object for every element. */
  readonly #elementContext: ElementContext;

  /** Fails (throws NftError) only when the table name itself is invalid. */
  constructor(target: TransactionTarget) {
    const bad = checkName(target.table);
    if (bad) throw new NftError("invalid-name", `table: ${bad}`);
    this.family = target.family;
    this.table = target.table;
    this.#elementContext = {
      family: target.family,
      container: (name) => this.#containers.get(name),
      addr: (addr, where) => this.#addr(addr, where),
      comment: (comment) => this.#comment(comment),
      verdict: (v, where) => this.#verdict(v, where),
    };
    this.#tableKnown = target.existing !== undefined;
    for (const c of target.existing?.chains ?? []) this.#chains.add(c);
    for (const s of [...(target.existing?.sets ?? []), ...(target.existing?.maps ?? [])]) {
      this.#containers.set(s.name, containerOf(s));
    }
  }

  /** The first validation failure, or null. */
  get error(): NftError | null {
    return this.#error;
  }

  /** The operations recorded so far, in order. */
  get operations(): readonly NftOperation[] {
    return this.#ops;
  }

  /** Adds an object (nft `add`: creating what exists already is not an error for tables, chains, sets, maps). */
  add(object: NftObject): this {
    return this.#record({ op: "add", object }, () => this.#checkAdd(object));
  }

  /** Empties a chain, set or map that is defined. */
  flush(object: FlushableObject): this {
    return this.#record({ op: "flush", object }, () => this.#requireDefined(object));
  }

  /** Deletes an object; deleting the table forgets everything defined in it. */
  delete(object: NftObject): this {
    return this.#record({ op: "delete", object }, () => this.#checkDelete(object));
  }

  /** The nft script of the whole transaction (kept until the next operation); throws the sticky NftError if there is one. */
  toScript(): string {
    if (this.#error) throw this.#error;
    return (this.#script ??= renderScript(this.family, this.table, this.#ops));
  }

  #record(op: NftOperation, check: () => void): this {
    if (this.#error) return this;
    try {
      check();
      this.#ops.push(op);
      this.#script = null;
    } catch (e) {
      if (!(e instanceof NftError)) throw e;
      this.#error = e;
    }
    return this;
  }

  #checkAdd(o: NftObject): void {
    if (o.kind === "table") {
      this.#comment(o.comment);
      this.#tableKnown = true;
      return;
    }
    this.#requireTable(o.kind);
    switch (o.kind) {
      case "chain":
        this.#name(o.name);
        this.#comment(o.comment);
        if (o.base && !Number.isInteger(o.base.priority.offset ?? 0)) fail("invalid-value", `chain ${o.name}: priority offset must be an integer`);
        this.#chains.add(o.name);
        return;
      case "set":
      case "map":
        this.#name(o.name);
        this.#comment(o.comment);
        if (o.keyType.length === 0) fail("invalid-value", `${o.kind} ${o.name}: empty key type`);
        if (o.keyType.includes("index")) {
          if (o.kind !== "map") fail("invalid-value", `set ${o.name}: index keys are for endpoint maps`);
          value(checkModulus(o.modulus), `map ${o.name}`);
        }
        this.#containers.set(o.name, containerOf(o));
        return;
      case "element":
        checkElement(o, this.#elementContext);
        return;
      case "rule":
        this.#checkRule(o);
        return;
    }
  }

  #checkDelete(o: NftObject): void {
    if (o.kind === "table") {
      // nft refuses to delete a missing table; callers add it first in the same transaction.
      if (!this.#tableKnown) fail("invalid-operation", "delete table: table not added or known in this transaction");
      this.#tableKnown = false;
      this.#chains.clear();
      this.#containers.clear();
      this.#goodVerdictChains.clear();
      return;
    }
    this.#requireTable(o.kind);
    if (o.kind === "rule") fail("invalid-operation", "deleting single rules is not supported; flush the chain");
    if (o.kind === "element") {
      checkElementKey(o, this.#elementContext);
      return;
    }
    this.#requireDefined(o);
    if (o.kind === "chain") {
      this.#chains.delete(o.name);
      this.#goodVerdictChains.clear();
    } else this.#containers.delete(o.name);
  }

  #requireTable(what: string): void {
    if (!this.#tableKnown) fail("undefined-reference", `${what}: table ${this.family} ${this.table} is not defined`);
  }

  #requireDefined(o: FlushableObject): void {
    this.#requireTable(o.kind);
    if (o.kind === "chain") this.#chainRef(o.name);
    else this.#containerRef(o.name, o.kind);
  }

  #name(name: string): void {
    const bad = checkName(name);
    if (bad) fail("invalid-name", bad);
  }

  #comment(comment: string | undefined): void {
    if (comment === undefined || this.#goodComments.has(comment)) return;
    const bad = checkComment(comment);
    if (bad) fail("invalid-value", bad);
    this.#goodComments.add(comment);
  }

  #addr(addr: string, where: string): void {
    // An IPv4 check is one pass over at most 15 characters: cheaper than remembering it (the
    // Set of 110k addresses was a tenth of a cold full render at 10k x 10, bun run bench B1).
    // An IPv6 check (regexes, splits, printing) is worth remembering.
    if (this.family === "ip") {
      value(checkAddr(this.family, addr), where);
      return;
    }
    if (this.#goodAddrs.has(addr)) return;
    value(checkAddr(this.family, addr), where);
    this.#goodAddrs.add(addr);
  }

  #chainRef(name: string): void {
    if (!this.#chains.has(name)) fail("undefined-reference", `chain ${JSON.stringify(name)} is not defined`);
  }

  #containerRef(name: string, kind: "set" | "map"): Container {
    const c = this.#containers.get(name);
    if (!c || c.kind !== kind) fail("undefined-reference", `${kind} ${JSON.stringify(name)} is not defined`);
    return c;
  }

  #verdict(v: Verdict, where: string): void {
    if (v.verdict === "jump" || v.verdict === "goto") {
      if (this.#goodVerdictChains.has(v.chain)) return;
      this.#name(v.chain);
      for (const c of verdictChains(v)) this.#chainRef(c);
      this.#goodVerdictChains.add(v.chain);
      return;
    }
    if (!VERDICTS.has(v.verdict)) fail("invalid-value", `${where}: invalid verdict`);
  }

  #checkRule(r: RuleObject): void {
    this.#chainRef(r.chain);
    this.#comment(r.comment);
    if (r.fragments.length === 0) fail("invalid-value", `rule in ${r.chain}: no fragments`);
    const ctx: FragmentContext = {
      family: this.family,
      container: (name, kind) => this.#containerRef(name, kind),
      verdict: (v, where) => this.#verdict(v, where),
    };
    for (const f of r.fragments) checkFragment(f, `rule in ${r.chain}`, ctx);
  }
}
