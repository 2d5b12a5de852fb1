/**
 * kubeconfig exec credential plugins (`users[].user.exec`, `client.authentication.k8s.io/v1` and
 * `v1beta1`): run the configured command, read the ExecCredential it prints, and use its token or
 * client certificate until `status.expirationTimestamp`, or until the server refuses it (401).
 * The process is started through the Runner seam (`env NAME=VALUE... command args...`), so tests
 * hand in a fake. Failures name the command and the problem, never the credential itself.
 */
import { dirname, isAbsolute, resolve } from "node:path";
import * as v from "valibot";
import type { Runner } from "../lib/exec.ts";
import { describeIssues } from "./decode.ts";

const API_VERSIONS = ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"] as const;

/** The `exec` stanza of a kubeconfig user. */
export const ExecConfigSchema = v.looseObject({
  apiVersion: v.picklist(API_VERSIONS, `expected one of ${API_VERSIONS.join(", ")}`),
  command: v.pipe(v.string(), v.minLength(1, "must not be empty")),
  args: v.optional(v.nullable(v.array(v.string())), []),
  env: v.optional(v.nullable(v.array(v.looseObject({ name: v.pipe(v.string(), v.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "not an environment variable name")), value: v.string() }))), []),
  installHint: v.optional(v.string()),
  provideClusterInfo: v.optional(v.boolean()),
  interactiveMode: v.optional(v.picklist(["Never", "IfAvailable", "Always"])),
});
export type ExecConfig = v.InferOutput<typeof ExecConfigSchema>;

const ExecCredentialSchema = v.looseObject({
  apiVersion: v.string(),
  kind: v.literal("ExecCredential"),
  status: v.looseObject({
    token: v.optional(v.string()),
    clientCertificateData: v.optional(v.string()),
    clientKeyData: v.optional(v.string()),
    expirationTimestamp: v.optional(v.pipe(v.string(), v.isoTimestamp("not an RFC 3339 time"))),
  }),
});

/** What a plugin handed back. */
export interface ExecCredential {
  token?: string;
  cert?: string;
  key?: string;
  /** ms since the epoch; undefined means "until the server refuses it". */
  expiresAt?: number;
}

/** A failed plugin run; the message names the command (never the credential). */
export class ExecCredentialError extends Error {
  constructor(command: string, problem: string) {
    super(`exec credential plugin ${JSON.stringify(command)}: ${problem}`);
    this.name = "ExecCredentialError";
  }
}

/** A cached source of plugin credentials. */
export interface ExecCredentialSource {
  /** The current credential, running the plugin when none is cached or it has expired. */
  get(): Promise<ExecCredential>;
  /** Forget the cached credential (after a 401), so the next get() runs the plugin again. */
  invalidate(): void;
}

/** The plugin's command line: relative paths with a slash resolve against the kubeconfig's folder, as kubectl does. */
export function execArgv(cfg: ExecConfig, kubeconfigPath: string, cluster?: { server: string; "certificate-authority-data"?: string; "insecure-skip-tls-verify"?: boolean; "tls-server-name"?: string }): string[] {
  const command = !isAbsolute(cfg.command) && cfg.command.includes("/") ? resolve(dirname(kubeconfigPath), cfg.command) : cfg.command;
  const spec: Record<string, unknown> = { interactive: false };
  if (cfg.provideClusterInfo && cluster) {
    spec.cluster = {
      server: cluster.server,
      ...(cluster["certificate-authority-data"] ? { "certificate-authority-data": cluster["certificate-authority-data"] } : {}),
      ...(cluster["insecure-skip-tls-verify"] ? { "insecure-skip-tls-verify": true } : {}),
      ...(cluster["tls-server-name"] ? { "tls-server-name": cluster["tls-server-name"] } : {}),
    };
  }
  const info = JSON.stringify({ apiVersion: cfg.apiVersion, kind: "ExecCredential", spec });
  const env = [...(cfg.env ?? []).map((e) => `${e.name}=${e.value}`), `KUBERNETES_EXEC_INFO=${info}`];
  // `env` sets the variables for this one child; the proxy's own environment is inherited, as kubectl's is.
  return ["env", "--", ...env, command, ...(cfg.args ?? [])];
}

/** Parses a plugin's standard output; throws ExecCredentialError naming the problem. */
export function parseExecOutput(cfg: ExecConfig, stdout: string): ExecCredential {
  let raw: unknown;
  try {
    raw = JSON.parse(stdout);
  } catch {
    throw new ExecCredentialError(cfg.command, "its output is not JSON");
  }
  const r = v.safeParse(ExecCredentialSchema, raw);
  if (!r.success) throw new ExecCredentialError(cfg.command, `its output is not an ExecCredential: ${describeIssues(r.issues)}`);
  const { apiVersion, status } = r.output;
  if (apiVersion !== cfg.apiVersion) throw new ExecCredentialError(cfg.command, `it answered apiVersion ${JSON.stringify(apiVersion)}, the kubeconfig asked for ${JSON.stringify(cfg.apiVersion)}`);
  const hasCert = status.clientCertificateData !== undefined;
  if (hasCert !== (status.clientKeyData !== undefined)) throw new ExecCredentialError(cfg.command, "status.clientCertificateData and status.clientKeyData must be given together");
  if (!status.token && !hasCert) throw new ExecCredentialError(cfg.command, "status has neither a token nor a client certificate");
  return {
    token: status.token || undefined,
    cert: status.clientCertificateData,
    key: status.clientKeyData,
    expiresAt: status.expirationTimestamp ? Date.parse(status.expirationTimestamp) : undefined,
  };
}

/**
 * A credential source that runs the plugin on first use and again once the credential expires or
 * is invalidated. Concurrent callers share one run. `now` is injectable for tests.
 */
export function execCredentialSource(argv: string[], cfg: ExecConfig, runner: Runner, now: () => number = Date.now): ExecCredentialSource {
  let cached: ExecCredential | undefined;
  let running: Promise<ExecCredential> | undefined;
  const run = async (): Promise<ExecCredential> => {
    let out;
    try {
      out = await runner(argv);
    } catch (e) {
      throw new ExecCredentialError(cfg.command, `cannot start: ${e instanceof Error ? e.message : String(e)}${cfg.installHint ? `\n${cfg.installHint}` : ""}`);
    }
    if (out.exitCode === 127) throw new ExecCredentialError(cfg.command, `not found${cfg.installHint ? `\n${cfg.installHint}` : ""}`);
    if (out.exitCode !== 0) throw new ExecCredentialError(cfg.command, `exit code ${out.exitCode}: ${out.stderr.trim().slice(0, 300)}`);
    return parseExecOutput(cfg, out.stdout);
  };
  return {
    async get() {
      if (cached && (cached.expiresAt === undefined || now() < cached.expiresAt)) return cached;
      running ??= run().finally(() => (running = undefined));
      cached = await running;
      return cached;
    },
    invalidate() {
      cached = undefined;
    },
  };
}
