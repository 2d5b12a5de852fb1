/**
 * `kube-proxy sandbox apiserver` as a process: --mtls writes a kubeconfig with a client
 * certificate that both our client and real kubectl use, --fault drops watches on a timer, and
 * SIGTERM ends it with exit code 0.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { loadKubeconfig } from "../../src/kube/kubeconfig.ts";
import { NodeSchema } from "../../src/kube/schemas/index.ts";
import { realRunner } from "../../src/lib/exec.ts";
import { recordInformer } from "./informer-harness.ts";
import { waitFor } from "./wait-for.ts";

const kubectlPath = Bun.which("kubectl");
const haveOpenssl = Bun.which("openssl") !== null;
const MAIN = resolve(import.meta.dir, "../../src/main.ts");
let dir = "";
afterAll(() => dir && rm(dir, { recursive: true, force: true }));

test.skipIf(!kubectlPath || !haveOpenssl)("--mtls, --fault drop-watches@300ms: our informer and kubectl agree through dropped watches", async () => {
  dir = await mkdtemp(join(tmpdir(), "sandbox-command-"));
  const kubeconfig = join(dir, "kubeconfig");
  const child = Bun.spawn([process.execPath, MAIN, "sandbox", "apiserver", "--listen", "127.0.0.1:0", "--mtls", "--write-kubeconfig", kubeconfig,
    "--history-window", "50", "--bookmark-interval", "100ms", "--fault", "drop-watches@300ms"], { stdout: "pipe", stderr: "pipe" });
  try {
    const reader = child.stdout.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toMatch(/^sandbox apiserver listening on https:\/\/127\.0\.0\.1:\d+ \(kubeconfig: /);
    const kubectl = async (...args: string[]) => {
      const out = await realRunner([kubectlPath!, "--kubeconfig", kubeconfig, "--cache-dir", join(dir, "cache"), ...args]);
      if (out.exitCode !== 0) throw new Error(`kubectl ${args.join(" ")}: ${out.stderr}`);
      return out.stdout;
    };
    const r = recordInformer(await loadKubeconfig(kubeconfig), "nodes", NodeSchema);
    try {
      await waitFor(() => r.informer.hasSynced, "sync");
      await writeFile(join(dir, "node.yaml"), "apiVersion: v1\nkind: Node\nmetadata:\n  name: node-b\n  labels: {zone: a}\n");
      expect(await kubectl("create", "-f", join(dir, "node.yaml"))).toContain("node/node-b created");
      await waitFor(() => r.informer.cacheKeys().includes("node-b"), "the node through the watch");
      const watchesBefore = r.events.length;
      await Bun.sleep(700); // at least two scheduled drops
      expect(await kubectl("delete", "node", "node-b")).toContain('node "node-b" deleted');
      await waitFor(() => r.removed.has("node-b"), "the deletion after the drops");
      expect(r.events.length).toBe(watchesBefore + 1);
      expect(r.log.lines.join("")).toContain("watch ended");
    } finally {
      await r.informer.stop();
    }
  } finally {
    child.kill("SIGTERM");
    expect(await child.exited).toBe(0);
  }
}, 10_000);
