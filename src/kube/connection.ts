/**
 * How the client reaches one API server: its base URL, the headers that authenticate each
 * request (computed per request so a rotated token file is picked up), and TLS material in the
 * shape `fetch`'s `tls` option takes. Built by kubeconfig.ts or in-cluster.ts.
 */
import { readFile } from "node:fs/promises";

/** TLS settings for fetch: PEM texts, and whether to verify the server's certificate. */
export interface ConnectionTLS {
  ca?: string;
  cert?: string;
  key?: string;
  rejectUnauthorized: boolean;
  serverName?: string;
}

/** One API server and the credentials to use with it. `headers()` rejects when a token file cannot be read. */
export interface ClusterConnection {
  /** Base URL without a trailing slash, e.g. `https://10.0.0.1:6443`. */
  server: string;
  /** Authentication headers for one request; never log their values. */
  headers(): Promise<Record<string, string>>;
  /** Forget cached credentials (the server refused them with 401), so the next request fetches fresh ones. */
  invalidate?(): void;
  /** A client certificate that can change over time (an exec plugin's), merged over `tls` per request. */
  clientCert?(): Promise<{ cert: string; key: string } | undefined>;
  tls?: ConnectionTLS;
  /** Where the settings came from (e.g. `kubeconfig /root/.kube/config`), for log lines. */
  source: string;
}

/** How a request authenticates. */
export type Credentials =
  | { type: "none" }
  | { type: "token"; token: string }
  | { type: "tokenFile"; path: string }
  | { type: "basic"; username: string; password: string };

/**
 * Header builder for credentials. A token file is re-read on every request: projected service
 * account tokens rotate on disk, and one small read per list/watch is cheap next to the request.
 */
export function authHeaders(creds: Credentials): () => Promise<Record<string, string>> {
  switch (creds.type) {
    case "none":
      return async () => ({});
    case "token":
      return async () => ({ Authorization: `Bearer ${creds.token}` });
    case "basic":
      return async () => ({ Authorization: `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString("base64")}` });
    case "tokenFile":
      return async () => ({ Authorization: `Bearer ${(await readFile(creds.path, "utf8")).trim()}` });
  }
}

/**
 * A token file read at most once per `maxAgeMs` (and again after `invalidate`), as client-go does
 * for the in-cluster service account: the kubelet rewrites projected tokens well before they
 * expire, so a minute-old copy is always still valid, and the API server is not slowed by a file
 * read per request. Rejects when the file cannot be read.
 */
export function cachedTokenFile(path: string, maxAgeMs = 60_000, now: () => number = Date.now): { headers(): Promise<Record<string, string>>; invalidate(): void } {
  let token: string | undefined;
  let readAt = 0;
  return {
    async headers() {
      if (token === undefined || now() - readAt >= maxAgeMs) {
        token = (await readFile(path, "utf8")).trim();
        readAt = now();
      }
      return { Authorization: `Bearer ${token}` };
    },
    invalidate() {
      token = undefined;
    },
  };
}
