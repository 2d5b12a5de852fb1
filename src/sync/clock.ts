/** Time, handed in: the real clock in main, a fake one in tests (which never sleep). */
export interface Clock {
  now(): number;
  /** Calls `fn` once after `ms`; returns a cancel function. */
  after(ms: number, fn: () => void): () => void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  after: (ms, fn) => {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};
