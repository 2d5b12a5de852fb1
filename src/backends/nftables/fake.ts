/**
 * An in-memory nft: applies a Transaction to tables held as plain data, with the kernel's
 * reference checks (a rule or element may only point at what exists; what is pointed at cannot
 * be deleted; an element key holds one value; deleting what is missing fails), all or nothing.
 * `dump()` prints a table canonically in the text `nft list table` uses (fake-listing.ts, whose
 * `canonicalListing` brings real nft output to the same form, so tests can prove the fake honest).
 */
import { BackendError } from "../backend.ts";
import type { ApplyResult, NftClient } from "./client.ts";
import { KUBE_PROXY_TABLE } from "./names.ts";
import {
  PRIORITY_VALUES,
  isVerdict,
  partText,
  verdictChains,
  type ChainObject,
  type ElementObject,
  type KeyPart,
  type MapObject,
  type NftFamily,
  type PacketField,
  type RuleFragment,
  type RuleObject,
  type SetObject,
} from "./objects.ts";
import type { Transaction } from "./transaction.ts";
import { dumpTable } from "./fake-listing.ts";

/** One chain as the fake holds it. */
export interface FakeChain {
  chain: ChainObject;
  rules: RuleObject[];
}

/** One set or map and its elements, keyed by printed key. */
export interface FakeContainer {
  object: SetObject | MapObject;
  elements: Map<string, ElementObject>;
}

/** One table. */
export interface FakeTable {
  comment?: string;
  chains: Map<string, FakeChain>;
  containers: Map<string, FakeContainer>;
}

/** The fake client: an NftClient plus read access for tracers and dumps. */
export interface FakeNft extends NftClient {
  table(family: NftFamily, table?: string): FakeTable | undefined;
  dump(family: NftFamily, table?: string): string;
  /** How many transactions were applied (successfully or not). */
  applied: number;
}

const keyText = (key: readonly KeyPart[]) => key.map(partText).join(" . ");

function clone(t: FakeTable): FakeTable {
  return {
    comment: t.comment,
    chains: new Map([...t.chains].map(([n, c]) => [n, { chain: c.chain, rules: [...c.rules] }])),
    containers: new Map([...t.containers].map(([n, c]) => [n, { object: c.object, elements: new Map(c.elements) }])),
  };
}

/** Chains a rule refers to (jumps, gotos, numgen targets). */
function ruleChains(r: RuleObject): string[] {
  return r.fragments.flatMap((f) => ("stmt" in f ? (f.stmt === "verdict" ? verdictChains(f.verdict) : f.stmt === "numgen-vmap" ? f.targets.flatMap(verdictChains) : []) : []));
}

/** Sets and maps a rule refers to. */
function ruleContainers(r: RuleObject): string[] {
  return r.fragments.flatMap((f) => {
    if ("match" in f) return f.match === "addr-in-set" || f.match === "key-in-set" ? [f.set] : [];
    if (f.stmt === "set-update-saddr") return [f.set];
    return f.stmt === "vmap" || f.stmt === "dnat-map" ? [f.map] : [];
  });
}

function fail(message: string): never {
  throw new BackendError("apply", `fake nft: ${message}`);
}

