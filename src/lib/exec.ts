/**
 * The one seam through which the proxy runs processes (nft, iptables-restore, conntrack, ip).
 * Everything else takes a `Runner`, so tests hand in a scripted fake and never fork.
 */
import { $ } from "zx";

/** What a finished process left behind. A non-zero exit is a value, never a throw. */
export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs `argv` with `stdin` fed to it and resolves when it exits. */
export type Runner = (argv: readonly string[], stdin?: string) => Promise<RunResult>;

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
export const realRunner: Runner = async (argv, stdin) => {
  const [cmd, ...args] = argv;
  if (cmd === undefined) throw new Error("exec: empty argv");
  const out = await $({ input: stdin ?? "", nothrow: true, quiet: true, verbose: false, shell: "/bin/sh", prefix: "exec ", postfix: "", quote: quoteForSh })`${cmd} ${args}`;
  return { exitCode: out.exitCode ?? -1, stdout: out.stdout, stderr: out.stderr };
};

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
  return (argv, stdin) => runner(["ip", "netns", "exec", ns, ...argv], stdin);
}
