import { expect, test } from "bun:test";
import type { Runner } from "../lib/exec.ts";
import { type ExecConfig, execCredentialSource, parseExecOutput } from "./exec-credential.ts";

const cfg: ExecConfig = { apiVersion: "client.authentication.k8s.io/v1", command: "get-token", args: [], env: [] };
const cred = (status: Record<string, unknown>, apiVersion = cfg.apiVersion) => JSON.stringify({ apiVersion, kind: "ExecCredential", status });

test("a token is cached until its expirationTimestamp, then the plugin runs again", async () => {
  let now = Date.parse("2030-01-01T00:00:00Z");
  let runs = 0;
  const runner: Runner = async () => ({ exitCode: 0, stderr: "", stdout: cred({ token: `t${++runs}`, expirationTimestamp: "2030-01-01T00:10:00Z" }) });
  const src = execCredentialSource(["get-token"], cfg, runner, () => now);
  expect((await Promise.all([src.get(), src.get()])).map((c) => c.token)).toEqual(["t1", "t1"]);
  now += 599_999;
  expect((await src.get()).token).toBe("t1");
  now += 1;
  expect((await src.get()).token).toBe("t2");
  expect(runs).toBe(2);
});

test("client certificate data is handed back as PEM text", () => {
  expect(parseExecOutput(cfg, cred({ clientCertificateData: "CERT", clientKeyData: "KEY" }))).toEqual({ token: undefined, cert: "CERT", key: "KEY", expiresAt: undefined });
});

const broken: [string, Partial<{ exitCode: number; stdout: string; stderr: string }>, RegExp][] = [
  ["a failing plugin names its exit code and stderr", { exitCode: 1, stderr: "login required\n" }, /^exec credential plugin "get-token": exit code 1: login required$/],
  ["a missing plugin", { exitCode: 127 }, /: not found\nrun: apt install get-token$/],
  ["output that is not JSON", { stdout: "hello" }, /: its output is not JSON$/],
  ["another apiVersion", { stdout: cred({ token: "t" }, "client.authentication.k8s.io/v1beta1") }, /: it answered apiVersion "client.authentication.k8s.io\/v1beta1", the kubeconfig asked for "client.authentication.k8s.io\/v1"$/],
  ["no credential at all", { stdout: cred({}) }, /: status has neither a token nor a client certificate$/],
  ["a certificate without its key", { stdout: cred({ clientCertificateData: "C" }) }, /must be given together$/],
  ["a bad timestamp", { stdout: cred({ token: "t", expirationTimestamp: "soon" }) }, /: status\.expirationTimestamp: not an RFC 3339 time$/],
];
for (const [name, result, pattern] of broken) {
  test(name, async () => {
    const src = execCredentialSource(["get-token"], { ...cfg, installHint: "run: apt install get-token" }, async () => ({ exitCode: 0, stdout: "", stderr: "", ...result }));
    const err = await src.get().catch((e: unknown) => e);
    expect((err as Error).message).toMatch(pattern);
    expect((err as Error).message).not.toContain('"t"');
  });
}
