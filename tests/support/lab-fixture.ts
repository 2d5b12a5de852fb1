/**
 * Helpers for tests that need a real network-namespace lab (root only).
 */
import { resolve } from "node:path";
import { realRunner } from "../../src/lib/exec.ts";
import { createLab } from "../../src/sandbox/lab/create-lab.ts";
import type { Lab, LabOptions } from "../../src/sandbox/lab/lab-types.ts";

/**
 * The argv prefix the lab uses to run `sandbox echo`/`sandbox probe` in tests: Bun with
 * `lab-entry.ts`, which dispatches through the real command registry without the proxy's start-up.
 */
export function labCommand(): string[] {
  return [process.execPath, resolve(import.meta.dir, "lab-entry.ts")];
}

/** Runs `body` with a fresh real lab and destroys the lab afterwards, also when `body` throws. */
export async function withLab<T>(opts: Partial<LabOptions> & Pick<LabOptions, "pods">, body: (lab: Lab) => Promise<T>): Promise<T> {
  const lab = await createLab({ runner: realRunner, command: labCommand(), ...opts });
  try {
    return await body(lab);
  } finally {
    await lab.destroy();
  }
}

/** The namespaces `ip netns list` shows whose names start with `prefix` (to check nothing is left). */
export async function namespacesWithPrefix(prefix: string): Promise<string[]> {
  const r = await realRunner(["ip", "netns", "list"]);
  return r.stdout
    .split("\n")
    .map((l) => l.split(" ")[0] ?? "")
    .filter((n) => n === prefix || n.startsWith(`${prefix}-`));
}
