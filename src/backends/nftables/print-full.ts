/**
 * A full sync's script printed straight from the model: the text that renderFull's transaction
 * prints, without the element store and the transaction's checks in between (at 1k Services x
 * 10 they were two thirds of a cold render: bun run bench B1). Simple ServicePorts are printed
 * without building their elements (print-simple-port.ts), the others from their contributions.
 * The backend hands this text to nft first and builds the store and the checked transaction
 * while the kernel has it, then compares the two texts (applyPrintedFull). Every address, port
 * and protocol in it was parsed and printed again, as in the checked path.
 */
import type { Logger } from "../../lib/log.ts";
import type { ProxyState } from "../../model/proxy-state.ts";
import { refusedBeforeNft, type NftClient } from "./client.ts";
import { ClaimTable, elementId } from "./element-claims.ts";
import { isNftError, type NftError } from "./nft-error.ts";
import type { GroupId } from "./names.ts";
import { simplePort, type ElementRecord } from "./print-simple-port.ts";
import type { RenderContext } from "./render-context.ts";
import { servicePortElements, type ServicePortElements, type SkippedItem } from "./render-service.ts";
import { byService, distinctGroups, renderFull, renderFullHead, type SyncRender } from "./render-sync.ts";
import { addedElementText, ELEMENT_BATCH_MAX, keyText, pickText } from "./script.ts";
import type { Transaction } from "./transaction.ts";

/** One ServicePort's elements as records, in the order its contribution lists them. */
interface PortRecords {
  owner: string;
  elements: ElementRecord[];
}

/** `c`'s elements as records: each with the endpoint picks of the runs anchored on it. */
function recordsOf(c: ServicePortElements): PortRecords {
  const elements = c.elements.map((e): ElementRecord => {
    const picks: ElementRecord["picks"] = [];
    for (const run of c.runs) {
      if (run.anchor !== e) continue;
      // A pick prints as the element pickElement makes: the run's key, the pick, the endpoint.
      const key = keyText(run.key);
      picks.push({ map: run.map, texts: run.targets.map((t, j) => pickText(key, j, t.ip, t.port)) });
    }
    return { id: elementId(e), container: e.container, text: addedElementText(e), picks };
  });
  return { owner: c.owner, elements };
}

/**
 * The element texts of `ports` per container, as the element store lists them after a fill:
 * each key once, resolved by the store's ClaimTable, every dispatch element followed by its
 * endpoint picks, containers in order of first use.
 */
function elementTexts(ports: readonly PortRecords[]): Map<string, string[]> {
  const claims = new ClaimTable<ElementRecord>();
  for (const p of ports) for (const e of p.elements) claims.claim(e.id, p.owner, e);
  const texts = new Map<string, string[]>();
  const listOf = (container: string) => {
    let list = texts.get(container);
    if (!list) texts.set(container, (list = []));
    return list;
  };
  for (const p of ports) {
    for (const e of p.elements) {
      if (claims.contested && claims.effective(e.id) !== e) continue;
      listOf(e.container).push(e.text);
      for (const pick of e.picks) for (const t of pick.texts) listOf(pick.map).push(t);
    }
  }
  return texts;
}

/** `head` (renderFullHead) and the elements of `ports` as one script. */
function scriptOf(head: Transaction, ports: readonly PortRecords[]): string {
  let script = head.toScript();
  const where = `${head.family} ${head.table}`;
  for (const [container, list] of elementTexts(ports)) {
    for (let i = 0; i < list.length; i += ELEMENT_BATCH_MAX) {
      script += `add element ${where} ${container} { ${list.slice(i, i + ELEMENT_BATCH_MAX).join(", ")} }\n`;
    }
  }
  return script;
}

/** A full sync's script, with what the log and the stats want of it. */
export interface PrintedFull {
  script: string;
  counts: { servicePorts: number; endpoints: number };
  skipped: SkippedItem[];
}

/**
 * The script of a full sync of `state`: byte for byte what renderFull's transaction prints when
 * that transaction passes its checks (print-full.test.ts holds the two side by side). Simple
 * ServicePorts are printed directly (print-simple-port.ts), the others from their
 * contributions. Throws NftError when the head's checks refuse it.
 */
