/**
 * One Backend per IP family behind the one Backend interface: a sync is routed by the state's
 * family, and cleanup runs for every family (all of them tried, failures reported together).
 */
import type { IPFamily } from "../lib/ip.ts";
import type { ProxyState } from "../model/proxy-state.ts";
import { BackendError, type Backend, type SyncStats } from "./backend.ts";

/** Routes each family's sync to its own backend. Throws BackendError("unsupported") for a family it has none for. */
export function createDualStackBackend(perFamily: Partial<Record<IPFamily, Backend>>): Backend {
  const backends = Object.values(perFamily).filter((b): b is Backend => b !== undefined);
  const first = backends[0];
  if (!first) throw new BackendError("unsupported", "dual-stack backend needs at least one family");
  const watched = [...new Set(backends)].filter((b) => b.watchdog);
  return {
    mode: first.mode,
    sync(state: ProxyState, changed?: ReadonlySet<string> | null): Promise<SyncStats> {
      const b = perFamily[state.family];
      if (!b) return Promise.reject(new BackendError("unsupported", `no backend for ${state.family}`));
      return b.sync(state, changed);
    },
    // Only backends with a check of their own (iptables) get one; nftables then runs no timer.
    ...(watched.length > 0 ? { watchdog: async () => (await Promise.all(watched.map((b) => b.watchdog!()))).some(Boolean) } : {}),
    async idle(): Promise<void> {
      await Promise.all([...new Set(backends)].map((b) => b.idle?.()));
    },
    close(): void {
      for (const b of new Set(backends)) b.close?.();
    },
    async cleanup(): Promise<void> {
      // Backends that share one kernel object set (nftables: both tables) clean once.
      const unique = [...new Set(backends)];
      const errors: string[] = [];
      for (const b of unique) await b.cleanup().catch((e: Error) => errors.push(e.message));
      if (errors.length > 0) throw new BackendError("apply", errors.join("; "));
    },
  };
}
