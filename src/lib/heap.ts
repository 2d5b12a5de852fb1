/**
 * The one place the proxy asks the runtime for a garbage collection. JavaScriptCore grows its
 * heap to fit the garbage of a burst of work and keeps the pages afterwards, so collecting at a
 * point where a large batch just became garbage lowers the process's steady memory.
 */

/** An eden collection: only what was allocated since the last one (cheap; frees short-lived garbage). */
export function collectYoungGarbage(): void {
  Bun.gc(false);
}
