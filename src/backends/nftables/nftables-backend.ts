/**
 * The nftables Backend for one IP family. It keeps the applied state in memory (element store
 * and the group chains present), so a sync never lists the kernel. A full sync replaces table
 * `kube-proxy` whole: at the first sync, after a failed apply, when node-wide facts changed, or
 * when the caller asks. Otherwise only the changed Services' elements move, and group chains
 * that fell out of use are deleted in a separate transaction right after the sync's own, off
 * the sync's path (the next sync waits for it).
 */
import type { Backend, SyncStats } from "../backend.ts";
import type { IPFamily } from "../../lib/ip.ts";
import type { Runner } from "../../lib/exec.ts";
import type { Logger } from "../../lib/log.ts";
import type { ProxyState } from "../../model/proxy-state.ts";
import { DEFAULT_NODE_FACTS } from "../../model/proxy-state.ts";
import { BackendError } from "../backend.ts";
import { createNftClient, type NftClient } from "./client.ts";
import { applyColdPipeline, DEFAULT_COLD_BATCHES, worthPipelining, type ColdBatches } from "./cold-pipeline.ts";
import type { ElementStore } from "./element-store.ts";
import type { GroupId } from "./names.ts";
import type { NftFamily } from "./objects.ts";
import { contextFingerprint, DEFAULT_MASQUERADE_BIT, renderContext, type RenderContext } from "./render-context.ts";
import { applyPrintedFull } from "./print-full.ts";
import type { SkippedItem } from "./render-service.ts";
import { renderFull, renderPartial, renderStaleCleanup, type PresentGroups, type SyncRender } from "./render-sync.ts";

/** Options of the renderers that come from configuration. */
export interface RenderOptions {
  /** Bit of the packet mark that requests masquerade (default 14, i.e. 0x4000). */
  masqueradeBit?: number;
}

/** What the nftables backend is built from. `client` replaces the real nft (tests pass the fake). */
export interface NftablesBackendOptions extends RenderOptions {
  runner: Runner;
  client?: NftClient;
  log?: Logger;
  /** Batch sizes of the cold-start pipeline (cold-pipeline.ts); tests make them small. */
  coldBatches?: ColdBatches;
}

const FAMILIES: readonly NftFamily[] = ["ip", "ip6"];

interface Applied {
  family: IPFamily;
  fingerprint: string;
  store: ElementStore;
  present: PresentGroups;
  /** Groups that fell out of use in an earlier sync, to delete in a later transaction. */
  unused: GroupId[];
}

/**
 * Creates the backend; starts nothing. `sync` throws BackendError("apply") when nft refuses the
 * transaction (the kernel keeps the previous table, and the next sync is a full one); `cleanup`
 * deletes `ip kube-proxy` and `ip6 kube-proxy` where present and throws BackendError("apply")
 * naming each family that failed.
 */
