/**
 * main.ts imports this module first, so the binary re-executes itself without FTL
 * (lib/jit-tiers.ts) before the rest of the program loads: the exec then costs ~7 ms of start-up
 * (the runtime and the bundle load again), against ~15 ms after the imports.
 */
import { reexecWithoutFTL } from "../lib/jit-tiers.ts";
import { isCompiled } from "../lib/self-command.ts";

reexecWithoutFTL(isCompiled());
