/**
 * How the client authenticates, against live sandboxes: mutual TLS with certificates from files
 * and from `-data`, tls-server-name, exec credential plugins (real processes), token-file
 * rotation (kubeconfig and in-cluster), and a refused token that is retried, never logged.
 */
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isApiError } from "../../src/kube/api-error.ts";
import { ApiClient } from "../../src/kube/client.ts";
import { inClusterConnection } from "../../src/kube/in-cluster.ts";
import { loadKubeconfig } from "../../src/kube/kubeconfig.ts";
import { ServiceSchema } from "../../src/kube/schemas/index.ts";
import { realRunner } from "../../src/lib/exec.ts";
import { type SandboxApiServer, startSandboxApiServer } from "../../src/sandbox/apiserver/server.ts";
import { generateSandboxPki, type SandboxPki } from "../../src/sandbox/apiserver/test-pki.ts";
import { type Recorded, recordInformer, waitInSync } from "./informer-harness.ts";
import { waitFor } from "./wait-for.ts";

const haveOpenssl = Bun.which("openssl") !== null;
let dir: string;
let pki: SandboxPki;
let servers: SandboxApiServer[] = [];
let recs: Recorded<unknown>[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "auth-test-"));
  // The server certificate names only a DNS name, so reaching 127.0.0.1 needs tls-server-name.
  if (haveOpenssl) pki = await generateSandboxPki(realRunner, ["apiserver.sandbox.test"], ["alice"]);
});
afterAll(() => rm(dir, { recursive: true, force: true }));
afterEach(async () => {
  await Promise.all(recs.map((r) => r.informer.stop()));
  recs = [];
  await Promise.all(servers.map((s) => s.stop()));
  servers = [];
});

async function serve(opts: Parameters<typeof startSandboxApiServer>[0]): Promise<SandboxApiServer> {
  const s = await startSandboxApiServer({ bookmarkIntervalMs: 100, ...opts });
  servers.push(s);
  s.apply("services", { metadata: { name: "web", namespace: "default" }, spec: { clusterIP: "10.96.0.10", ports: [{ port: 80 }] } });
  return s;
}
const mtlsServer = () => serve({ tls: pki.server, clientCA: pki.ca.cert });

let n = 0;
async function kubeconfig(cluster: Record<string, unknown>, user: Record<string, unknown>): Promise<string> {
  const path = join(dir, `kubeconfig-${n++}`);
  const doc = { apiVersion: "v1", kind: "Config", "current-context": "c", clusters: [{ name: "k", cluster }], users: [{ name: "u", user }], contexts: [{ name: "c", context: { cluster: "k", user: "u" } }] };
  await writeFile(path, JSON.stringify(doc));
  return path;
}
const b64 = (s: string) => Buffer.from(s).toString("base64");
const file = async (name: string, text: string) => (await writeFile(join(dir, name), text), join(dir, name));

test.skipIf(!haveOpenssl)("mutual TLS: client certificate and CA as files, tls-server-name; an informer syncs", async () => {
  const server = await mtlsServer();
  const path = await kubeconfig(
    { server: server.url, "certificate-authority": await file("ca.crt", pki.ca.cert), "tls-server-name": "apiserver.sandbox.test" },
    { "client-certificate": await file("alice.crt", pki.clients.alice!.cert), "client-key": await file("alice.key", pki.clients.alice!.key) },
  );
  const r = recordInformer(await loadKubeconfig(path), "services", ServiceSchema) as Recorded<unknown>;
  recs.push(r);
  await waitInSync(server, "services", r.informer);
});

test.skipIf(!haveOpenssl)("mutual TLS refuses: no client certificate, a certificate from another CA, the wrong server name", async () => {
  const server = await mtlsServer();
  const other = await generateSandboxPki(realRunner, ["apiserver.sandbox.test"], ["mallory"]);
  const good = { server: server.url, "certificate-authority-data": b64(pki.ca.cert), "tls-server-name": "apiserver.sandbox.test" };
  const alice = { "client-certificate-data": b64(pki.clients.alice!.cert), "client-key-data": b64(pki.clients.alice!.key) };
  const cases = [
    await kubeconfig(good, {}),
    await kubeconfig(good, { "client-certificate-data": b64(other.clients.mallory!.cert), "client-key-data": b64(other.clients.mallory!.key) }),
    await kubeconfig({ ...good, "tls-server-name": undefined }, alice),
    await kubeconfig({ ...good, "tls-server-name": "other.sandbox.test" }, alice),
  ];
  for (const path of cases) {
    const err = await new ApiClient(await loadKubeconfig(path)).list("services").catch((e: unknown) => e);
    expect(isApiError(err, "network")).toBe(true);
  }
  const ok = await new ApiClient(await loadKubeconfig(await kubeconfig(good, alice))).list("services");
  expect(ok.items).toHaveLength(1);
});