export function printFull(state: ProxyState, ctx: RenderContext): PrintedFull {
  const ports: PortRecords[] = [];
  const groups: GroupId[] = [];
  const others: ServicePortElements[] = [];
  const skipped: SkippedItem[] = [];
  const counts = { servicePorts: 0, endpoints: 0 };
  for (const [, sps] of byService(state.servicePorts)) {
    for (const sp of sps) {
      const simple = simplePort(sp, ctx);
      if (simple) {
        ports.push({ owner: sp.id, elements: simple.elements });
        groups.push(simple.group);
        counts.servicePorts++;
        counts.endpoints += simple.endpoints;
        continue;
      }
      const c = servicePortElements(sp, ctx);
      ports.push(recordsOf(c));
      groups.push(...c.groups);
      others.push(c);
      skipped.push(...c.skipped);
      if (c.rendered) (counts.servicePorts++, (counts.endpoints += c.endpoints));
    }
  }
  return { script: scriptOf(renderFullHead(ctx, distinctGroups(groups), others).tx, ports), counts, skipped };
}

/** How long after a printed full sync its checked render is made (see `settled`). */
const SETTLE_DELAY_MS = 100;

/** What a full sync applied from its printed script leaves to do. */
export interface PrintedFullSync {
  scriptBytes: number;
  counts: { servicePorts: number; endpoints: number };
  skipped: SkippedItem[];
  /**
   * The checked render of the same contributions, made once nft has the script (SETTLE_DELAY_MS
   * later): resolves to it when the kernel holds what it says, else null (the
   * texts differed and its own apply failed, or its checks refused it: the next sync must be
   * full). Never rejects; what went wrong is logged.
   */
  settled: Promise<SyncRender | null>;
}

/** Where two texts first differ, for the log. */
function firstDifference(a: string, b: string): { at: number; printed: string; checked: string } {
  let at = 0;
  while (at < a.length && a[at] === b[at]) at++;
  return { at, printed: a.slice(Math.max(0, at - 40), at + 80), checked: b.slice(Math.max(0, at - 40), at + 80) };
}

/** How a printed script compares with its checked render: the same, different (where), or refused by the checks. */
export type PrintedCheck = { render: SyncRender; refused: null; difference: ReturnType<typeof firstDifference> | null } | { render: SyncRender; refused: NftError; difference: null };

/**
 * The checked render of `state` (renderFull) beside the script printed for it: what the settle
 * step below and the cold pipeline's first batch (cold-pipeline.ts) each do with the outcome.
 * Pure.
 */
export function checkPrinted(state: ProxyState, ctx: RenderContext, script: string): PrintedCheck {
  const render = renderFull(state, ctx);
  if (render.tx.error) return { render, refused: render.tx.error, difference: null };
  const checked = render.tx.toScript();
  return { render, refused: null, difference: checked === script ? null : firstDifference(script, checked) };
}

/**
 * Applies a full sync of `state` from its printed script (`print`: printFull, which tests
 * replace), then builds the checked render while the kernel holds it (`settled`). Throws
 * BackendError("apply") when the script cannot be printed (a head the checks refuse) or nft
 * refuses it, as client.apply does.
 */
export async function applyPrintedFull(
  state: ProxyState,
  ctx: RenderContext,
  client: Pick<NftClient, "apply"> & Required<Pick<NftClient, "applyScript">>,
  log?: Logger,
  print: typeof printFull = printFull,
): Promise<PrintedFullSync> {
  let printed: PrintedFull;
  try {
    printed = print(state, ctx);
  } catch (e) {
    throw isNftError(e) ? refusedBeforeNft(e) : e;
  }
  const { script, counts, skipped } = printed;
  const { scriptBytes } = await client.applyScript(script);
  const settled = (async (): Promise<SyncRender | null> => {
    // A while after the sync has been reported: this takes the event loop for tens of ms (at 1k
    // Services), and the /readyz that can now say yes, and the proxier's bookkeeping, go first.
    // The next sync waits for it, and it starts no sooner than --min-sync-period after this one.
    await new Promise((resolve) => setTimeout(resolve, SETTLE_DELAY_MS));
    const { render, refused, difference } = checkPrinted(state, ctx, script);
    if (refused) {
      log?.error("A full sync's checked transaction refused what its printed script applied; the next sync is a full one", { family: state.family, err: refused });
      return null;
    }
    if (!difference) return render;
    log?.error("A full sync's printed script differed from its checked transaction; applying the checked one", { family: state.family, ...difference });
    try {
      await client.apply(render.tx);
      return render;
    } catch (e) {
      log?.error("Applying the checked transaction failed; the next sync is a full one", { family: state.family, err: e });
      return null;
    }
  })();
  return { scriptBytes, counts, skipped, settled };
}
