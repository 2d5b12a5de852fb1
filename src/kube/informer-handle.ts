/**
 * The parts the watch informer and the poll informer share: the handle a caller holds (start,
 * stop, synced, resourceVersion, cache reads) around a loop, and the pause after a failure
 * (exponential backoff with jitter, never shorter than the server's Retry-After).
 */
import { isApiError } from "./api-error.ts";
import type { Backoff } from "./backoff.ts";
import type { Informer } from "./informer.ts";

/** How long to wait after a failed request: the backoff's next step, or the server's Retry-After when longer. */
export function retryDelayMs(backoff: Backoff, e: unknown): number {
  const retryAfterMs = isApiError(e) && e.retryAfterSeconds !== undefined ? e.retryAfterSeconds * 1000 : 0;
  return Math.max(backoff.next(), retryAfterMs);
}

/** An informer loop's stop switch: a flag, the signal that aborts the request in flight, and a pause that a stop cuts short. */
export interface Lifecycle {
  readonly signal: AbortSignal;
  stopped(): boolean;
  stop(): void;
  /** Waits `ms`, or less when stopped. */
  pause(ms: number): Promise<void>;
}

export function createLifecycle(sleep: (ms: number) => Promise<void>): Lifecycle {
  const abort = new AbortController();
  return {
    signal: abort.signal,
    stopped: () => abort.signal.aborted,
    stop: () => abort.abort(),
    pause: async (ms) => {
      await Promise.race([sleep(ms), new Promise((r) => abort.signal.addEventListener("abort", r, { once: true }))]);
    },
  };
}

/** What a handle needs from its informer's closure. */
export interface HandleParts<T> {
  /** The informer's loop; runs until the lifecycle is stopped. */
  run(): Promise<void>;
  lifecycle: Lifecycle;
  synced(): boolean;
  resourceVersion(): string;
  cache: { keys(): string[]; get(key: string): T | undefined };
}

/** The Informer a caller holds. Nothing runs until start(); stop() resolves once the loop has ended. */
export function informerHandle<T>(p: HandleParts<T>): Informer<T> {
  let running: Promise<void> | undefined;
  return {
    start() {
      if (running || p.lifecycle.stopped()) return;
      running = p.run();
    },
    async stop() {
      p.lifecycle.stop();
      await running;
    },
    get hasSynced() {
      return p.synced();
    },
    get resourceVersion() {
      return p.resourceVersion();
    },
    cacheKeys: () => p.cache.keys(),
    get: (key) => p.cache.get(key),
  };
}