test.skipIf(!haveOpenssl)("an exec plugin (a real process) hands over a client certificate; it runs once while the credential is valid", async () => {
  const server = await mtlsServer();
  const count = join(dir, "exec-runs");
  const credential = JSON.stringify({
    apiVersion: "client.authentication.k8s.io/v1", kind: "ExecCredential",
    status: { clientCertificateData: pki.clients.alice!.cert, clientKeyData: pki.clients.alice!.key, expirationTimestamp: new Date(Date.now() + 3_600_000).toISOString() },
  });
  await file("cred.json", credential);
  const script = await file("plugin.sh", `#!/bin/sh\necho run >> "${count}"\ntest "$GREETING" = hello || exit 3\ncat "$1"\n`);
  await chmod(script, 0o755);
  const path = await kubeconfig(
    { server: server.url, "certificate-authority-data": b64(pki.ca.cert), "tls-server-name": "apiserver.sandbox.test" },
    { exec: { apiVersion: "client.authentication.k8s.io/v1", command: "./plugin.sh", args: [join(dir, "cred.json")], env: [{ name: "GREETING", value: "hello" }] } },
  );
  const r = recordInformer(await loadKubeconfig(path), "services", ServiceSchema) as Recorded<unknown>;
  recs.push(r);
  await waitInSync(server, "services", r.informer);
  server.dropWatches();
  server.apply("services", { metadata: { name: "db", namespace: "default" }, spec: { clusterIP: "10.96.0.20", ports: [{ port: 5432 }] } });
  await waitInSync(server, "services", r.informer);
  expect((await Bun.file(count).text()).trim().split("\n")).toEqual(["run"]);
});

test("a rotated token file is picked up; the informer carries on without a relist", async () => {
  const server = await serve({ token: "token-one" });
  const tokenFile = await file("token", "token-one\n");
  const r = recordInformer(await loadKubeconfig(await kubeconfig({ server: server.url }, { tokenFile })), "services", ServiceSchema) as Recorded<unknown>;
  recs.push(r);
  await waitInSync(server, "services", r.informer);
  await writeFile(tokenFile, "token-two\n");
  server.rotateToken("token-two");
  server.dropWatches();
  server.remove("services", "default", "web");
  await waitInSync(server, "services", r.informer);
  expect(r.removed.has("default/web")).toBe(true);
  expect(server.counts.list).toBe(1);
  expect(r.log.lines.join("")).not.toContain("401");
});

test.skipIf(!haveOpenssl)("in-cluster: the cached token is re-read after the server refuses it (401), then the watch resumes", async () => {
  const server = await serve({ token: "sa-one", tls: pki.server });
  const sa = join(dir, "sa");
  await rm(sa, { recursive: true, force: true });
  await Bun.write(join(sa, "ca.crt"), pki.ca.cert);
  await Bun.write(join(sa, "token"), "sa-one");
  const conn = await inClusterConnection({ KUBERNETES_SERVICE_HOST: "127.0.0.1", KUBERNETES_SERVICE_PORT: String(server.port) }, sa);
  conn.tls!.serverName = "apiserver.sandbox.test";
  const r = recordInformer(conn, "services", ServiceSchema) as Recorded<unknown>;
  recs.push(r);
  await waitInSync(server, "services", r.informer);
  await Bun.write(join(sa, "token"), "sa-two");
  server.rotateToken("sa-two");
  server.dropWatches();
  server.remove("services", "default", "web");
  await waitInSync(server, "services", r.informer);
  expect(server.counts.list).toBe(1);
  expect(r.log.lines.join("")).toContain("401: the API server refused our credentials");
  expect(r.log.lines.join("")).not.toContain("sa-one");
});

test("a wrong token: a clear error, retries with growing backoff, the process never dies, the token is never logged", async () => {
  const server = await serve({ token: "right" });
  const path = await kubeconfig({ server: server.url }, { token: "wrong-secret-value" });
  const r = recordInformer(await loadKubeconfig(path), "services", ServiceSchema) as Recorded<unknown>;
  recs.push(r);
  await waitFor(() => r.delays.length >= 3, "three retries");
  expect(r.delays.slice(0, 3)).toEqual([250, 500, 1000]);
  const logged = r.log.lines.join("");
  expect(logged).toContain("Service list failed; retrying");
  expect(logged).toContain("401: the API server refused our credentials; the token or client certificate is wrong or expired");
  expect(logged).not.toContain("wrong-secret-value");
  expect(r.informer.hasSynced).toBe(false);
});
