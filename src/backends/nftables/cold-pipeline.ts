/**
 * The first sync into a node that has no `kube-proxy` table yet (a cold start), as a pipeline:
 * the first batch of Services is rendered and handed to nft, and while nft loads it (a process
 * of its own, on another core) the next batch is rendered, and so on. The first batch creates
 * the table the way a full sync does; each later one adds its Services onto it (renderAppend),
 * so the end state is the one a single full sync builds (the same renderers and element store).
 *
 * Why: at 10k Services x 10 endpoints rendering takes about half as long as nft's load, and done
 * one after the other they added up (bun run bench B1). The cost is that during a cold start
 * Services appear batch by batch instead of all at once; nothing was there before, so no
 * traffic loses anything. A table that exists (a restart) is always replaced in one transaction.
 */
import { serviceKeyOf, type ProxyState, type ServicePortState } from "../../model/proxy-state.ts";
import { collectYoungGarbage } from "../../lib/heap.ts";
import type { NftClient } from "./client.ts";
import type { RenderContext } from "./render-context.ts";
import { renderAppend, renderFull, type SyncRender } from "./render-sync.ts";

/** Batch sizes in ServicePorts: a small first batch starts nft early; later ones keep it busy. */
export interface ColdBatches {
  first: number;
  rest: number;
}

/** Pipelining pays only when there is more than one batch of work behind the first. */
export const DEFAULT_COLD_BATCHES: ColdBatches = { first: 1000, rest: 2500 };

/** True when `state` is big enough to be loaded in batches. */
export function worthPipelining(state: ProxyState, batches: ColdBatches): boolean {
  return state.servicePorts.length > batches.first + batches.rest;
}

/**
 * Splits the ServicePorts (a Service's ports are adjacent: they are sorted by id) into batches
 * of whole Services: the first of about `first` ServicePorts, the others of about `rest`.
 */
export function coldBatchesOf(ports: readonly ServicePortState[], batches: ColdBatches): ServicePortState[][] {
  const out: ServicePortState[][] = [];
  let current: ServicePortState[] = [];
  let lastKey = "";
  for (const sp of ports) {
    const key = serviceKeyOf(sp);
    const limit = out.length === 0 ? batches.first : batches.rest;
    if (current.length >= limit && key !== lastKey) {
      out.push(current);
      current = [];
    }
    current.push(sp);
    lastKey = key;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/**
 * Renders and applies `state` batch by batch, one nft process per batch, rendering the next
 * batch while nft loads the previous. Returns the final render (store and groups as a single
 * full sync would leave them) and the bytes sent. Throws the first apply's BackendError; the
 * table may then hold some batches, and the caller's next sync must be a full one.
 */
export async function applyColdPipeline(state: ProxyState, ctx: RenderContext, client: NftClient, batches: ColdBatches): Promise<{ render: SyncRender; scriptBytes: number }> {
  const [first = [], ...rest] = coldBatchesOf(state.servicePorts, batches);
  const { index: _whole, ...plain } = state;
  let render = renderFull({ ...plain, servicePorts: first }, ctx);
  const skipped = [...render.skipped];
  let inflight = client.apply(render.tx, { viaFile: true });
  let scriptBytes = 0;
  try {
    for (const batch of rest) {
      const next = renderAppend(batch, ctx, render.store, render.present);
      skipped.push(...next.skipped);
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
