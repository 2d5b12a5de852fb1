import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeconfigError, loadKubeconfig } from "./kubeconfig.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "kubeconfig-test-"));
  await writeFile(join(dir, "ca.crt"), "CA-PEM");
  await writeFile(join(dir, "token"), "file-token\n");
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const b64 = (s: string) => Buffer.from(s).toString("base64");
let n = 0;
async function file(text: string): Promise<string> {
  const p = join(dir, `config-${n++}`);
  await writeFile(p, text);
  return p;
}
const config = (cluster: string, user: string, extra = "") => `apiVersion: v1
kind: Config
current-context: c1
clusters:
- name: k1
  cluster:
${cluster}
users:
- name: u1
  user:
${user}
contexts:
- name: c1
  context: {cluster: k1, user: u1}
${extra}`;

describe("valid kubeconfigs", () => {
  test("token, CA data, https", async () => {
    const c = await loadKubeconfig(await file(config(`    server: https://10.0.0.1:6443/\n    certificate-authority-data: ${b64("CA")}`, "    token: abc")));
    expect(c.server).toBe("https://10.0.0.1:6443");
    expect(await c.headers()).toEqual({ Authorization: "Bearer abc" });
    expect(c.tls).toEqual({ ca: "CA", cert: undefined, key: undefined, rejectUnauthorized: true, serverName: undefined });
  });

  test("CA file relative to the kubeconfig, token file re-read on every request", async () => {
    const c = await loadKubeconfig(await file(config("    server: https://h:6443\n    certificate-authority: ca.crt", "    tokenFile: token")));
    expect(c.tls?.ca).toBe("CA-PEM");
    expect(await c.headers()).toEqual({ Authorization: "Bearer file-token" });
    await writeFile(join(dir, "token"), "rotated");
    expect(await c.headers()).toEqual({ Authorization: "Bearer rotated" });
  });

  test("client certificate data, insecure-skip-tls-verify, --master override", async () => {
    const c = await loadKubeconfig(
      await file(config("    server: https://h:6443\n    insecure-skip-tls-verify: true", `    client-certificate-data: ${b64("CERT")}\n    client-key-data: ${b64("KEY")}`)),
      { master: "https://other:443" },
    );
    expect(c.server).toBe("https://other:443");
    expect(c.tls).toMatchObject({ cert: "CERT", key: "KEY", rejectUnauthorized: false });
    expect(await c.headers()).toEqual({});
  });

  test("JSON and plain http", async () => {
    const json = { "current-context": "x", clusters: [{ name: "k", cluster: { server: "http://127.0.0.1:8080" } }], users: [{ name: "u", user: { username: "a", password: "b" } }], contexts: [{ name: "x", context: { cluster: "k", user: "u" } }] };
    const c = await loadKubeconfig(await file(JSON.stringify(json)));
    expect(c.tls).toBeUndefined();
    expect(await c.headers()).toEqual({ Authorization: `Basic ${b64("a:b")}` });
  });
});

describe("contexts and exec plugins", () => {
  const twoContexts = `apiVersion: v1
current-context: a
clusters:
- {name: ka, cluster: {server: "https://a:6443", tls-server-name: api.a.test}}
- {name: kb, cluster: {server: "https://b:6443"}}
users:
- {name: ua, user: {token: ta}}
- name: ub
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ./bin/get-token
      args: [--cluster, b]
      env: [{name: REGION, value: eu}]
      provideClusterInfo: true
contexts:
- {name: a, context: {cluster: ka, user: ua}}
- {name: b, context: {cluster: kb, user: ub}}
`;

  test("current context, tls-server-name", async () => {
    const c = await loadKubeconfig(await file(twoContexts));
    expect(c.server).toBe("https://a:6443");
    expect(c.tls?.serverName).toBe("api.a.test");
    expect(await c.headers()).toEqual({ Authorization: "Bearer ta" });
  });

  test("--context picks another; its exec plugin runs once, relative to the kubeconfig, with env, args and cluster info", async () => {
    const path = await file(twoContexts);
    const calls: string[][] = [];
    const runner = async (argv: readonly string[]) => {
      calls.push([...argv]);
      return { exitCode: 0, stderr: "", stdout: JSON.stringify({ apiVersion: "client.authentication.k8s.io/v1", kind: "ExecCredential", status: { token: `x${calls.length}` } }) };
    };
    const c = await loadKubeconfig(path, { context: "b", runner });
    expect(c.server).toBe("https://b:6443");
    expect(calls).toEqual([]);
    expect(await c.headers()).toEqual({ Authorization: "Bearer x1" });
    expect(await c.headers()).toEqual({ Authorization: "Bearer x1" });
    expect(await c.clientCert!()).toBeUndefined();
    expect(calls).toHaveLength(1);
    const argv = calls[0]!;
    expect(argv.slice(0, 3)).toEqual(["env", "--", "REGION=eu"]);
    expect(JSON.parse(argv[3]!.replace(/^KUBERNETES_EXEC_INFO=/, ""))).toEqual({
      apiVersion: "client.authentication.k8s.io/v1", kind: "ExecCredential", spec: { interactive: false, cluster: { server: "https://b:6443" } },
    });
    expect(argv.slice(4)).toEqual([join(dir, "bin/get-token"), "--cluster", "b"]);
    c.invalidate!();
    expect(await c.headers()).toEqual({ Authorization: "Bearer x2" });
  });
});

