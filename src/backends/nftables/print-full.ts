/**
 * A full sync's script printed straight from the ServicePorts' contributions: the text that
 * renderFull's transaction prints, without the element store and the transaction's checks in
 * between (at 1k Services x 10 they were two thirds of a cold render: bun run bench B1). The
 * backend hands this text to nft first and builds the store and the checked transaction while
 * the kernel has it, then compares the two texts (nftables-backend.ts). Every value in it was
 * parsed and printed again by servicePortElements, as in the checked path.
 */
import type { Logger } from "../../lib/log.ts";
import type { ProxyState } from "../../model/proxy-state.ts";
import { BackendError } from "../backend.ts";
import type { NftClient } from "./client.ts";
import { elementId } from "./element-claims.ts";
import { isNftError } from "./nft-error.ts";
import { partText, type ElementObject } from "./objects.ts";
import type { RenderContext } from "./render-context.ts";
import type { ServicePortElements, SkippedItem } from "./render-service.ts";
import { fullContributions, renderFullHead, renderFullOf, type SyncRender } from "./render-sync.ts";
import { addedElementText, ELEMENT_BATCH_MAX } from "./script.ts";
import type { Transaction } from "./transaction.ts";

/** The key of one element per contested id: the lowest ServicePort id's, its last one (as ClaimTable resolves it). */
interface Claim {
  owner: string;
  element: ElementObject;
}

/**
 * The elements `entries` put in the table, as the element store lists them after a fill: each
 * key once (the lowest ServicePort id's element; an owner's later duplicate replaces its
 * earlier one), every dispatch element followed by its endpoint picks, grouped by container in
 * order of first use. Returns the element texts per container.
 */
function elementTexts(entries: readonly [string, readonly ServicePortElements[]][]): Map<string, string[]> {
  const claims = new Map<string, Claim>();
  const ids: string[][] = [];
  let contested = false;
  for (const [, cs] of entries) {
    for (const c of cs) {
      const own = c.elements.map(elementId);
      ids.push(own);
      for (let i = 0; i < own.length; i++) {
        const claim = claims.get(own[i]!);
        if (!claim) claims.set(own[i]!, { owner: c.owner, element: c.elements[i]! });
        else if (c.owner <= claim.owner) ((contested = true), (claim.owner = c.owner), (claim.element = c.elements[i]!));
        else contested = true;
      }
    }
  }
  const texts = new Map<string, string[]>();
  const listOf = (container: string) => {
    let list = texts.get(container);
    if (!list) texts.set(container, (list = []));
    return list;
  };
  let n = 0;
  for (const [, cs] of entries) {
    for (const c of cs) {
      const own = ids[n++]!;
      for (let i = 0; i < own.length; i++) {
        const e = c.elements[i]!;
        if (contested && claims.get(own[i]!)!.element !== e) continue;
        listOf(e.container).push(addedElementText(e));
        for (const run of c.runs) {
          if (run.anchor !== e) continue;
          // A pick prints as the element pickElement makes: the run's key, the pick, the endpoint.
          let key = partText(run.key[0]!);
          for (let k = 1; k < run.key.length; k++) key += " . " + partText(run.key[k]!);
          const picks = listOf(run.map);
          for (let j = 0; j < run.targets.length; j++) picks.push(`${key} . ${j} : ${run.targets[j]!.ip} . ${run.targets[j]!.port}`);
        }
      }
    }
  }
  return texts;
}

/**
 * The script of a full sync whose transaction up to its elements is `head` (renderFullHead),
 * with the elements of `entries`: byte for byte what renderFullOf's transaction prints, when
 * that transaction passes its checks (print-full.test.ts holds the two side by side).
 */
export function printFullScript(head: Transaction, entries: readonly [string, readonly ServicePortElements[]][]): string {
  let script = head.toScript();
  const where = `${head.family} ${head.table}`;
  for (const [container, list] of elementTexts(entries)) {
    for (let i = 0; i < list.length; i += ELEMENT_BATCH_MAX) {
      script += `add element ${where} ${container} { ${list.slice(i, i + ELEMENT_BATCH_MAX).join(", ")} }\n`;
    }
  }
  return script;
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

/**
 * Applies a full sync of `state` from its printed script (`print`: printFullScript, which tests
 * replace), then builds the checked render while the kernel holds it (`settled`). Throws BackendError("apply") when the
 * script cannot be printed (a head the checks refuse) or nft refuses it, as client.apply does.
 */
export async function applyPrintedFull(
  state: ProxyState,
  ctx: RenderContext,
  client: Pick<NftClient, "apply"> & Required<Pick<NftClient, "applyScript">>,
  log?: Logger,
  print: typeof printFullScript = printFullScript,
): Promise<PrintedFullSync> {
  const contributions = fullContributions(state, ctx);
  const { tx: head } = renderFullHead(ctx, contributions.entries);
  let script: string;
  try {
    script = print(head, contributions.entries);
  } catch (e) {
    if (isNftError(e)) throw new BackendError("apply", `nft transaction refused before running nft (${e.kind}): ${e.message}`);
    throw e;
  }
  const { scriptBytes } = await client.applyScript(script);
  const counts = { servicePorts: 0, endpoints: 0 };
  for (const [, cs] of contributions.entries) for (const c of cs) if (c.rendered) (counts.servicePorts++, (counts.endpoints += c.endpoints));
  const settled = (async (): Promise<SyncRender | null> => {
    // A while after the sync has been reported: this takes the event loop for tens of ms (at 1k
    // Services), and the /readyz that can now say yes, and the proxier's bookkeeping, go first.
    // The next sync waits for it, and it starts no sooner than --min-sync-period after this one.
    await new Promise((resolve) => setTimeout(resolve, SETTLE_DELAY_MS));
    const render = renderFullOf(contributions, ctx);
    let checked: string;
    try {
      checked = render.tx.toScript();
    } catch (e) {
      log?.error("A full sync's checked transaction refused what its printed script applied; the next sync is a full one", { family: state.family, err: e });
      return null;
    }
    if (checked === script) return render;
    log?.error("A full sync's printed script differed from its checked transaction; applying the checked one", { family: state.family, ...firstDifference(script, checked) });
    try {
      await client.apply(render.tx);
      return render;
    } catch (e) {
      log?.error("Applying the checked transaction failed; the next sync is a full one", { family: state.family, err: e });
      return null;
    }
  })();
  return { scriptBytes, counts, skipped: contributions.skipped, settled };
}
