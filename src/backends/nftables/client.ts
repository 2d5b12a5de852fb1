/**
 * The real nft client. A transaction is one atomic kernel transaction (all or nothing). When the
 * runner can keep a process running, a transaction goes to one long-lived `nft -i`
 * (nft-session.ts) as `include "FILE"` of a private file (without such a file, a small one goes
 * inline); the cold start's batches (`viaFile`), and every transaction where nft -i cannot run,
 * each have their own `nft -f` process.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BackendError } from "../backend.ts";
import type { Runner } from "../../lib/exec.ts";
import { isNftError, type NftError } from "./nft-error.ts";
import { includeLine, NftSession, NftSessionUnavailable, SESSION_MAX_BYTES } from "./nft-session.ts";
import type { NftFamily } from "./objects.ts";
import { KUBE_PROXY_TABLE } from "./names.ts";
import { Transaction } from "./transaction.ts";

/** What an applied transaction cost. */
export interface ApplyResult {
  /** Bytes of script sent to nft. */
  scriptBytes: number;
}

/** How a script reaches nft. */
export interface ApplyOptions {
  /**
   * Its own `nft -f FILE` process, from a private temporary file: nft reads it while this
   * process renders the next batch (the cold-start pipeline, cold-pipeline.ts; a stdin pipe is
   * only filled when the event loop turns). Not through nft -i: at 10k Services x 10 the
   * pipeline's batches took as long or longer there (2,500 ServicePorts: 242-312 ms against
   * 233-252 ms, beside the render).
   */
  viaFile?: boolean;
}

/** Applies transactions and reads tables back. */
export interface NftClient {
  /**
   * Applies `tx` atomically. Throws BackendError("apply") when the transaction carries a
   * validation error (nothing is run) or nft exits non-zero (the kernel changed nothing).
   */
  apply(tx: Transaction, options?: ApplyOptions): Promise<ApplyResult>;
  /**
   * Applies a script printed elsewhere as one transaction, as `apply` does with a transaction's
   * (print-full.ts: a full sync's text printed before its checked transaction is built).
   * Throws BackendError("apply") when nft exits non-zero (the kernel changed nothing). A client
   * without it (the fake) is given transactions only.
   */
  applyScript?(script: string, options?: ApplyOptions): Promise<ApplyResult>;
  /**
   * True when table `family table` exists: `nft -c create table`, checked by the kernel and never
   * applied, fails with "File exists" when it does (~15 ms; nft 1.0.6's `list tables` fetches
   * every element first: 1.6-1.8 s at 10k Services). Throws BackendError("apply") when nft fails
   * otherwise.
   */
  hasTable(family: NftFamily, table?: string): Promise<boolean>;
  /** `nft list table <family> <table>` text, for tests and debugging; throws BackendError("apply") when nft fails (also when the table is missing). */
  listTable(family: NftFamily, table?: string): Promise<string>;
  /** Deletes table `family table` if it exists; not an error when it does not. Throws BackendError("apply") when nft fails. */
  deleteTable(family: NftFamily, table?: string): Promise<void>;
  /** Ends the long-lived nft process, if one runs (a later apply starts another). */
  close(): void;
}

/** What the client reports besides results. */
export interface NftClientOptions {
  /** nft -i cannot run here (an nft built without its CLI): every transaction goes to `nft -f`. */
  onSessionUnavailable?: (reason: string) => void;
}

/** The error of a transaction whose checks refused it, so nft never ran. */
export function refusedBeforeNft(e: NftError): BackendError {
  return new BackendError("apply", `nft transaction refused before running nft (${e.kind}): ${e.message}`);
}

/**
 * A script this big leaves nft -i holding its memory (~60 MiB after a cold start's batches at
 * 10k Services): once the session has been idle a while, its process is replaced.
 */
const RECYCLE_BYTES = 1 << 20;
const RECYCLE_AFTER_MS = 1000;

