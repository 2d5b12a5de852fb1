/**
 * The real nft client: one `nft -f -` process per transaction, the whole script on stdin, which
 * nft applies as one atomic kernel transaction (all or nothing).
 */
import { BackendError } from "../backend.ts";
import type { Runner } from "../../lib/exec.ts";
import { isNftError } from "./nft-error.ts";
import type { NftFamily } from "./objects.ts";
import { KUBE_PROXY_TABLE } from "./names.ts";
import { Transaction } from "./transaction.ts";

/** What an applied transaction cost. */
export interface ApplyResult {
  /** Bytes of script sent to nft. */
  scriptBytes: number;
}

/** Applies transactions and reads tables back. */
export interface NftClient {
  /**
   * Applies `tx` atomically. Throws BackendError("apply") when the transaction carries a
   * validation error (nothing is run) or nft exits non-zero (the kernel changed nothing).
   */
  apply(tx: Transaction): Promise<ApplyResult>;
  /** `nft list table <family> <table>` text, for tests and debugging; throws BackendError("apply") when nft fails (also when the table is missing). */
  listTable(family: NftFamily, table?: string): Promise<string>;
  /** Deletes table `family table` if it exists; not an error when it does not. Throws BackendError("apply") when nft fails. */
  deleteTable(family: NftFamily, table?: string): Promise<void>;
}

/** An NftClient that runs nft through `runner` (wrap it with `inNetns` to act in a namespace). */
export function createNftClient(runner: Runner): NftClient {
  const apply = async (tx: Transaction): Promise<ApplyResult> => {
    let script: string;
    try {
      script = tx.toScript();
    } catch (e) {
      if (isNftError(e)) throw new BackendError("apply", `nft transaction refused before running nft (${e.kind}): ${e.message}`);
      throw e;
    }
    const out = await run(runner, ["nft", "-f", "-"], script);
    if (out.exitCode !== 0) {
      throw new BackendError("apply", `nft -f - exited ${out.exitCode}: ${out.stderr.trim() || out.stdout.trim()}`);
    }
    return { scriptBytes: Buffer.byteLength(script) };
  };
  return {
    apply,
    async listTable(family, table = KUBE_PROXY_TABLE) {
      const probe = new Transaction({ family, table }); // validates the table name
      const out = await run(runner, ["nft", "list", "table", probe.family, probe.table]);
      if (out.exitCode !== 0) throw new BackendError("apply", `nft list table ${family} ${table} exited ${out.exitCode}: ${out.stderr.trim()}`);
      return out.stdout;
    },
    async deleteTable(family, table = KUBE_PROXY_TABLE) {
      // Adding first makes the delete valid whether or not the table exists, in one transaction.
      const tx = new Transaction({ family, table }).add({ kind: "table" }).delete({ kind: "table" });
      await apply(tx);
    },
  };
}

/** Runs nft; a runner that cannot start it at all becomes a BackendError too, so callers see one error type. */
async function run(runner: Runner, argv: string[], stdin?: string) {
  try {
    return await runner(argv, stdin);
  } catch (e) {
    throw new BackendError("apply", `cannot run ${argv.slice(0, 2).join(" ")}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
