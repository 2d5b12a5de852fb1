/**
 * The one seam through which the proxy runs processes (nft, iptables-restore, conntrack, ip).
 * Everything else takes a `Runner`, so tests hand in a scripted fake and never fork.
 */
// Only zx's core (`$`): importing all of "zx" made every start of the binary ~7 ms slower
// (`dist/kube-proxy --version`: 23 ms, with zx/core 16 ms). Loading it lazily instead saved
// 4 ms more but made the cold start's pipeline of nft processes ~150 ms slower at 10k x 10, for
// no reason we found (bun run bench B1, alternating builds), so it is a static import.
import { $ } from "zx/core";

/** What a finished process left behind. A non-zero exit is a value, never a throw. */
export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `argv` with `stdin` fed to it and resolves when it exits. A runner that can also keep a
 * process running (`start`) lets nft serve many transactions from one process (nft-session.ts).
 */
export type Runner = ((argv: readonly string[], stdin?: string) => Promise<RunResult>) & { start?: Starter };

/** A process that stays up: fed through stdin, heard through stderr (stdout is discarded). */
export interface LiveProcess {
  /** Writes to its stdin; false when it can no longer be written to. */
  write(text: string): boolean;
  /** Called with each piece of its stderr, decoded. */
  onStderr(listener: (text: string) => void): void;
  /** Its exit code, once it has exited. */
  readonly exited: Promise<number>;
  /** Closes its stdin (a reader of stdin then exits on its own). */
  end(): void;
  kill(): void;
}

/** Starts `argv` as a LiveProcess. */
export type Starter = (argv: readonly string[], env?: Record<string, string>) => LiveProcess;

/**
 * The real starter. The child does not keep this process alive (unref), and its stdin closes
 * when this process dies, so it never outlives the proxy.
 */
export const realStarter: Starter = (argv, env) => {
  const child = Bun.spawn([...argv], { stdin: "pipe", stdout: "ignore", stderr: "pipe", env: { ...process.env, ...env } });
  child.unref();
  const listeners: ((text: string) => void)[] = [];
  void (async () => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of child.stderr) {
        const text = decoder.decode(chunk, { stream: true });
        for (const l of listeners) l(text);
      }
    } catch {
      // The pipe broke with the process; `exited` tells the rest.
    }
  })();
  return {
    write(text) {
      try {
        child.stdin.write(text);
        void child.stdin.flush();
        return true;
      } catch {
        return false;
      }
    },
    onStderr: (l) => void listeners.push(l),
    exited: child.exited,
    end() {
      try {
        void child.stdin.end();
      } catch {
        // Already closed.
      }
    },
    kill: () => child.kill(),
  };
};

/** POSIX single quotes, for /bin/sh (zx's default quoting, `$'...'`, is bash-only). */
export function quoteForSh(arg: string): string {
  return /^[\w/.\-@:=,]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`;
}

/**
 * The real runner: one process per call, stdin written whole (so `nft -f -` sees one script and
 * applies it as one transaction). Options are passed per call; zx's global `$` is never changed.
 * zx runs commands through a shell: /bin/sh with `exec` costs ~1 ms less per call than bash
 * (a partial sync is one nft process, bun run bench B2). Fails (rejects) only when the program
 * cannot be started at all.
 */
export const realRunner: Runner = async (argv: readonly string[], stdin?: string): Promise<RunResult> => {
  const [cmd, ...args] = argv;
  if (cmd === undefined) throw new Error("exec: empty argv");
  const out = await $({ input: stdin ?? "", nothrow: true, quiet: true, verbose: false, shell: "/bin/sh", prefix: "exec ", postfix: "", quote: quoteForSh })`${cmd} ${args}`;
  return { exitCode: out.exitCode ?? -1, stdout: out.stdout, stderr: out.stderr };
};
realRunner.start = realStarter;

/** A call a scripted fake expects, and what it answers. */
export interface ExpectedCall {
  argv: readonly string[];
  stdin?: string | ((stdin: string) => boolean);
  result?: Partial<RunResult>;
}

/**
 * A scripted fake runner for tests: answers the expected calls in order and throws on any call
 * it did not expect, so a test sees every process the code under test starts.
 */
export function scriptedRunner(expected: ExpectedCall[]): Runner & { calls: { argv: string[]; stdin: string }[] } {
  const calls: { argv: string[]; stdin: string }[] = [];
  const runner = async (argv: readonly string[], stdin = "") => {
    calls.push({ argv: [...argv], stdin });
    const next = expected.shift();
    if (!next || next.argv.join(" ") !== argv.join(" ")) {
      throw new Error(`scriptedRunner: unexpected call ${JSON.stringify(argv)}; expected ${JSON.stringify(next?.argv ?? null)}`);
    }
    if (typeof next.stdin === "string" && next.stdin !== stdin) throw new Error(`scriptedRunner: unexpected stdin for ${argv.join(" ")}`);
    if (typeof next.stdin === "function" && !next.stdin(stdin)) throw new Error(`scriptedRunner: stdin rejected for ${argv.join(" ")}`);
    return { exitCode: 0, stdout: "", stderr: "", ...next.result };
  };
  return Object.assign(runner, { calls });
}

/** A runner whose every command runs inside network namespace `ns` (`ip netns exec ns ...`). */
export function inNetns(runner: Runner, ns: string): Runner {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(ns)) throw new Error(`inNetns: bad namespace name ${JSON.stringify(ns)}`);
  const wrapped: Runner = (argv, stdin) => runner(["ip", "netns", "exec", ns, ...argv], stdin);
  const start = runner.start;
  if (start) wrapped.start = (argv, env) => start(["ip", "netns", "exec", ns, ...argv], env);
  return wrapped;
}
