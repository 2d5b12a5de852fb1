/**
 * Throw-away network namespaces for benchmarks: `kpb-bench-<pid>-<tag>-<n>`, unique per process,
 * deleted by `withNetns` in `finally`, and by the lab cleanup registry on SIGINT/SIGTERM and at
 * exit, so an interrupted run leaves nothing behind. Only `ip netns add/del` touch the host.
 */
import { registerForCleanup } from "../../../src/sandbox/lab/cleanup-registry.ts";

let counter = 0;
const live = new Set<string>();

function del(ns: string): void {
  Bun.spawnSync(["ip", "netns", "del", ns], { stdout: "ignore", stderr: "ignore" });
  live.delete(ns);
}

/** Creates a fresh namespace (loopback up) and returns its name; pair with `deleteNetns`. */
export function createNetns(tag: string): string {
  const ns = `kpb-bench-${process.pid}-${tag}-${counter++}`;
  const r = Bun.spawnSync(["ip", "netns", "add", ns], { stdout: "ignore", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`ip netns add ${ns}: ${r.stderr.toString().trim()}`);
  live.add(ns);
  const unregister = registerForCleanup({ destroy: async () => del(ns), destroySync: () => del(ns) });
  unregisters.set(ns, unregister);
  Bun.spawnSync(["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"]);
  return ns;
}
const unregisters = new Map<string, () => void>();

/** Deletes a namespace made by `createNetns`; never throws. */
export function deleteNetns(ns: string): void {
  if (!live.has(ns)) return;
  del(ns);
  unregisters.get(ns)?.();
  unregisters.delete(ns);
}

/** Runs `body` with a fresh namespace and deletes it afterwards, also when `body` throws. */
export async function withNetns<T>(tag: string, body: (ns: string) => Promise<T>): Promise<T> {
  const ns = createNetns(tag);
  try {
    return await body(ns);
  } finally {
    deleteNetns(ns);
  }
}
