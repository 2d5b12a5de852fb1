/**
 * Throw-away network namespaces for real-kernel nft tests. Every test namespace is named
 * `kpb-nft-<pid>-<n>`, so it never collides with another run and is easy to spot; nft run
 * through `runner` acts on that namespace only, never on the host's own ruleset.
 */
import { inNetns, realRunner, type LiveProcess, type Runner } from "../../src/lib/exec.ts";

let counter = 0;

/** A namespace created for one test. */
export interface TestNetns {
  name: string;
  /** Runs commands inside the namespace. */
  runner: Runner;
  /** Deletes the namespace; safe to call twice. */
  dispose(): Promise<void>;
}

/** True when this process may create namespaces and run nft (root, `ip` and `nft` present). */
export async function canUseNetns(): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  try {
    const ip = await realRunner(["ip", "-V"]);
    const nft = await realRunner(["nft", "--version"]);
    return ip.exitCode === 0 && nft.exitCode === 0;
  } catch {
    return false;
  }
}

/** Creates a fresh namespace; throws when `ip netns add` fails. */
export async function createTestNetns(): Promise<TestNetns> {
  const name = `kpb-nft-${process.pid}-${++counter}`;
  const add = await realRunner(["ip", "netns", "add", name]);
  if (add.exitCode !== 0) throw new Error(`ip netns add ${name}: ${add.stderr.trim()}`);
  let disposed = false;
  // Long-lived processes (the nft client's `nft -i`) end with the namespace.
  const live: LiveProcess[] = [];
  const runner = inNetns(realRunner, name);
  const start = runner.start!;
  runner.start = (argv, env) => {
    const p = start(argv, env);
    live.push(p);
    return p;
  };
  return {
    name,
    runner,
    async dispose() {
      if (disposed) return;
      disposed = true;
      for (const p of live) p.kill();
      const del = await realRunner(["ip", "netns", "del", name]);
      if (del.exitCode !== 0) throw new Error(`ip netns del ${name}: ${del.stderr.trim()}`);
    },
  };
}
