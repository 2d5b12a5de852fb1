/**
 * The in-cluster connection a pod gets: the API server from KUBERNETES_SERVICE_HOST/PORT, the
 * service account's token (re-read every minute and after a 401, since projected tokens rotate)
 * and CA.
 */
import { readFile } from "node:fs/promises";
import { cachedTokenFile, type ClusterConnection } from "./connection.ts";

/** Where Kubernetes mounts a pod's service account. */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** Builds the in-cluster connection; fails when the environment variables or the CA file are missing. */
export async function inClusterConnection(env: Record<string, string | undefined> = process.env, dir = SERVICE_ACCOUNT_DIR, now: () => number = Date.now): Promise<ClusterConnection> {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) throw new Error("in-cluster config: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set (or pass --kubeconfig)");
  let ca: string;
  try {
    ca = await readFile(`${dir}/ca.crt`, "utf8");
  } catch (e) {
    throw new Error(`in-cluster config: cannot read ${dir}/ca.crt: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const hostPart = host.includes(":") ? `[${host}]` : host;
  const token = cachedTokenFile(`${dir}/token`, 60_000, now);
  return {
    server: `https://${hostPart}:${port}`,
    headers: token.headers,
    invalidate: token.invalidate,
    tls: { ca, rejectUnauthorized: true },
    source: "in-cluster service account",
  };
}