export function createNftablesBackend(options: NftablesBackendOptions): Backend {
  const log = options.log?.with("nftables");
  const client = options.client ?? createNftClient(options.runner, { onSessionUnavailable: (reason) => log?.warn("nft -i cannot run here; every transaction goes to its own nft -f", { reason }) });
  let applied: Applied | null = null;
  /** Only the first sync of a process can find the node without our table. */
  let firstSync = true;
  /** The unused-group transaction started after the last sync; the next sync (or cleanup) waits for it. */
  let pendingCleanup: Promise<void> = Promise.resolve();

  const cleanupUnused = async (a: Applied, ctx: ReturnType<typeof renderContext>): Promise<void> => {
    if (a.unused.length === 0) return;
    const r = renderStaleCleanup(ctx, a.unused, a.store, a.present);
    a.unused = [];
    if (!r) return;
    try {
      if (r.tx.operations.length > 0) await client.apply(r.tx);
      a.present = r.present;
    } catch (e) {
      // Harmless leftovers: unused chains and maps; a later full sync drops them.
      log?.warn("Deleting unused group chains failed; they stay until the next full sync", { family: a.family, err: e });
    }
  };

  const warnSkipped = (skipped: readonly SkippedItem[]) => {
    for (const s of skipped) log?.warn("Skipping invalid model value", { servicePort: s.servicePort, reason: s.reason });
  };

  /** A full sync applied from its printed script; `applied` is set once its checked render has settled. */
  const syncPrinted = async (state: ProxyState, ctx: RenderContext, fingerprint: string): Promise<SyncStats> => {
    const started = performance.now();
    const printed = await applyPrintedFull(state, ctx, { apply: client.apply, applyScript: client.applyScript! }, log);
    warnSkipped(printed.skipped);
    pendingCleanup = printed.settled.then((render) => {
      if (render) applied = { family: state.family, fingerprint, store: render.store, present: render.present, unused: [] };
    });
    const { counts, scriptBytes } = printed;
    log?.info("Synced nftables rules", { family: state.family, full: true, coldBatches: false, servicePorts: counts.servicePorts, endpoints: counts.endpoints, scriptBytes, printAndApply: `${(performance.now() - started).toFixed(1)}ms` }, 2);
    return { ...counts, scriptBytes, full: true };
  };

  return {
    mode: "nftables",
    async sync(state: ProxyState, changed?: ReadonlySet<string> | null): Promise<SyncStats> {
      const ctx = renderContext(state.family, options.masqueradeBit ?? DEFAULT_MASQUERADE_BIT, state.node ?? DEFAULT_NODE_FACTS);
      const fingerprint = contextFingerprint(ctx);
      await pendingCleanup;
      const prev = applied;
      const partial = prev !== null && changed != null && prev.fingerprint === fingerprint && prev.family === state.family;
      // The store is updated in place while rendering; forget it until the apply succeeded.
      applied = null;
      const batches = options.coldBatches ?? DEFAULT_COLD_BATCHES;
      const cold = firstSync && !partial && worthPipelining(state, batches) && !(await client.hasTable(ctx.family));
      firstSync = false;
      // A full sync that is not pipelined goes to nft as soon as its text is printed; its
      // element store is built while the kernel has it (print-full.ts; the next sync waits).
      if (!cold && !partial && client.applyScript) return syncPrinted(state, ctx, fingerprint);
      // A cold start renders and applies batch by batch; otherwise the apply follows the warnings.
      let render: SyncRender;
      let scriptBytes = 0;
      // Where a sync's time goes, for the log (a cold pipeline's render and nft overlap).
      const started = performance.now();
      if (cold) ({ render, scriptBytes } = await applyColdPipeline(state, ctx, client, batches, log));
      else render = partial ? renderPartial(state, ctx, changed, prev.store, prev.present) : renderFull(state, ctx);
      const rendered = performance.now();
      warnSkipped(render.skipped);
      // Nothing changed: no process at all (an empty script is not worth a transaction).
      if (!cold && (render.tx.operations.length > 0 || render.tx.error)) ({ scriptBytes } = await client.apply(render.tx));
      const ms = (t: number) => `${t.toFixed(1)}ms`;
      const timing = cold ? { renderAndApply: ms(rendered - started) } : { render: ms(rendered - started), apply: ms(performance.now() - rendered) };
      const now: Applied = { family: state.family, fingerprint, store: render.store, present: render.present, unused: render.unused };
      applied = now;
      // Deleting the emptied groups in the sync's own transaction trips nft 1.0.6 ("conflicting
      // protocols specified"), so they go in a second one. It runs after this sync has committed,
      // so a change's latency does not include it (bun run bench B2, "new Service").
      if (now.unused.length > 0) pendingCleanup = cleanupUnused(now, ctx);
      const counts = render.store.counts();
      log?.info("Synced nftables rules", { family: state.family, full: !partial, coldBatches: cold, servicePorts: counts.servicePorts, endpoints: counts.endpoints, scriptBytes, ...timing }, 2);
      return { ...counts, scriptBytes, full: !partial };
    },
    idle(): Promise<void> {
      return pendingCleanup;
    },
    close(): void {
      client.close();
    },
    async cleanup(): Promise<void> {
      await pendingCleanup;
      applied = null;
      const failures: string[] = [];
      // Each family on its own: a failure in one must not keep the other's rules in place.
      for (const family of FAMILIES) {
        try {
          await client.deleteTable(family);
        } catch (e) {
          failures.push(`${family}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      // A cleanup is a backend's last act (--cleanup, or the other mode's rules at start-up).
      client.close();
      if (failures.length > 0) throw new BackendError("apply", `nftables cleanup failed: ${failures.join("; ")}`);
      log?.info("Deleted nftables tables", { tables: FAMILIES.map((f) => `${f} kube-proxy`) });
    },
  };
}
