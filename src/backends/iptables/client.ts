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

/** How a restore waits out another program holding the xtables lock (legacy iptables). */
export interface LockRetry {
  /** Further attempts after the first; default 3. */
  attempts?: number;
  /** Base pause between attempts, jittered by up to 100%; default 200 ms. */
  pauseMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Told how long a restore spent waiting for the lock (pauses between attempts), for a metric. */
  onLockWait?: (ms: number) => void;
}

/** iptables exits 4 (resource problem) when it could not get the xtables lock within -w. */
const isLockFailure = (exitCode: number, stderr: string) => exitCode === 4 && /xtables lock|holding the lock|Resource temporarily unavailable/i.test(stderr);

/**
 * The tool names for a family and variant: `iptables-nft-restore`, `ip6tables-legacy-save`, ...;
 * without a variant, the plain names the system's alternatives point at.
 */
export function toolName(family: IPFamily, variant: IptablesVariant | null): string {
  const base = family === "IPv4" ? "iptables" : "ip6tables";
  return variant === null ? base : `${base}-${variant === "nf_tables" ? "nft" : "legacy"}`;
}

export function createIptablesClient(runner: Runner, family: IPFamily, retry: LockRetry = {}, variant: IptablesVariant | null = null): IptablesClient {
  const bin = toolName(family, variant);
  const attempts = retry.attempts ?? 3;
  const sleep = retry.sleep ?? ((ms: number) => Bun.sleep(ms));
  const random = retry.random ?? Math.random;
  return {
    family,
    async restore(text) {
      let waited = 0;
      for (let attempt = 0; ; attempt++) {
        let r;
        try {
          r = await runner([`${bin}-restore`, "--noflush", "-w", LOCK_WAIT_SECONDS], text);
        } catch (e) {
          throw new BackendError("apply", `${bin}-restore could not be started: ${(e as Error).message}`);
        }
        if (r.exitCode === 0) {
          if (waited > 0) retry.onLockWait?.(waited);
          return;
        }
        if (!isLockFailure(r.exitCode, r.stderr) || attempt >= attempts) {
          if (waited > 0) retry.onLockWait?.(waited);
          throw new BackendError("apply", `${bin}-restore failed (exit ${r.exitCode}): ${r.stderr.trim()}`);
        }
        const pause = Math.round((retry.pauseMs ?? 200) * (1 + random()));
        waited += pause;
        await sleep(pause);
      }
    },
    async save(table) {
      const r = await runner([`${bin}-save`, ...(table ? ["-t", table] : [])]);
      if (r.exitCode !== 0) throw new BackendError("apply", `${bin}-save failed: ${r.stderr.trim()}`);
      return r.stdout;
    },
    async variant() {
      if (variant !== null) return variant;
      const r = await runner([bin, "--version"]);
      return /legacy/.test(r.stdout) ? "legacy" : "nf_tables";
    },
  };
}
