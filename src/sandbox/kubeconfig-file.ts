/** Writes a kubeconfig that points at a sandbox API server with a bearer token (mode 0600: it holds the token). */
import { writeFileSync } from "node:fs";

export function kubeconfigText(server: string, token: string, name = "sandbox"): string {
  return JSON.stringify(
    {
      apiVersion: "v1",
      kind: "Config",
      "current-context": name,
      clusters: [{ name, cluster: { server } }],
      users: [{ name, user: { token } }],
      contexts: [{ name, context: { cluster: name, user: name } }],
    },
    null,
    2,
  );
}

export function writeKubeconfigFile(path: string, server: string, token: string): void {
  writeFileSync(path, kubeconfigText(server, token), { mode: 0o600 });
}
