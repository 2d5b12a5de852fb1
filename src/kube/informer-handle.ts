/**
 * The parts the watch informer and the poll informer share: the handle a caller holds (start,
 * stop, synced, resourceVersion, cache reads) around a loop, what the loop has reached (the
 * resourceVersion, the first complete list), and the pause after a failure (exponential backoff
 * with jitter, never shorter than the server's Retry-After).
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

/** How far an informer's loop has come: the resourceVersion it holds, and whether a first list completed. */
export class InformerProgress {
  rv = "";
  synced = false;

  constructor(private readonly onSynced: () => void) {}

  /** A complete list at `rv`; the first one makes the informer synced and says so, once. */
  listed(rv: string): void {
    this.rv = rv;
    if (this.synced) return;
    this.synced = true;
    this.onSynced();
  }
}

/** The Informer a caller holds around `run`. Nothing runs until start(); stop() resolves once the loop has ended. */
export function informerHandle<T>(run: () => Promise<void>, life: Lifecycle, progress: InformerProgress, cache: { keys(): string[]; get(key: string): T | undefined }): Informer<T> {
  let running: Promise<void> | undefined;
  return {
    start() {
      if (running || life.stopped()) return;
      running = run();
    },
    async stop() {
      life.stop();
      await running;
    },
    get hasSynced() {
      return progress.synced;
    },
    get resourceVersion() {
      return progress.rv;
    },
    cacheKeys: () => cache.keys(),
    get: (key) => cache.get(key),
  };
}
