/**
 * The first sync into a node that has no `kube-proxy` table yet (a cold start), as a pipeline:
 * the first batch of Services is printed (print-full.ts) and handed to nft, and while nft loads
 * it (a process of its own, on another core) its element store is built and the next batch is
 * rendered onto it, and so on. The first batch creates the table the way a full sync does; each
 * later one adds its Services onto it (renderAppend), so the end state is the one a single full
 * sync builds (the same renderers and element store).
 *
 * Why: at 10k Services x 10 endpoints rendering takes about half as long as nft's load, and done
 * one after the other they added up (bun run bench B1). The model is staged the same way: a
 * batch's Services are built when the batch is pulled (ProxyState.staged). The cost is that during a cold start
 * Services appear batch by batch instead of all at once; nothing was there before, so no
 * traffic loses anything. A table that exists (a restart) is always replaced in one transaction.
 */
import { stagesOf, type ProxyState, type ServicePortState } from "../../model/proxy-state.ts";
import { collectYoungGarbage } from "../../lib/heap.ts";
import type { Logger } from "../../lib/log.ts";
import type { ApplyResult, NftClient } from "./client.ts";
import { BackendError } from "../backend.ts";
import { isNftError } from "./nft-error.ts";
import { checkPrinted, printFull, type PrintedFull } from "./print-full.ts";
import type { RenderContext } from "./render-context.ts";
import { renderAppend, renderFull, type SyncRender } from "./render-sync.ts";

/** Batch sizes in ServicePorts: a small first batch starts nft early; later ones keep it busy. */
export interface ColdBatches {
  first: number;
  rest: number;
}

/** Pipelining pays only when there is more than one batch of work behind the first. */
export const DEFAULT_COLD_BATCHES: ColdBatches = { first: 500, rest: 2500 };

/**
 * True when `state` is big enough to be loaded in batches. A staged state (StateMemo's full
 * rebuild) is judged by its Services, without building them.
 */
export function worthPipelining(state: ProxyState, batches: ColdBatches): boolean {
  return (state.staged ? state.staged.services : state.servicePorts.length) > batches.first + batches.rest;
}

/**
 * Batches of whole Services from `stages` (one Service's ServicePorts each): the first of about
 * `first` ServicePorts, the others of about `rest`. Lazy: a staged state builds a batch's
 * Services when the batch is pulled, so the model of the later ones is built while nft loads.
 */
export function* coldBatches(stages: Iterable<readonly ServicePortState[]>, batches: ColdBatches): Generator<ServicePortState[]> {
  let current: ServicePortState[] = [];
  let limit = batches.first;
  for (const ports of stages) {
    for (const sp of ports) current.push(sp);
    if (current.length >= limit) {
      yield current;
      current = [];
      limit = batches.rest;
    }
  }
  if (current.length > 0) yield current;
}

/** printFull's text, or null when the checks of its head refuse it (the checked path then reports it). */
function printedOrNull(state: ProxyState, ctx: RenderContext): PrintedFull | null {
  try {
    return printFull(state, ctx);
  } catch (e) {
    if (isNftError(e)) return null;
    throw e;
  }
}

/**
 * Renders and applies `state` batch by batch, one nft process per batch, rendering the next
 * batch while nft loads the previous. Returns the final render (store and groups as a single
 * full sync would leave them) and the bytes sent. Throws the first apply's BackendError; the
 * table may then hold some batches, and the caller's next sync must be a full one.
 */
export async function applyColdPipeline(state: ProxyState, ctx: RenderContext, client: NftClient, batches: ColdBatches, log?: Logger): Promise<{ render: SyncRender; scriptBytes: number }> {
  // Pulling a batch builds its Services' model (a staged state): the first batch's alone before
  // nft starts, each later one's while nft loads the one before.
  const pending = coldBatches(stagesOf(state), batches);
  const first = pending.next();
  const firstState: ProxyState = { family: state.family, node: state.node, servicePorts: first.done ? [] : first.value };
  let render: SyncRender;
  let inflight: Promise<ApplyResult>;
  let scriptBytes = 0;
  const printed = client.applyScript ? printedOrNull(firstState, ctx) : null;
  if (client.applyScript && printed) {
    // The first batch goes to nft as printed text (print-full.ts); its element store and checked
    // transaction, which the next batch is rendered onto, are made while nft loads it.
    inflight = client.applyScript(printed.script, { viaFile: true });
    const check = checkPrinted(firstState, ctx, printed.script);
    render = check.render;
    if (check.refused) {
      // What the checked path refuses fails the sync, as it would have before nft ran.
      await inflight.catch(() => {});
      throw new BackendError("apply", `nft transaction refused (${check.refused.kind}): ${check.refused.message}`);
    }
    if (check.difference) {
      log?.error("A cold start's printed first batch differed from its checked transaction; applying the checked one", { family: state.family, ...check.difference });
      scriptBytes += (await inflight).scriptBytes;
      inflight = client.apply(render.tx, { viaFile: true });
    }
  } else {
    render = renderFull(firstState, ctx);
    inflight = client.apply(render.tx, { viaFile: true });
  }
  const skipped = [...render.skipped];
  try {
    for (const batch of pending) {
      const next = renderAppend(batch, ctx, render.store, render.present);
      skipped.push(...next.skipped);
      // Its text now, while nft still loads the previous batch: printed after the wait, it
      // kept nft idle 12-17 ms per batch at 10k x 10 (the transaction keeps the text).
      if (!next.tx.error) next.tx.toScript();
      scriptBytes += (await inflight).scriptBytes;
      inflight = client.apply(next.tx, { viaFile: true });
      render = next;
      // The previous batch's transaction and script are garbage now; collecting them while nft
      // loads this batch keeps the heap from growing by a batch's worth each time (the heap JSC
      // grows is not given back; bun run bench B4).
      collectYoungGarbage();
    }
    scriptBytes += (await inflight).scriptBytes;
  } finally {
    // A failed batch must not leave a later one running unobserved.
    await inflight.catch(() => {});
  }
  // Nothing became unused: every batch only added Services.
  return { render: { ...render, unused: [], skipped }, scriptBytes };
}
