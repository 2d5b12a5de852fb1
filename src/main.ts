/**
 * kube-proxy-bun's entry point. It first lets the binary re-execute itself with its JIT settings
 * (cli/jit-tiers-first.ts), and only then loads the program: the build splits the bundle at this
 * dynamic import, so the process that is replaced loads the runtime and this small chunk only
 * (`dist/kube-proxy --version`: the exec cost ~15 ms with the whole bundle loaded, ~6 ms now).
 */
import "./cli/jit-tiers-first.ts";

const { runProgram } = await import("./program.ts");
process.exitCode = await runProgram();
