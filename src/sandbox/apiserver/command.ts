/**
 * `kube-proxy sandbox apiserver --listen HOST:PORT [--token T] [--tls | --mtls]
 * [--write-kubeconfig FILE] [--history-window N] [--bookmark-interval DUR] [--fault SPEC]...`:
 * runs the sandbox API server until SIGINT or SIGTERM. `--mtls` generates a CA, a server and a
 * client certificate and requires client certificates (the kubeconfig written carries the
 * client's). `--fault` (repeatable) is described in fault-schedule.ts. Flags are checked with
 * valibot; a bad one is named with its value and the exit code is 2.
 */
import { writeFile } from "node:fs/promises";
import * as v from "valibot";
import { realRunner } from "../../lib/exec.ts";
import { createLogger } from "../../lib/log.ts";
import { kubeconfigText } from "../kubeconfig-file.ts";
import { type FaultSpec, parseDuration, parseFaultSpec, startFaultSchedule } from "./fault-schedule.ts";
import { generateSelfSignedCert } from "./self-signed.ts";
import { startSandboxApiServer } from "./server.ts";
import { generateSandboxPki } from "./test-pki.ts";

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
  mtls: v.optional(v.literal("true")),
  "history-window": v.optional(v.pipe(v.string(), v.regex(/^[1-9]\d*$/, "expected a positive whole number"), v.transform(Number))),
  "bookmark-interval": v.optional(v.pipe(v.string(), v.check((s) => (parseDuration(s) ?? 0) > 0, "expected a duration such as 5s"), v.transform((s) => parseDuration(s)!))),
});

type Flags = v.InferOutput<typeof FlagsSchema>;

const BOOLEAN_FLAGS = new Set(["tls", "mtls"]);

/** Splits `--flag value`, `--flag=value` and the booleans; `--fault` may repeat. A message on a stray argument or a bad fault. */
function splitArgv(argv: string[]): { flags: Record<string, string>; faults: FaultSpec[] } | { error: string } {
  const flags: Record<string, string> = {};
  const faults: FaultSpec[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) return { error: `unexpected argument ${JSON.stringify(arg)}` };
    const name = m[1]!;
    if (BOOLEAN_FLAGS.has(name)) {
      flags[name] = m[2] ?? "true";
      continue;
    }
    const value = m[2] ?? argv[++i];
    if (value === undefined) return { error: `flag --${name} needs a value` };
    if (name === "fault") {
      const f = parseFaultSpec(value);
      if ("error" in f) return { error: `bad value ${JSON.stringify(value)} for --fault: ${f.error}` };
      faults.push(f);
      continue;
    }
    flags[name] = value;
  }
  return { flags, faults };
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
  const names = [host === "0.0.0.0" ? "127.0.0.1" : host, "localhost"];
  const pki = flags.mtls ? await generateSandboxPki(realRunner, names) : undefined;
  const tls = pki ? pki.server : flags.tls ? await generateSelfSignedCert(realRunner, names) : undefined;
  const caCert = pki ? pki.ca.cert : tls?.cert;
  const server = await startSandboxApiServer({
    host, port, token: flags.token, tls, clientCA: pki?.ca.cert, log,
    historyWindow: flags["history-window"], bookmarkIntervalMs: flags["bookmark-interval"],
  });
  const kubeconfig = flags["write-kubeconfig"];
  if (kubeconfig) await writeFile(kubeconfig, kubeconfigText(server.url, { token: server.token, ca: caCert, client: pki?.clients["sandbox-client"] }), { mode: 0o600 });
  const how = kubeconfig ? ` (kubeconfig: ${kubeconfig})` : pki ? " (mutual TLS; pass --write-kubeconfig for the client certificate)" : ` (token: ${server.token})`;
  process.stdout.write(`sandbox apiserver listening on ${server.url}${how}\n`);
  const stopFaults = startFaultSchedule(server, split.faults, (e) => log.error("sandbox apiserver: fault failed", { err: e }));
  if (split.faults.length) log.info("sandbox apiserver: faults armed", { faults: split.faults.map((f) => f.name).join(",") });
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  stopFaults();
  await server.stop();
  return 0;
}
