/**
 * The compiled binary runs with JavaScriptCore's top JIT tier (FTL) off. Why: during a cold start
 * at 10k Services FTL compiles about a hundred hot functions (decode, model, render) for ~0.5 s of
 * CPU (BUN_JSC_reportFTLCompileTimes=1), on the second core that nft needs to load the rules; the
 * proxy then has no long hot loop where FTL's faster code would pay that back. The lower tiers
 * (baseline, DFG) stay. bun run bench B1 measures it (nftables/README.md, "Sixth round").
 *
 * The build also bakes in a start-up JIT policy (package.json, `--compile-jit-policy=4`): every
 * tier-up threshold x4 until `normalJitPolicy()` is called after the proxy's first sync (a
 * subcommand calls it before it runs: program.ts). A start is mostly code that runs a few
 * thousand times and never again: at 1k Services x 10 the JIT threads spent ~60 ms of CPU
 * compiling it (of ~320 ms for the process), beside nft and the API server on two cores; with
 * the policy, start to ready was 15-38 ms sooner, and the same at 10k.
 *
 * JavaScriptCore reads its options once, at process start, from BUN_JSC_* variables, so the
 * binary replaces itself (execve: same PID, same arguments, same file descriptors) with the
 * variable set, from main.ts before the program is loaded. An operator's own BUN_JSC_useFTLJIT
 * (0 or 1) is left alone, and so is the process when it runs from source under `bun`.
 */
export const FTL_VARIABLE = "BUN_JSC_useFTLJIT";

export interface Reexec {
  file: string;
  argv: string[];
  env: Record<string, string | undefined>;
}

/**
 * The execve that turns FTL off, or null when nothing is to be done: not the compiled binary, or
 * the variable is already set (by an operator, or by our own earlier exec).
 */
export function ftlReexec(execPath: string, argv0: string, args: readonly string[], env: Record<string, string | undefined>, compiled: boolean): Reexec | null {
  if (!compiled || env[FTL_VARIABLE] !== undefined) return null;
  return { file: execPath, argv: [argv0, ...args], env: { ...env, [FTL_VARIABLE]: "0" } };
}

/** Replaces this process as ftlReexec says; if execve fails, runs on with FTL as it was. */
export function reexecWithoutFTL(compiled: boolean): void {
  // A compiled binary's process.argv is ["bun", "/$bunfs/root/<name>", ...arguments].
  const plan = ftlReexec(process.execPath, process.argv0, process.argv.slice(2), process.env, compiled);
  if (!plan) return;
  try {
    process.execve!(plan.file, plan.argv, plan.env);
  } catch {
    // Only a speed setting is lost; the proxy is the same without it.
  }
}

/** The start-up policy package.json's build bakes in (`--compile-jit-policy`); the two must agree. */
export const STARTUP_JIT_POLICY = 4;

/**
 * Back to JavaScriptCore's normal tier-up thresholds (after the start-up policy the build bakes
 * in): the code that runs on every sync from now on is worth compiling early.
 */
export function normalJitPolicy(): void {
  Bun.unsafe.setJITPolicy(1);
}