/** Applies `script` through `session`; false when it cannot go that way (too big to send inline and no private file). */
async function applyBySession(session: NftSession, script: string, scriptBytes: number): Promise<boolean> {
  const { dir, file } = privateFile(script);
  try {
    if (file !== null && includeLine(file) !== null) await session.runFile(file);
    else if (scriptBytes <= SESSION_MAX_BYTES) await session.run(script);
    else return false;
    return true;
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

/** An NftClient that runs nft through `runner` (wrap it with `inNetns` to act in a namespace). */
export function createNftClient(runner: Runner, clientOptions: NftClientOptions = {}): NftClient {
  let session = runner.start ? new NftSession(runner.start) : null;
  let recycle: ReturnType<typeof setTimeout> | undefined;
  const recycleWhenIdle = () => {
    clearTimeout(recycle);
    recycle = setTimeout(() => session?.closeIfIdle(), RECYCLE_AFTER_MS);
    recycle.unref?.();
  };
  const apply = async (tx: Transaction, options: ApplyOptions = {}): Promise<ApplyResult> => {
    let script: string;
    try {
      script = tx.toScript();
    } catch (e) {
      throw isNftError(e) ? refusedBeforeNft(e) : e;
    }
    return applyScript(script, options);
  };
  const applyScript = async (script: string, options: ApplyOptions = {}): Promise<ApplyResult> => {
    const scriptBytes = Buffer.byteLength(script);
    if (session && !options.viaFile) {
      try {
        if (await applyBySession(session, script, scriptBytes)) {
          if (scriptBytes >= RECYCLE_BYTES) recycleWhenIdle();
          return { scriptBytes };
        }
      } catch (e) {
        if (!(e instanceof NftSessionUnavailable)) throw e;
        // Nothing was sent: this transaction and every later one go to their own nft.
        session = null;
        clientOptions.onSessionUnavailable?.(e.message);
      }
    }
    await applyByProcess(runner, script, options.viaFile === true);
    return { scriptBytes };
  };
  return {
    apply,
    applyScript,
    async hasTable(family, table = KUBE_PROXY_TABLE) {
      const probe = new Transaction({ family, table }); // validates the table name
      const out = await run(runner, ["nft", "-c", "create", "table", probe.family, probe.table]);
      if (out.exitCode === 0) return false;
      if (/File exists/.test(out.stderr)) return true;
      throw new BackendError("apply", `nft -c create table ${family} ${table} exited ${out.exitCode}: ${out.stderr.trim()}`);
    },
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
    close: () => {
      clearTimeout(recycle);
      session?.close();
    },
  };
}

/** One `nft -f` process for `script`: from a private temporary file when `viaFile` (and one can be written), else on stdin. */
async function applyByProcess(runner: Runner, script: string, viaFile: boolean): Promise<void> {
  let dir: string | null = null;
  try {
    let file: string | null = null;
    if (viaFile) ({ dir, file } = privateFile(script));
    const argv = ["nft", "-f", file ?? "-"];
    const out = await run(runner, argv, file ? undefined : script);
    if (out.exitCode !== 0) throw new BackendError("apply", `${argv.join(" ")} exited ${out.exitCode}: ${out.stderr.trim() || out.stdout.trim()}`);
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `script` in a file in a new directory only this process can use (mkdtemp makes it 0700:
 * nobody else can swap the file). Without a writable temporary directory (a read-only root
 * filesystem) the file is null: stdin works too, it only overlaps less with the caller's work.
 */
function privateFile(script: string): { dir: string | null; file: string | null } {
  let dir: string | null = null;
  try {
    dir = mkdtempSync(join(tmpdir(), "kube-proxy-nft-"));
    const file = join(dir, "batch.nft");
    writeFileSync(file, script, { mode: 0o600 });
    return { dir, file };
  } catch {
    return { dir, file: null };
  }
}

/** Runs nft; a runner that cannot start it at all becomes a BackendError too, so callers see one error type. */
async function run(runner: Runner, argv: string[], stdin?: string) {
  try {
    return await runner(argv, stdin);
  } catch (e) {
    throw new BackendError("apply", `cannot run ${argv.slice(0, 2).join(" ")}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
