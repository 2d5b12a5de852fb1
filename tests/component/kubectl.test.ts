/**
 * Real kubectl against the sandbox (over TLS: kubectl never sends a bearer token over plain HTTP):
 * create -f, apply -f (create, then a strategic merge patch), get, get -w and delete, for
 * Services, EndpointSlices and Nodes.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { realRunner } from "../../src/lib/exec.ts";
import { generateSelfSignedCert } from "../../src/sandbox/apiserver/self-signed.ts";
import { type SandboxApiServer, startSandboxApiServer } from "../../src/sandbox/apiserver/server.ts";
import { waitFor } from "./wait-for.ts";

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

const base = () => [kubectlPath!, "--server", server.url, "--token", server.token, "--insecure-skip-tls-verify", "--cache-dir", join(dir, "cache")];

async function kubectl(...args: string[]): Promise<string> {
  const out = await realRunner([...base(), ...args]);
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

const manifests = {
  services: (port: number, label: string) => `apiVersion: v1\nkind: Service\nmetadata:\n  name: api\n  namespace: default\n  labels: {tier: ${label}}\nspec:\n  clusterIP: 10.96.0.30\n  ports:\n  - {name: http, port: ${port}}\n`,
  endpointslices: (port: number, label: string) => `apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: api-xyz\n  namespace: default\n  labels: {kubernetes.io/service-name: api, tier: ${label}}\naddressType: IPv4\nendpoints:\n- addresses: [10.0.0.${port % 250}]\nports:\n- {name: http, port: ${port}}\n`,
  nodes: (port: number, label: string) => `apiVersion: v1\nkind: Node\nmetadata:\n  name: node-z\n  labels: {tier: ${label}}\nspec:\n  podCIDR: 10.244.${port % 250}.0/24\n`,
};
const names = { services: "service/api", endpointslices: "endpointslice.discovery.k8s.io/api-xyz", nodes: "node/node-z" };

for (const resource of ["services", "endpointslices", "nodes"] as const) {
  test.skipIf(!kubectlPath || !haveOpenssl)(`kubectl apply -f (create, configure), get -w, delete: ${resource}`, async () => {
    const file = join(dir, `${resource}.yaml`);
    const watchesBefore = server.counts.watch;
    const watch = Bun.spawn([...base(), "get", resource, ...(resource === "nodes" ? [] : ["-A"]), "-w", "--output-watch-events", "-o", 'jsonpath={.type} {.object.metadata.name}{"\\n"}'], { stdout: "pipe", stderr: "pipe" });
    try {
      await waitFor(() => server.counts.watch > watchesBefore, "kubectl's watch request", 5000);
      await writeFile(file, manifests[resource](80, "one"));
      expect(await kubectl("apply", "-f", file)).toContain(`${names[resource]} created`);
      await writeFile(file, manifests[resource](81, "two"));
      expect(await kubectl("apply", "-f", file)).toContain(`${names[resource]} configured`);
      const got = JSON.parse(await kubectl("get", resource, ...(resource === "nodes" ? ["node-z"] : ["-n", "default", resource === "services" ? "api" : "api-xyz"]), "-o", "json")) as { metadata: { labels: Record<string, string>; annotations: Record<string, string> } };
      expect(got.metadata.labels.tier).toBe("two");
      expect(got.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]).toContain('"two"');
      const stored = server.list(resource).find((o) => ["api", "api-xyz", "node-z"].includes(o.metadata.name!))!;
      expect(JSON.stringify(stored)).not.toContain("$setElementOrder");
      if (resource === "services") expect((stored.spec as { ports: unknown[] }).ports).toEqual([{ name: "http", port: 81 }]);
      if (resource === "endpointslices") expect(stored.ports).toEqual([{ name: "http", port: 81 }]);
      expect(await kubectl("delete", "-f", file)).toContain("deleted");
      expect(server.list(resource).some((o) => ["api", "api-xyz", "node-z"].includes(o.metadata.name!))).toBe(false);
      // The watch saw the creation, the change and the deletion (after the existing objects).
      const mine = new Set(["api", "api-xyz", "node-z"]);
      const seen: string[] = [];
      const reader = watch.stdout.getReader();
      let text = "";
      while (!seen.includes("DELETED")) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
        seen.length = 0;
        for (const line of text.split("\n")) {
          const [type, name] = line.split(" ");
          if (type && mine.has(name ?? "")) seen.push(type);
        }
      }
      expect(seen.slice(-3)).toEqual(["ADDED", "MODIFIED", "DELETED"]);
    } finally {
      watch.kill();
    }
  }, 10_000);
}
