/**
 * Long-running children inside a namespace (a pod's echo server, the proxy under test). They
 * are not Runner calls, since a Runner waits for exit; they are started with Bun.spawn as
 * `ip netns exec NS cmd ...`, where ip execs the command, so the child's pid is the command's
 * own and killing it leaves nothing behind.
 */

/** A started child: its output so far, and how to stop it. */
export interface BackgroundChild {
  ns: string;
  argv: readonly string[];
  pid: number;
  /** Resolves with the exit code when the child has exited. */
  exited: Promise<number>;
  /** Everything the child wrote to stdout / stderr so far (the last 64 KiB of each). */
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stdout line matching `pattern`; rejects when the child exits first or after `timeoutMs`. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the child is gone. Never rejects. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL at once, synchronously (for the process-exit hook, where nothing can be awaited). */
  killNow(): void;
}

const KEEP = 64 * 1024;

/** Keeps the tail of a stream as text and tells listeners about each new chunk. */
function drain(stream: ReadableStream<Uint8Array>, onText: (all: string) => void): void {
  let text = "";
  const decoder = new TextDecoder();
  void (async () => {
    try {
      for await (const chunk of stream) {
        text = (text + decoder.decode(chunk, { stream: true })).slice(-KEEP);
        onText(text);
      }
    } catch {
      // The child went away mid-read; what was read is kept.
    }
  })();
}

/**
 * Starts `argv` inside namespace `ns` in the background. Fails only when `ip` cannot be started;
 * a command that fails later shows up as an early exit (see `waitForLine` and `exited`).
 */
export function spawnInNetns(ns: string, argv: readonly string[]): BackgroundChild {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(ns)) throw new Error(`spawnInNetns: bad namespace name ${JSON.stringify(ns)}`);
  const proc = Bun.spawn(["ip", "netns", "exec", ns, ...argv], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  let out = "";
  let err = "";
  const waiters = new Set<() => void>();
  drain(proc.stdout, (t) => {
    out = t;
    for (const w of waiters) w();
  });
  drain(proc.stderr, (t) => (err = t));
  const exited = proc.exited;

  const waitForLine = (pattern: RegExp, timeoutMs: number) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const line = out.split("\n").find((l) => pattern.test(l));
        if (line === undefined) return;
        done();
        resolve(line);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${argv.join(" ")} in ${ns}: no line matching ${pattern} within ${timeoutMs} ms; stderr: ${err.trim()}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      void exited.then((code) => {
        // Give the drains a moment to deliver the last output before judging.
        setTimeout(() => {
          if (!waiters.has(check)) return;
          check();
          if (!waiters.has(check)) return;
          done();
          reject(new Error(`${argv.join(" ")} in ${ns} exited with ${code} before printing ${pattern}; stderr: ${err.trim()}`));
        }, 20);
      });
      check();
    });

  const stop = async (graceMs = 2000) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), graceMs);
    await exited.catch(() => undefined);
    clearTimeout(timer);
  };

  return {
    ns,
    argv,
    pid: proc.pid,
    exited,
    stdout: () => out,
    stderr: () => err,
    waitForLine,
    stop,
    killNow: () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
    },
  };
}
