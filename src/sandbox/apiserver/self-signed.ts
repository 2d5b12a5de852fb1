/**
 * A throwaway self-signed certificate for the sandbox's TLS mode. kubectl (client-go) never sends
 * a bearer token over plain HTTP, so kubectl against a token-protected sandbox needs HTTPS.
 * Made with the `openssl` program through the process seam; fails when openssl is missing or
 * refuses, with its stderr in the message.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Runner } from "../../lib/exec.ts";
import { parseIP } from "../../lib/ip.ts";

/** PEM certificate and key; the certificate is also its own CA. */
export interface CertPair {
  cert: string;
  key: string;
}

/** Generates an ECDSA P-256 certificate valid for a day for `hosts` (IPs or DNS names). */
export async function generateSelfSignedCert(runner: Runner, hosts: string[]): Promise<CertPair> {
  const dir = await mkdtemp(join(tmpdir(), "sandbox-cert-"));
  try {
    const san = hosts.map((h) => (parseIP(h) ? `IP:${h}` : `DNS:${h}`)).join(",");
    const out = await runner([
      "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"), "-days", "1",
      "-subj", "/CN=kube-proxy-bun-sandbox", "-addext", `subjectAltName=${san}`,
      "-addext", "basicConstraints=critical,CA:TRUE",
    ]);
    if (out.exitCode !== 0) throw new Error(`openssl req failed (exit ${out.exitCode}): ${out.stderr.trim()}`);
    return { cert: await readFile(join(dir, "cert.pem"), "utf8"), key: await readFile(join(dir, "key.pem"), "utf8") };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