function applyOps(tables: Map<string, FakeTable>, tx: Transaction): void {
  const id = `${tx.family} ${tx.table}`;
  let t = tables.get(id);
  const need = () => t ?? fail(`table ${id} does not exist`);
  for (const { op, object: o } of tx.operations) {
    if (o.kind === "table") {
      if (op === "add") {
        t ??= { chains: new Map(), containers: new Map() };
        if (o.comment !== undefined) t.comment = o.comment;
      } else if (op === "delete") {
        need();
        t = undefined;
      }
      continue;
    }
    const tb = need();
    const chainUsers = (name: string) =>
      [...tb.chains.values()].some((c) => c.rules.some((r) => ruleChains(r).includes(name))) ||
      [...tb.containers.values()].some((c) => [...c.elements.values()].some((e) => e.value !== undefined && isVerdict(e.value) && verdictChains(e.value).includes(name)));
    switch (o.kind) {
      case "chain":
        if (op === "add") {
          if (!tb.chains.has(o.name)) tb.chains.set(o.name, { chain: o, rules: [] });
        } else {
          const c = tb.chains.get(o.name) ?? fail(`chain ${o.name} does not exist`);
          if (op === "flush") c.rules = [];
          else {
            if (chainUsers(o.name)) fail(`chain ${o.name} is in use`);
            tb.chains.delete(o.name);
          }
        }
        break;
      case "set":
      case "map":
        if (op === "add") {
          if (!tb.containers.has(o.name)) tb.containers.set(o.name, { object: o, elements: new Map() });
        } else {
          const c = tb.containers.get(o.name) ?? fail(`${o.kind} ${o.name} does not exist`);
          if (op === "flush") c.elements.clear();
          else {
            if ([...tb.chains.values()].some((ch) => ch.rules.some((r) => ruleContainers(r).includes(o.name)))) fail(`${o.kind} ${o.name} is in use`);
            tb.containers.delete(o.name);
          }
        }
        break;
      case "element": {
        const c = tb.containers.get(o.container) ?? fail(`set or map ${o.container} does not exist`);
        const k = keyText(o.key);
        if (op === "delete") {
          if (!c.elements.delete(k)) fail(`element ${k} of ${o.container} does not exist`);
          break;
        }
        if (o.value && isVerdict(o.value)) for (const ch of verdictChains(o.value)) if (!tb.chains.has(ch)) fail(`chain ${ch} does not exist`);
        const old = c.elements.get(k);
        if (old && JSON.stringify(old.value) !== JSON.stringify(o.value)) fail(`element ${k} of ${o.container} exists with another value`);
        if (!old) c.elements.set(k, o);
        break;
      }
      case "rule": {
        const ch = tb.chains.get(o.chain) ?? fail(`chain ${o.chain} does not exist`);
        for (const ref of ruleChains(o)) if (!tb.chains.has(ref)) fail(`chain ${ref} does not exist`);
        for (const ref of ruleContainers(o)) if (!tb.containers.has(ref)) fail(`set or map ${ref} does not exist`);
        ch.rules.push(o);
        break;
      }
    }
  }
  if (t) tables.set(id, t);
  else tables.delete(id);
}

/** A fresh fake with no tables. */
export function createFakeNft(): FakeNft {
  let tables = new Map<string, FakeTable>();
  const fake: FakeNft = {
    applied: 0,
    async apply(tx: Transaction): Promise<ApplyResult> {
      let script: string;
      try {
        script = tx.toScript();
      } catch (e) {
        throw new BackendError("apply", `nft transaction refused before running nft: ${(e as Error).message}`);
      }
      fake.applied++;
      const next = new Map([...tables].map(([k, t]) => [k, clone(t)]));
      applyOps(next, tx);
      tables = next;
      return { scriptBytes: Buffer.byteLength(script) };
    },
    async hasTable(family, table = KUBE_PROXY_TABLE) {
      return tables.has(`${family} ${table}`);
    },
    async listTable(family, table = KUBE_PROXY_TABLE) {
      if (!tables.has(`${family} ${table}`)) throw new BackendError("apply", `fake nft: no table ${family} ${table}`);
      return fake.dump(family, table);
    },
    async deleteTable(family, table = KUBE_PROXY_TABLE) {
      tables.delete(`${family} ${table}`);
    },
    close: () => undefined,
    table: (family, table = KUBE_PROXY_TABLE) => tables.get(`${family} ${table}`),
    dump: (family, table = KUBE_PROXY_TABLE) => {
      const t = tables.get(`${family} ${table}`);
      return t ? dumpTable(family, table, t) : "";
    },
  };
  return fake;
}
