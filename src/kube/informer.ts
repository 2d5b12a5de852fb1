/**
 * An informer: keeps a validated cache of one resource equal to the API server's, and tells a
 * handler about every change. List (paginated), then watch from the list's resourceVersion with
 * bookmarks; when a watch ends, watch again from the last RV seen; on 410 Gone, relist and diff
 * against the cache so no deletion is lost; on other errors, back off with jitter.
 */
import type * as v from "valibot";
import type { Logger } from "../lib/log.ts";
import { isApiError } from "./api-error.ts";
import { createBackoff } from "./backoff.ts";
import type { ApiClient } from "./client.ts";
import { resourceVersionOf } from "./decode.ts";
import { InformerCache, type InformerHandler } from "./informer-cache.ts";
import { RESOURCES, type ResourceName } from "./schemas/index.ts";

export type { InformerHandler } from "./informer-cache.ts";

/** What an informer needs; `sleep` and `random` are injectable so tests control backoff. */
export interface InformerOptions<T> {
  client: ApiClient;
  resource: ResourceName;
  schema: v.GenericSchema<unknown, T>;
  labelSelector?: string;
  fieldSelector?: string;
  handler: InformerHandler<T>;
  log: Logger;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Items per list page (default 500). */
  pageSize?: number;
}

/** A running (or not yet started) informer. */
export interface Informer<T> {
  /** Starts listing and watching; calling it twice does nothing. */
  start(): void;
  /** Stops the loop and cancels the open request; resolves once nothing runs any more. */
  stop(): Promise<void>;
  /** True once the first list has been delivered. */
  readonly hasSynced: boolean;
  /** The resourceVersion the next watch would start from. */
  readonly resourceVersion: string;
  /** Keys of the cached (last good) objects, sorted. */
  cacheKeys(): string[];
  /** The cached (last good) object under `key`. */
  get(key: string): T | undefined;
}

/** Creates an informer. Starts nothing: call start(). */
export function createInformer<T>(opts: InformerOptions<T>): Informer<T> {
  const { client, resource, log } = opts;
  const kind = RESOURCES[resource].kind;
  const random = opts.random ?? Math.random;
  const sleep = opts.sleep ?? ((ms: number) => Bun.sleep(ms));
  const backoff = createBackoff({ random });
  const cache = new InformerCache(opts.schema, kind, opts.handler, log);
  const selectors = { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector };
  let synced = false;
  let rv = "";
  let running: Promise<void> | undefined;
  const abort = new AbortController();
  let stopped = false;

  async function listAll(): Promise<void> {
    const items: unknown[] = [];
    let cont: string | undefined;
    let listRv = "";
    try {
      do {
        const page = await client.list(resource, { ...selectors, limit: opts.pageSize ?? 500, continue: cont, signal: abort.signal });
        items.push(...page.items);
        listRv = page.resourceVersion;
        cont = page.continue;
      } while (cont);
    } catch (e) {
      if (!(cont && isApiError(e, "gone"))) throw e;
      // The continue token expired between pages: take one unpaginated list instead.
      log.info(`${kind} list continuation expired; listing without pages`, undefined, 2);
      const page = await client.list(resource, { ...selectors, signal: abort.signal });
      items.splice(0, items.length, ...page.items);
      listRv = page.resourceVersion;
    }
    cache.replace(items);
    rv = listRv;
    if (!synced) {
      synced = true;
      opts.handler.synced();
    }
  }

  async function watchOnce(): Promise<void> {
    // Like upstream's reflector: a server-side timeout of 5-10 min spreads reconnects out.
    const timeoutSeconds = Math.floor(300 * (1 + random()));
    for await (const ev of client.watch(resource, { ...selectors, resourceVersion: rv, timeoutSeconds, signal: abort.signal })) {
      backoff.reset();
      if (ev.type === "DELETED") cache.remove(ev.object);
      else if (ev.type !== "BOOKMARK") cache.upsert(ev.object);
      const next = resourceVersionOf(ev.object);
      if (next) rv = next;
    }
  }

  async function loop(): Promise<void> {
    let needList = true;
    while (!stopped) {
      try {
        if (needList) {
          await listAll();
          needList = false;
          backoff.reset();
        }
        await watchOnce();
        log.info(`${kind} watch ended; watching again`, { resourceVersion: rv }, 4);
      } catch (e) {
        if (stopped) return;
        if (isApiError(e, "gone")) {
          log.info(`${kind} watch expired (410 Gone); relisting`, { resourceVersion: rv }, 2);
          needList = true;
          continue;
        }
        const delay = backoff.next();
        log.warn(`${kind} ${needList ? "list" : "watch"} failed; retrying`, { err: e instanceof Error ? e.message : String(e), delayMs: delay });
        await Promise.race([sleep(delay), new Promise((r) => abort.signal.addEventListener("abort", r, { once: true }))]);
      }
    }
  }

  return {
    start() {
      if (running || stopped) return;
      running = loop();
    },
    async stop() {
      stopped = true;
      abort.abort();
      await running;
    },
    get hasSynced() {
      return synced;
    },
    get resourceVersion() {
      return rv;
    },
    cacheKeys: () => cache.keys(),
    get: (key) => cache.get(key),
  };
}
