/**
 * The poll-mode informer (`--api-mode=poll`), for networks where long-lived watches are cut: a
 * complete (paginated) list every `intervalMs`, diffed against the cache into the same handler
 * calls a watch would make: upserts for new and changed objects (by resourceVersion), removes for
 * objects gone from the list. Failed lists back off with jitter (at least a 429's Retry-After)
 * and the regular interval resumes after the next success.
 */
import { createBackoff } from "./backoff.ts";
import { describeApiFailure } from "./describe-failure.ts";
import type { Informer, InformerOptions } from "./informer.ts";
import { InformerCache } from "./informer-cache.ts";
import { listAll } from "./list-all.ts";
import { createLifecycle, InformerProgress, informerHandle, retryDelayMs } from "./informer-handle.ts";
import { RESOURCES } from "./schemas/index.ts";

/** Creates a polling informer with the same contract as createInformer. Starts nothing: call start(). */
export function createPollInformer<T>(opts: InformerOptions<T> & { intervalMs: number }): Informer<T> {
  const { client, resource, log } = opts;
  const kind = RESOURCES[resource].kind;
  const sleep = opts.sleep ?? ((ms: number) => Bun.sleep(ms));
  const backoff = createBackoff({ random: opts.random });
  const cache = new InformerCache(opts.schema, kind, opts.handler, log);
  const life = createLifecycle(sleep);
  const progress = new InformerProgress(() => opts.handler.synced());

  async function loop(): Promise<void> {
    while (!life.stopped()) {
      let delay = opts.intervalMs;
      try {
        const replace = cache.beginReplace();
        const listRv = await listAll(client, resource, {
          labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, pageSize: opts.pageSize ?? 500, signal: life.signal, log,
        }, replace);
        if (life.stopped()) return;
        replace.end();
        backoff.reset();
        progress.listed(listRv);
      } catch (e) {
        if (life.stopped()) return;
        delay = retryDelayMs(backoff, e);
        log.warn(`${kind} poll failed; retrying`, { err: describeApiFailure(e), delayMs: delay });
      }
      await life.pause(delay);
    }
  }

  return informerHandle(loop, life, progress, cache);
}
