/**
 * A throwaway certificate authority for the sandbox's mutual-TLS mode: one CA, a server
 * certificate for the listen addresses, and client certificates (CN = user, O = group, as the
 * API server reads them). Made with `openssl` (3.x, `req -CA`) through the process seam; fails
 * when openssl is missing or refuses, with its stderr in the message.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Runner } from "../../lib/exec.ts";
import { parseIP } from "../../lib/ip.ts";
import type { CertPair } from "./self-signed.ts";

/** The CA, the server's pair, and one client pair per requested user. */
export interface SandboxPki {
  ca: CertPair;
  server: CertPair;
  clients: Record<string, CertPair>;
}

const KEY_ARGS = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"];

async function run(runner: Runner, argv: string[]): Promise<void> {
  const out = await runner(argv);
  if (out.exitCode !== 0) throw new Error(`openssl failed (exit ${out.exitCode}): ${out.stderr.trim()}`);
}

/** Generates the CA and certificates, valid for a day. `hosts` are the server's IPs or DNS names. */
export async function generateSandboxPki(runner: Runner, hosts: string[], users: string[] = ["sandbox-client"]): Promise<SandboxPki> {
  const dir = await mkdtemp(join(tmpdir(), "sandbox-pki-"));
  const f = (n: string) => join(dir, n);
  const pair = async (n: string): Promise<CertPair> => ({ cert: await readFile(f(`${n}.crt`), "utf8"), key: await readFile(f(`${n}.key`), "utf8") });
  try {
    await run(runner, ["openssl", "req", "-x509", ...KEY_ARGS, "-keyout", f("ca.key"), "-out", f("ca.crt"), "-subj", "/CN=kube-proxy-bun-sandbox-ca",
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
    const san = hosts.map((h) => (parseIP(h) ? `IP:${h}` : `DNS:${h}`)).join(",");
    await run(runner, ["openssl", "req", ...KEY_ARGS, "-CA", f("ca.crt"), "-CAkey", f("ca.key"), "-keyout", f("server.key"), "-out", f("server.crt"),
      "-subj", "/CN=kube-apiserver", "-addext", `subjectAltName=${san}`, "-addext", "basicConstraints=critical,CA:FALSE",
      "-addext", "extendedKeyUsage=serverAuth"]);
    const clients: Record<string, CertPair> = {};
    for (const [i, user] of users.entries()) {
      if (!/^[A-Za-z0-9:._-]+$/.test(user)) throw new Error(`generateSandboxPki: bad user name ${JSON.stringify(user)}`);
      await run(runner, ["openssl", "req", ...KEY_ARGS, "-CA", f("ca.crt"), "-CAkey", f("ca.key"), "-keyout", f(`client${i}.key`), "-out", f(`client${i}.crt`),
        "-subj", `/O=system:nodes/CN=${user}`, "-addext", "basicConstraints=critical,CA:FALSE", "-addext", "extendedKeyUsage=clientAuth"]);
      clients[user] = await pair(`client${i}`);
    }
    return { ca: await pair("ca"), server: await pair("server"), clients };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
