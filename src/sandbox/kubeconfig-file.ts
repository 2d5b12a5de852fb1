/**
 * A kubeconfig for a sandbox API server: one cluster, user and context named "sandbox", with a
 * bearer token, or a client certificate (mutual TLS), and the CA to trust when it serves HTTPS.
 * Written as JSON, which every kubeconfig reader (ours, kubectl, client libraries) accepts as
 * YAML; mode 0600, since it holds a credential.
 */
import { writeFileSync } from "node:fs";

export interface SandboxCredentials {
  token: string;
  /** PEM of the CA that signed the server's certificate (HTTPS). */
  ca?: string;
  /** A client certificate and key (PEM), used instead of the token (mutual TLS). */
  client?: { cert: string; key: string };
}

const b64 = (pem: string) => Buffer.from(pem).toString("base64");

export function kubeconfigText(server: string, creds: SandboxCredentials): string {
  const name = "sandbox";
  const user = creds.client ? { "client-certificate-data": b64(creds.client.cert), "client-key-data": b64(creds.client.key) } : { token: creds.token };
  return JSON.stringify(
    {
      apiVersion: "v1",
      kind: "Config",
      "current-context": name,
      clusters: [{ name, cluster: { server, ...(creds.ca ? { "certificate-authority-data": b64(creds.ca) } : {}) } }],
      users: [{ name, user }],
      contexts: [{ name, context: { cluster: name, user: name } }],
    },
    null,
    2,
  );
}

/** Writes a token kubeconfig (the common case in tests and the demo). */
export function writeKubeconfigFile(path: string, server: string, token: string): void {
  writeFileSync(path, kubeconfigText(server, { token }), { mode: 0o600 });
}
