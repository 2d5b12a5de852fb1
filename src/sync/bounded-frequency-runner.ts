/**
 * Decides when the proxy syncs, as upstream's bounded-frequency runner: a requested sync runs at
 * once unless the last one started less than `minIntervalMs` ago (then when that has passed);
 * requests that arrive during a sync coalesce into one more; a failed sync is retried after
 * `retryIntervalMs`; and a sync runs at least every `maxIntervalMs` even without requests.
 * Constructing it starts nothing; `start()` arms the periodic sync.
 */
import type { Clock } from "./clock.ts";

export interface RunnerIntervals {
  minIntervalMs: number;
  retryIntervalMs: number;
  maxIntervalMs: number;
}

/** `fn` resolves true on success, false on a failure to retry; a throw counts as failure. */
export type SyncFn = () => Promise<boolean>;

export class BoundedFrequencyRunner {
  private lastStart: number | null = null;
  private dueAt: number | null = null;
  private cancelTimer: (() => void) | null = null;
  private running = false;
  private requestedWhileRunning = false;
  private stopped = true;
  /** Resolves when the sync in flight (if any) finishes; for an orderly stop. */
  private inFlight: Promise<void> = Promise.resolve();

  constructor(
    private readonly fn: SyncFn,
    private readonly intervals: RunnerIntervals,
    private readonly clock: Clock,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(this.clock.now() + this.intervals.maxIntervalMs);
  }

  /** Asks for a sync as soon as the minimum interval allows. */
  run(): void {
    if (this.stopped) return;
    if (this.running) {
      this.requestedWhileRunning = true;
      return;
    }
    this.schedule(this.earliestStart());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.dueAt = null;
    await this.inFlight;
  }

  private earliestStart(): number {
    return this.lastStart === null ? this.clock.now() : Math.max(this.clock.now(), this.lastStart + this.intervals.minIntervalMs);
  }

  private schedule(at: number): void {
    if (this.stopped || (this.dueAt !== null && this.dueAt <= at)) return;
    this.cancelTimer?.();
    this.dueAt = at;
    this.cancelTimer = this.clock.after(Math.max(0, at - this.clock.now()), () => {
      this.cancelTimer = null;
      this.dueAt = null;
      this.inFlight = this.execute();
    });
  }

  private async execute(): Promise<void> {
    if (this.stopped) return;
    this.running = true;
    this.requestedWhileRunning = false;
    this.lastStart = this.clock.now();
    let ok = false;
    try {
      ok = await this.fn();
    } catch {
      ok = false;
    }
    this.running = false;
    if (this.stopped) return;
    this.schedule(this.lastStart + this.intervals.maxIntervalMs);
    if (!ok) this.schedule(this.clock.now() + this.intervals.retryIntervalMs);
    if (this.requestedWhileRunning) this.schedule(this.earliestStart());
  }
}
