/**
 * The argv prefix that runs this program again: the compiled binary alone, or Bun plus the entry
 * script when running from source. Used to start the sandbox's helpers (pod servers, probes)
 * inside namespaces with the very same code.
 */
import { resolve } from "node:path";

const ENTRY = resolve(import.meta.dir, "../main.ts");

/** True when running as the `bun build --compile` executable. */
export function isCompiled(): boolean {
  return !process.execPath.endsWith("/bun") && !process.execPath.endsWith("/bun.exe");
}

export function selfCommand(): string[] {
  return isCompiled() ? [process.execPath] : [process.execPath, ENTRY];
}
