/**
 * Exponential backoff with jitter for retrying the API server: 0.5 s doubling to a 30 s cap by
 * default, each delay scaled by a random factor in [0.5, 1.5) so many proxies restarting together
 * do not retry in lockstep. Pure: the random source is passed in.
 */
export interface Backoff {
  /** The next delay in ms; each call doubles the base up to the cap. */
  next(): number;
  /** Back to the initial delay, after a success. */
  reset(): void;
}

/** Makes a backoff; `random` returns [0, 1) like Math.random. */
export function createBackoff(opts: { initialMs?: number; maxMs?: number; random?: () => number } = {}): Backoff {
  const initial = opts.initialMs ?? 500;
  const max = opts.maxMs ?? 30_000;
  const random = opts.random ?? Math.random;
  let base = initial;
  return {
    next() {
      const delay = Math.min(max, base * (0.5 + random()));
      base = Math.min(max, base * 2);
      return Math.round(delay);
    },
    reset() {
      base = initial;
    },
  };
}
