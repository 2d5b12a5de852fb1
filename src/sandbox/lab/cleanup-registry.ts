/**
 * Last-resort cleanup of live labs when the process ends early: on SIGINT/SIGTERM every live lab
 * is destroyed, and on process exit (where nothing can be awaited) its children are killed and
 * its namespaces deleted synchronously. Hooks are installed only while a lab lives, so a process
 * without labs keeps Node's default signal behaviour. When nobody else listens for the signal,
 * the process then exits with 128 + the signal number; when someone does, exiting is left to them.
 */

/** What the registry needs from a lab. */
export interface CleanupTarget {
  /** The normal, awaited teardown. Must not throw. */
  destroy(): Promise<void>;
  /** A synchronous teardown for the `exit` event. Must not throw. */
  destroySync(): void;
}

const live = new Set<CleanupTarget>();
const SIGNALS = { SIGINT: 2, SIGTERM: 15 } as const;

function onExit(): void {
  for (const t of [...live]) t.destroySync();
  live.clear();
}

function onSignal(signal: keyof typeof SIGNALS): void {
  // This handler is prepended, so it runs before any other; whoever else listens (the demo,
  // say) is still registered now, even with `once`, and will decide how the process ends.
  const othersHandleIt = process.listenerCount(signal) > 1;
  void Promise.all([...live].map((t) => t.destroy())).then(() => {
    // Alone, exit as the signal would have: a listener disables the default action.
    if (!othersHandleIt) process.exit(128 + SIGNALS[signal]);
  });
}

const handlers = { SIGINT: () => onSignal("SIGINT"), SIGTERM: () => onSignal("SIGTERM") };

/** Registers a live lab; returns the function that unregisters it (call it once it is destroyed). */
export function registerForCleanup(target: CleanupTarget): () => void {
  if (live.size === 0) {
    process.on("exit", onExit);
    process.prependListener("SIGINT", handlers.SIGINT);
    process.prependListener("SIGTERM", handlers.SIGTERM);
  }
  live.add(target);
  return () => {
    if (!live.delete(target) || live.size > 0) return;
    process.off("exit", onExit);
    process.off("SIGINT", handlers.SIGINT);
    process.off("SIGTERM", handlers.SIGTERM);
  };
}

/** How many labs are registered (for tests). */
export function liveLabCount(): number {
  return live.size;
}
