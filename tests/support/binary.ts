/**
 * The compiled binary the e2e tests run. `npm test` builds it first; a test run on its own builds
 * it when it is missing, so `bun test tests/e2e` works from a clean clone too.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";

export const BINARY = resolve(import.meta.dir, "../../dist/kube-proxy");

export async function ensureBinary(): Promise<string> {
  if (existsSync(BINARY)) return BINARY;
  const p = Bun.spawn([process.execPath, "run", "build"], { cwd: resolve(import.meta.dir, "../.."), stdout: "ignore", stderr: "pipe" });
  if ((await p.exited) !== 0) throw new Error(`build failed: ${await new Response(p.stderr).text()}`);
  return BINARY;
}

/** Runs the binary to completion and returns its exit code and output. */
export async function runBinary(args: string[], env?: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const p = Bun.spawn([await ensureBinary(), ...args], { stdout: "pipe", stderr: "pipe", env: { ...process.env, ...env } });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, stdout, stderr };
}
