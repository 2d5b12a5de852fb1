/**
 * The one interface every rule backend implements. The sync runner owns when; a backend owns how:
 * it turns a ProxyState into one atomic transaction per family and applies it.
 */
import type { ProxyState } from "../model/proxy-state.ts";

export type ProxyMode = "nftables" | "iptables";

/** Why a backend call failed: `apply` (the kernel refused the transaction), `unsupported` (not on this host). */
export class BackendError extends Error {
  constructor(
    readonly kind: "apply" | "unsupported",
    message: string,
  ) {
    super(message);
    this.name = "BackendError";
  }
}

export function isBackendError(e: unknown, kind?: BackendError["kind"]): e is BackendError {
  return e instanceof BackendError && (kind === undefined || e.kind === kind);
}

/** Counts a sync reports, for logs and metrics. */
export interface SyncStats {
  servicePorts: number;
  endpoints: number;
  /** Bytes of rule text sent to the kernel. */
  scriptBytes: number;
  /** True when the whole table was rewritten, false for a partial sync. */
  full?: boolean;
}

export interface Backend {
  readonly mode: ProxyMode;
  /**
   * Makes the kernel's rules equal `state` in one atomic transaction; throws BackendError("apply")
   * and changes nothing on failure. `changed` (Service keys `namespace/name`) allows a partial
   * sync that touches only those Services; null or absent asks for a full sync. A backend may
   * always choose a full sync (first sync, after a failure, when node-wide settings changed).
   */
  sync(state: ProxyState, changed?: ReadonlySet<string> | null): Promise<SyncStats>;
  /** Removes everything this backend owns (`--cleanup`); throws BackendError on failure. */
  cleanup(): Promise<void>;
  /**
   * Checks that nobody removed the rules behind the proxy's back (iptables: the KUBE-PROXY-CANARY
   * chains, as upstream); true means they are gone and the next sync must be full. Optional:
   * nftables owns its table and has no such check, as upstream.
   */
  watchdog?(): Promise<boolean>;
  /**
   * Resolves once the follow-up work a sync started after committing is done (nftables: the
   * transaction that deletes group chains the sync left unused). Optional: absent means none.
   */
  idle?(): Promise<void>;
  /** Ends processes the backend keeps running between syncs (nftables: `nft -i`). Optional. */
  close?(): void;
}
