/**
 * Loads a kubeconfig file (YAML or JSON) into a ClusterConnection: current or chosen context,
 * its cluster's server, CA and TLS server name, its user's token, token file, basic auth, client
 * certificate or exec credential plugin. `--master` overrides the server. Every failure is a KubeconfigError naming the file and field.
 */
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import * as v from "valibot";
import { realRunner, type Runner } from "../lib/exec.ts";
import { authHeaders, type ClusterConnection, type ConnectionTLS, type Credentials } from "./connection.ts";
import { execArgv, execCredentialSource, ExecConfigSchema } from "./exec-credential.ts";
import { type KubeconfigCluster, type KubeconfigUser, KubeconfigSchema } from "./kubeconfig-schema.ts";

/** A kubeconfig that cannot be used; the message reads `kubeconfig FILE: FIELD: problem`. */
export class KubeconfigError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    problem: string,
  ) {
    super(`kubeconfig ${file}: ${field ? `${field}: ` : ""}${problem}`);
    this.name = "KubeconfigError";
  }
}

/** Options that override what the file says, as kube-proxy's `--master` and kubectl's `--context` do. */
export interface KubeconfigOptions {
  master?: string;
  context?: string;
  /** Runs exec credential plugins (default: the real process runner). */
  runner?: Runner;
  /** The clock exec credentials expire by (default Date.now). */
  now?: () => number;
}

/** How the connection authenticates each request. */
type AuthSource = Pick<ClusterConnection, "headers" | "invalidate" | "clientCert">;

/** `clusters[0].cluster.server` from a valibot issue path. */
function fieldPath(issue: v.BaseIssue<unknown>): string {
  return (issue.path ?? []).map((p, i) => (typeof p.key === "number" ? `[${p.key}]` : `${i ? "." : ""}${String(p.key)}`)).join("");
}

