/** Real kubectl against the sandbox (over TLS: kubectl never sends a bearer token over plain HTTP). */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { realRunner } from "../../src/lib/exec.ts";
import { generateSelfSignedCert } from "../../src/sandbox/apiserver/self-signed.ts";
import { type SandboxApiServer, startSandboxApiServer } from "../../src/sandbox/apiserver/server.ts";

const kubectlPath = Bun.which("kubectl");
const haveOpenssl = Bun.which("openssl") !== null;
let server: SandboxApiServer;
let dir: string;

beforeAll(async () => {
  if (!kubectlPath || !haveOpenssl) return;
  dir = await mkdtemp(join(tmpdir(), "kubectl-test-"));
  server = await startSandboxApiServer({ tls: await generateSelfSignedCert(realRunner, ["127.0.0.1"]) });
  server.apply("services", { metadata: { name: "web", namespace: "default" }, spec: { clusterIP: "10.96.0.10", ports: [{ port: 80 }] } });
  server.apply("endpointslices", { metadata: { name: "web-abc", namespace: "default" }, addressType: "IPv4", endpoints: [{ addresses: ["10.0.0.1"] }] });
  server.apply("nodes", { metadata: { name: "node-a" } });
});
afterAll(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function kubectl(...args: string[]): Promise<string> {
  const out = await realRunner([kubectlPath!, "--server", server.url, "--token", server.token, "--insecure-skip-tls-verify", "--cache-dir", join(dir, "cache"), ...args]);
  if (out.exitCode !== 0) throw new Error(`kubectl ${args.join(" ")} failed: ${out.stderr}`);
  return out.stdout;
}

test.skipIf(!kubectlPath || !haveOpenssl)("kubectl get, create -f, delete", async () => {
  const list = JSON.parse(await kubectl("get", "services", "-A", "-o", "json")) as { items: { metadata: { name: string } }[] };
  expect(list.items.map((i) => i.metadata.name)).toEqual(["web"]);
  expect(await kubectl("get", "endpointslices", "-A")).toContain("web-abc");
  expect(await kubectl("get", "nodes")).toContain("node-a");
  const file = join(dir, "db.yaml");
  await writeFile(file, "apiVersion: v1\nkind: Service\nmetadata:\n  name: db\nspec:\n  clusterIP: 10.96.0.20\n  ports:\n  - port: 5432\n");
  expect(await kubectl("create", "-f", file)).toContain("service/db created");
  expect(server.get("services", "default", "db")?.spec).toMatchObject({ clusterIP: "10.96.0.20" });
  expect(await kubectl("delete", "service", "db")).toContain('service "db" deleted');
  expect(server.get("services", "default", "db")).toBeUndefined();
}, 10_000);
