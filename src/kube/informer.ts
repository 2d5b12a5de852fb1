/**
 * An informer: keeps a validated cache of one resource equal to the API server's, and tells a
 * handler about every change. List (paginated), then watch from the list's resourceVersion with
 * bookmarks; when a watch ends, watch again from the last RV seen; on 410 Gone, relist and diff
 * against the cache so no deletion is lost; on other errors, back off with jitter (429s wait at
 * least their Retry-After). Backoff resets once the server delivers again; a watch that ends
 * within a second without delivering anything, and a second 410 in a row, also back off, so a
 * server that keeps cutting watches or expiring resourceVersions is not hammered with requests
 * or relists.
 */
import type * as v from "valibot";
import type { Logger } from "../lib/log.ts";
import { describeApiFailure } from "./describe-failure.ts";
import { isApiError } from "./api-error.ts";
import { createBackoff } from "./backoff.ts";
import type { ApiClient } from "./client.ts";
import { resourceVersionOf } from "./decode.ts";
import { InformerCache, type InformerHandler } from "./informer-cache.ts";
import { listAll } from "./list-all.ts";
import { createLifecycle, InformerProgress, informerHandle, retryDelayMs } from "./informer-handle.ts";
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
  /** The clock that times how long a watch lasted (default Date.now). */
  now?: () => number;
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
  const now = opts.now ?? Date.now;
  const backoff = createBackoff({ random });
  const cache = new InformerCache(opts.schema, kind, opts.handler, log);
  const selectors = { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector };
  const progress = new InformerProgress(() => opts.handler.synced());
  const life = createLifecycle(sleep);
  let goneInARow = 0;

  async function relist(): Promise<void> {
    const replace = cache.beginReplace();
    const rv = await listAll(client, resource, { ...selectors, pageSize: opts.pageSize ?? 500, signal: life.signal, log }, replace);
    replace.end();
    progress.listed(rv);
  }

  /** Watches until the server ends the stream; returns how many events it delivered. */
  async function watchOnce(): Promise<number> {
    // Like upstream's reflector: a server-side timeout of 5-10 min spreads reconnects out.
    const timeoutSeconds = Math.floor(300 * (1 + random()));
    let delivered = 0;
    for await (const ev of client.watch(resource, { ...selectors, resourceVersion: progress.rv, timeoutSeconds, signal: life.signal })) {
      delivered++;
      goneInARow = 0;
      backoff.reset();
      if (ev.type === "DELETED") cache.remove(ev.object);
      else if (ev.type !== "BOOKMARK") cache.upsert(ev.object);
      const next = resourceVersionOf(ev.object);
      if (next) progress.rv = next;
    }
    return delivered;
  }

  async function loop(): Promise<void> {
    let needList = true;
    while (!life.stopped()) {
      try {
        if (needList) {
          await relist();
          needList = false;
          // In a 410 storm a list succeeds every time; only delivered watch events end the streak.
          if (goneInARow === 0) backoff.reset();
        }
        const startedAt = now();
        const delivered = await watchOnce();
        if (life.stopped()) return;
        // Upstream's reflector also treats a watch that ends within a second with no event as a failure.
        if (delivered > 0 || now() - startedAt >= 1000) {
          log.info(`${kind} watch ended; watching again`, { resourceVersion: progress.rv }, 4);
        } else {
          const delay = backoff.next();
          log.info(`${kind} watch ended at once without events; watching again after a pause`, { resourceVersion: progress.rv, delayMs: delay }, 2);
          await life.pause(delay);
        }
      } catch (e) {
        if (life.stopped()) return;
        if (isApiError(e, "gone")) {
          needList = true;
          // The first 410 relists at once; a second one before the server delivered anything
          // means it keeps expiring us (a 410 storm): relist, but not in a tight loop.
          const delay = goneInARow++ > 0 ? backoff.next() : 0;
          log.info(`${kind} watch expired (410 Gone); relisting`, { resourceVersion: progress.rv, ...(delay ? { delayMs: delay } : {}) }, 2);
          if (delay) await life.pause(delay);
          continue;
        }
        const delay = retryDelayMs(backoff, e);
        log.warn(`${kind} ${needList ? "list" : "watch"} failed; retrying`, { err: describeApiFailure(e), delayMs: delay });
        await life.pause(delay);
      }
    }
  }

  return informerHandle(loop, life, progress, cache);
}