/** Reads a file the kubeconfig refers to; relative paths are relative to the kubeconfig, as kubectl resolves them. */
async function readRef(file: string, field: string, ref: string): Promise<string> {
  const full = resolve(dirname(file), ref);
  try {
    return await readFile(full, "utf8");
  } catch (e) {
    throw new KubeconfigError(file, field, `cannot read ${JSON.stringify(full)}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

/** The PEM text of a `foo` / `foo-data` pair, or undefined when neither is set. */
async function pem(file: string, prefix: string, obj: Record<string, unknown>, name: string): Promise<string | undefined> {
  const data = obj[`${name}-data`];
  if (typeof data === "string") return Buffer.from(data, "base64").toString("utf8");
  const ref = obj[name];
  if (typeof ref === "string" && ref !== "") return readRef(file, `${prefix}.${name}`, ref);
  return undefined;
}

/** The exec plugin's credential source, after checking its stanza (issues name `users[i].user.exec.FIELD`). */
function execAuth(file: string, prefix: string, exec: unknown, cluster: KubeconfigCluster, opts: KubeconfigOptions): AuthSource {
  const parsed = v.safeParse(ExecConfigSchema, exec);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const sub = fieldPath(issue);
    // A missing key would read "Invalid key: Expected ..."; say it plainly.
    const problem = issue.input === undefined ? "required" : issue.message;
    throw new KubeconfigError(file, `${prefix}.exec${sub ? `${sub.startsWith("[") ? "" : "."}${sub}` : ""}`, problem);
  }
  const source = execCredentialSource(execArgv(parsed.output, file, cluster), parsed.output, opts.runner ?? realRunner, opts.now);
  return {
    headers: async (): Promise<Record<string, string>> => {
      const c = await source.get();
      return c.token ? { Authorization: `Bearer ${c.token}` } : {};
    },
    invalidate: () => source.invalidate(),
    clientCert: async () => {
      const c = await source.get();
      return c.cert !== undefined && c.key !== undefined ? { cert: c.cert, key: c.key } : undefined;
    },
  };
}

async function credentials(file: string, prefix: string, user: KubeconfigUser, cluster: KubeconfigCluster, opts: KubeconfigOptions): Promise<AuthSource> {
  if (user["auth-provider"] !== undefined) throw new KubeconfigError(file, `${prefix}.auth-provider`, "auth providers are not supported (use an exec credential plugin)");
  if (user.exec !== undefined && user.exec !== null) return execAuth(file, prefix, user.exec, cluster, opts);
  let creds: Credentials = { type: "none" };
  if (user.token) creds = { type: "token", token: user.token };
  else if (user.tokenFile) {
    const path = resolve(dirname(file), user.tokenFile);
    await readRef(file, `${prefix}.tokenFile`, path);
    creds = { type: "tokenFile", path };
  } else if (user.username !== undefined && user.password !== undefined) creds = { type: "basic", username: user.username, password: user.password };
  return { headers: authHeaders(creds) };
}

/** Parses the text as YAML (JSON is YAML too); throws KubeconfigError on a syntax error. */
function parseText(file: string, text: string): unknown {
  try {
    return Bun.YAML.parse(text);
  } catch (e) {
    throw new KubeconfigError(file, "", `YAML syntax error: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * Loads `path` into a connection. Fails with KubeconfigError when the file is unreadable, not
 * YAML, invalid (the message names the field), or refers to a context, cluster, user or file that
 * does not exist.
 */
export async function loadKubeconfig(path: string, opts: KubeconfigOptions = {}): Promise<ClusterConnection> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    throw new KubeconfigError(path, "", `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const parsed = v.safeParse(KubeconfigSchema, parseText(path, text) ?? {});
  if (!parsed.success) {
    const issue = parsed.issues[0];
    throw new KubeconfigError(path, fieldPath(issue), issue.message);
  }
  const cfg = parsed.output;
  const contexts = cfg.contexts ?? [];
  const wanted = opts.context ?? cfg["current-context"];
  if (!wanted) {
    if (opts.master) return { server: opts.master.replace(/\/+$/, ""), headers: authHeaders({ type: "none" }), source: `kubeconfig ${path}` };
    throw new KubeconfigError(path, "current-context", "not set, and no context was chosen");
  }
  const ci = contexts.findIndex((c) => c.name === wanted);
  if (ci < 0) throw new KubeconfigError(path, opts.context ? "--context" : "current-context", `context ${JSON.stringify(wanted)} not found`);
  const context = contexts[ci]!.context;
  const ki = (cfg.clusters ?? []).findIndex((c) => c.name === context.cluster);
  if (ki < 0) throw new KubeconfigError(path, `contexts[${ci}].context.cluster`, `cluster ${JSON.stringify(context.cluster)} not found`);
  const cluster = cfg.clusters![ki]!.cluster;
  let auth: AuthSource = { headers: authHeaders({ type: "none" }) };
  let tlsUser: Partial<ConnectionTLS> = {};
  if (context.user) {
    const ui = (cfg.users ?? []).findIndex((u) => u.name === context.user);
    if (ui < 0) throw new KubeconfigError(path, `contexts[${ci}].context.user`, `user ${JSON.stringify(context.user)} not found`);
    const user = cfg.users![ui]!.user ?? {};
    const prefix = `users[${ui}].user`;
    auth = await credentials(path, prefix, user, cluster, opts);
    const cert = await pem(path, prefix, user, "client-certificate");
    const key = await pem(path, prefix, user, "client-key");
    if ((cert === undefined) !== (key === undefined)) throw new KubeconfigError(path, `${prefix}.${cert ? "client-key" : "client-certificate"}`, "client certificate and key must be given together");
    tlsUser = { cert, key };
  }
  const clusterPrefix = `clusters[${ki}].cluster`;
  const ca = await pem(path, clusterPrefix, cluster, "certificate-authority");
  const server = (opts.master ?? cluster.server).replace(/\/+$/, "");
  const tls: ConnectionTLS | undefined = server.startsWith("https:")
    ? { ca, ...tlsUser, rejectUnauthorized: cluster["insecure-skip-tls-verify"] !== true, serverName: cluster["tls-server-name"] }
    : undefined;
  return { server, ...auth, tls, source: `kubeconfig ${path}` };
}
