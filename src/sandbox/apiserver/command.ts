/**
 * `kube-proxy sandbox apiserver --listen HOST:PORT [--token T] [--tls] [--write-kubeconfig FILE]`:
 * runs the sandbox API server until SIGINT or SIGTERM. Flags are checked with valibot; a bad one
 * is named with its value and the exit code is 2.
 */
import { writeFile } from "node:fs/promises";
import * as v from "valibot";
import { realRunner } from "../../lib/exec.ts";
import { createLogger } from "../../lib/log.ts";
import { generateSelfSignedCert } from "./self-signed.ts";
import { startSandboxApiServer } from "./server.ts";

const ListenSchema = v.pipe(
  v.string(),
  v.regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/, "expected HOST:PORT"),
  v.check((s) => Number(s.slice(s.lastIndexOf(":") + 1)) <= 65535, "port out of range"),
);

const FlagsSchema = v.strictObject({
  listen: v.optional(ListenSchema, "127.0.0.1:0"),
  token: v.optional(v.pipe(v.string(), v.regex(/^[\x21-\x7e]+$/, "expected printable characters, no spaces"))),
  "write-kubeconfig": v.optional(v.pipe(v.string(), v.minLength(1, "expected a file path"))),
  tls: v.optional(v.literal("true")),
});

type Flags = v.InferOutput<typeof FlagsSchema>;

/** Splits `--flag value`, `--flag=value` and the boolean `--tls`; null plus a message on a stray argument. */
function splitArgv(argv: string[]): { flags: Record<string, string> } | { error: string } {
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) return { error: `unexpected argument ${JSON.stringify(arg)}` };
    const name = m[1]!;
    if (name === "tls") {
      flags.tls = m[2] ?? "true";
      continue;
    }
    const value = m[2] ?? argv[++i];
    if (value === undefined) return { error: `flag --${name} needs a value` };
    flags[name] = value;
  }
  return { flags };
}

/** A kubeconfig with one cluster, user and context; strings are JSON-quoted, which YAML accepts. */
function kubeconfigText(url: string, token: string, ca?: string): string {
  const q = JSON.stringify;
  const caLine = ca ? `\n    certificate-authority-data: ${q(Buffer.from(ca).toString("base64"))}` : "";
  return `apiVersion: v1
kind: Config
clusters:
- name: sandbox
  cluster:
    server: ${q(url)}${caLine}
users:
- name: sandbox
  user:
    token: ${q(token)}
contexts:
- name: sandbox
  context:
    cluster: sandbox
    user: sandbox
current-context: sandbox
`;
}

/** Runs the sandbox API server command; resolves with the exit code (0 after a signal, 2 on bad flags). */
export async function runSandboxApiserverCommand(argv: string[]): Promise<number> {
  const split = splitArgv(argv);
  if ("error" in split) {
    process.stderr.write(`sandbox apiserver: ${split.error}\n`);
    return 2;
  }
  const unknown = Object.keys(split.flags).find((k) => !(k in FlagsSchema.entries));
  if (unknown) {
    process.stderr.write(`sandbox apiserver: unknown flag --${unknown}\n`);
    return 2;
  }
  const parsed = v.safeParse(FlagsSchema, split.flags);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const flag = v.getDotPath(issue) ?? "";
    process.stderr.write(`sandbox apiserver: bad value ${JSON.stringify(split.flags[flag])} for --${flag}: ${issue.message}\n`);
    return 2;
  }
  const flags: Flags = parsed.output;
  const sep = flags.listen.lastIndexOf(":");
  const host = flags.listen.slice(0, sep).replace(/^\[|\]$/g, "");
  const port = Number(flags.listen.slice(sep + 1));
  const log = createLogger(0);
  const tls = flags.tls ? await generateSelfSignedCert(realRunner, [host === "0.0.0.0" ? "127.0.0.1" : host, "localhost"]) : undefined;
  const server = await startSandboxApiServer({ host, port, token: flags.token, tls, log });
  const kubeconfig = flags["write-kubeconfig"];
  if (kubeconfig) await writeFile(kubeconfig, kubeconfigText(server.url, server.token, tls?.cert), { mode: 0o600 });
  process.stdout.write(`sandbox apiserver listening on ${server.url}${kubeconfig ? ` (kubeconfig: ${kubeconfig})` : ` (token: ${server.token})`}\n`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await server.stop();
  return 0;
}
