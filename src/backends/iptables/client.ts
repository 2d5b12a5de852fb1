/**
 * Applies restore scripts to the kernel and reads them back, through the Runner seam: one
 * `iptables-restore --noflush -w` (or ip6tables-restore) per script, so each table's block is
 * one atomic commit. Also tells which iptables is in use (nf_tables or legacy).
 */
import { BackendError } from "../backend.ts";
import type { Runner } from "../../lib/exec.ts";
import type { IPFamily } from "../../lib/ip.ts";

export type IptablesVariant = "nf_tables" | "legacy";

export interface IptablesClient {
  readonly family: IPFamily;
  /** Applies restore text atomically; throws BackendError("apply") with the tool's stderr on refusal. */
  restore(text: string): Promise<void>;
  /** iptables-save of one table (or all). */
  save(table?: string): Promise<string>;
  /** Which kernel interface this iptables drives, from `--version`. */
  variant(): Promise<IptablesVariant>;
}

/** Seconds to wait for the xtables lock, as upstream's `-w`. */
const LOCK_WAIT_SECONDS = "5";

export function createIptablesClient(runner: Runner, family: IPFamily): IptablesClient {
  const bin = family === "IPv4" ? "iptables" : "ip6tables";
  return {
    family,
    async restore(text) {
      let r;
      try {
        r = await runner([`${bin}-restore`, "--noflush", "-w", LOCK_WAIT_SECONDS], text);
      } catch (e) {
        throw new BackendError("apply", `${bin}-restore could not be started: ${(e as Error).message}`);
      }
      if (r.exitCode !== 0) throw new BackendError("apply", `${bin}-restore failed (exit ${r.exitCode}): ${r.stderr.trim()}`);
    },
    async save(table) {
      const r = await runner([`${bin}-save`, ...(table ? ["-t", table] : [])]);
      if (r.exitCode !== 0) throw new BackendError("apply", `${bin}-save failed: ${r.stderr.trim()}`);
      return r.stdout;
    },
    async variant() {
      const r = await runner([bin, "--version"]);
      return /legacy/.test(r.stdout) ? "legacy" : "nf_tables";
    },
  };
}
