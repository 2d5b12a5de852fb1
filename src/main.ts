/**
 * kube-proxy-bun's entry point. The compiled binary first re-executes itself with its JIT
 * settings (lib/jit-tiers.ts), and only then loads the program (program.ts): the build splits
 * the bundle at that dynamic import, so the process that is replaced has loaded only the
 * runtime and this small chunk (`dist/kube-proxy --version`: the exec cost ~15 ms with the whole
 * bundle loaded, ~6 ms now).
 */
import { reexecWithoutFTL } from "./lib/jit-tiers.ts";
import { isCompiled } from "./lib/self-command.ts";

reexecWithoutFTL(isCompiled());
const { runProgram } = await import("./program.ts");
process.exitCode = await runProgram();