describe("broken kubeconfigs name the file and the field", () => {
  const cases: [string, string, string | undefined, RegExp][] = [
    ["unknown cluster", config("    server: https://h", "    token: t").replace("cluster: k1, user", "cluster: foo, user"), undefined, /: contexts\[0\]\.context\.cluster: cluster "foo" not found$/],
    ["unknown user", config("    server: https://h", "    token: t").replace("user: u1}", "user: nobody}"), undefined, /: contexts\[0\]\.context\.user: user "nobody" not found$/],
    ["unknown current-context", config("    server: https://h", "    token: t").replace("current-context: c1", "current-context: zz"), undefined, /: current-context: context "zz" not found$/],
    ["unknown --context", config("    server: https://h", "    token: t"), "zz", /: --context: context "zz" not found$/],
    ["no current-context", config("    server: https://h", "    token: t").replace("current-context: c1\n", ""), undefined, /: current-context: not set/],
    ["server not a URL", config("    server: not a url", "    token: t"), undefined, /: clusters\[0\]\.cluster\.server: not a URL$/],
    ["bad base64", config("    server: https://h\n    certificate-authority-data: '%%%'", "    token: t"), undefined, /: clusters\[0\]\.cluster\.certificate-authority-data: not base64$/],
    ["missing CA file", config("    server: https://h\n    certificate-authority: /nope/ca.crt", "    token: t"), undefined, /: clusters\[0\]\.cluster\.certificate-authority: cannot read "\/nope\/ca\.crt": ENOENT$/],
    ["missing token file", config("    server: https://h", "    tokenFile: missing"), undefined, /: users\[0\]\.user\.tokenFile: cannot read ".*missing": ENOENT$/],
    ["exec plugin without apiVersion", config("    server: https://h", "    exec: {command: aws}"), undefined, /: users\[0\]\.user\.exec\.apiVersion: required$/],
    ["exec plugin with an unknown apiVersion", config("    server: https://h", "    exec: {apiVersion: v9, command: aws}"), undefined, /: users\[0\]\.user\.exec\.apiVersion: expected one of client\.authentication\.k8s\.io\/v1, /],
    ["exec plugin with a bad env name", config("    server: https://h", "    exec: {apiVersion: client.authentication.k8s.io/v1, command: aws, env: [{name: 'A B', value: x}]}"), undefined, /: users\[0\]\.user\.exec\.env\[0\]\.name: not an environment variable name$/],
    ["auth provider", config("    server: https://h", "    auth-provider: {name: gcp}"), undefined, /: users\[0\]\.user\.auth-provider: auth providers are not supported/],
    ["cert without key", config("    server: https://h", `    client-certificate-data: ${b64("C")}`), undefined, /: users\[0\]\.user\.client-key: client certificate and key must be given together$/],
    ["YAML syntax error", "clusters: [\n  - {", undefined, /: YAML syntax error/],
  ];
  for (const [name, text, context, pattern] of cases) {
    test(name, async () => {
      const path = await file(text);
      const err = await loadKubeconfig(path, { context }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KubeconfigError);
      expect((err as Error).message.startsWith(`kubeconfig ${path}: `)).toBe(true);
      expect((err as Error).message).toMatch(pattern);
    });
  }

  test("unreadable file", async () => {
    const err = await loadKubeconfig(join(dir, "absent")).catch((e: unknown) => e);
    expect((err as Error).message).toBe(`kubeconfig ${join(dir, "absent")}: cannot read: ENOENT`);
  });
});
