/**
 * The sandbox API server: a store, the routes and Bun.serve, with a programmatic API for tests
 * and demos (apply, remove, list) and fault hooks (drop watches, compact history, hold watches
 * back, errors, throttling, delays, 410 storms, malformed watch lines, going down and coming back
 * on the same port with the same state). Plain HTTP or HTTPS with bearer-token auth, or mutual
 * TLS when given a client CA.
 */
import type { ResourceName } from "../../kube/schemas/index.ts";
import type { Logger } from "../../lib/log.ts";
import { SandboxFaults } from "./faults.ts";
import { handleRequest, type RouteContext } from "./routes.ts";
import { SANDBOX_RESOURCES } from "./resource-table.ts";
import { StatusError } from "./status.ts";
import { type KubeObject, SandboxStore } from "./store.ts";
import { WatchRegistry } from "./watch.ts";

/** Options of startSandboxApiServer; every field has a default. */
export interface SandboxApiServerOptions {
  /** Address to listen on; 127.0.0.1 by default. */
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** The bearer token clients must send; random when not given. */
  token?: string;
  /** Events kept for watches to resume from (default 1000); older RVs answer 410 Expired. */
  historyWindow?: number;
  /** How often a watch that allows bookmarks gets one (default 5000 ms; a real server: about a minute). */
  bookmarkIntervalMs?: number;
  /** Serve HTTPS with this PEM certificate and key (see self-signed.ts); plain HTTP when absent. */
  tls?: { cert: string; key: string };
  /**
   * Mutual TLS: require a client certificate signed by this CA (PEM) at the handshake, as an API
   * server with `--client-ca-file` does for a client without a token. Needs `tls`. Connections
   * without a valid certificate fail the handshake; authenticated ones need no token.
   */
  clientCA?: string;
  log?: Logger;
}

/** A running sandbox API server. Programmatic writes go through the same store as HTTP ones, so watchers see them. */
export interface SandboxApiServer {
  /** `http://host:port`, or `https://` when serving TLS. */
  readonly url: string;
  /** The bearer token accepted now (see rotateToken). */
  readonly token: string;
  readonly port: number;
  /** Requests counted so far, by verb. */
  readonly counts: { list: number; watch: number };
  /** Creates, or updates when it exists (ignoring any resourceVersion in `obj`); returns the stored object. */
  apply(resource: ResourceName, obj: KubeObject): KubeObject;
  /** Creates; throws StatusError 409 when it exists. */
  create(resource: ResourceName, obj: KubeObject): KubeObject;
  /** Updates; throws StatusError 404 when absent, 409 when `obj` carries a stale resourceVersion. */
  update(resource: ResourceName, obj: KubeObject): KubeObject;
  /** Deletes; throws StatusError 404 when absent. `namespace` is ignored for cluster-scoped resources. */
  remove(resource: ResourceName, namespace: string | undefined, name: string): KubeObject;
  get(resource: ResourceName, namespace: string | undefined, name: string): KubeObject | undefined;
  list(resource: ResourceName): KubeObject[];
  /** Fault hook: ends every open watch stream cleanly; returns how many there were. */
  dropWatches(): number;
  /** Fault hook: forgets event history, so watches from any earlier RV get 410 Expired. */
  compact(): void;
  /** Fault hook: new watch requests wait (connected, no answer) until releaseWatches(). */
  holdWatches(): void;
  releaseWatches(): void;
  /** Number of open watch streams. */
  openWatches(): number;
  /** Changes the accepted bearer token, as when a bound service-account token rotates and the old one expires. */
  rotateToken(next: string): void;
  /** Fault hooks answered per request: errors, throttling, delays, 410 storms (see faults.ts). */
  readonly faults: SandboxFaults;
  /** Fault hook: writes a line that is not JSON into every open watch; returns how many got it. */
  sendMalformed(): number;
  /**
   * Fault hook: stops listening (open watches end, new connections are refused), waits `downMs`,
   * then listens again on the same port with the same objects and history.
   */
  restart(downMs?: number): Promise<void>;
  /** Closes every watch and stops listening. */
  stop(): Promise<void>;
}

/** Starts the sandbox API server; fails when the address cannot be bound. */
export async function startSandboxApiServer(opts: SandboxApiServerOptions = {}): Promise<SandboxApiServer> {
  const host = opts.host ?? "127.0.0.1";
  const token = opts.token ?? crypto.randomUUID().replaceAll("-", "");
  const store = new SandboxStore(opts.historyWindow ?? 1000);
  const watches = new WatchRegistry();
  let gate: { promise: Promise<void>; release: () => void } | undefined;
  const faults = new SandboxFaults();
  const ctx: RouteContext = {
    store, watches, token, faults,
    clientCertAuth: opts.clientCA !== undefined,
    serverAddress: "",
    bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 5000,
    log: opts.log,
    counts: { list: 0, watch: 0 },
    watchGate: () => gate?.promise ?? Promise.resolve(),
  };
  if (opts.clientCA && !opts.tls) throw new Error("sandbox apiserver: clientCA (mutual TLS) needs tls");
  const tls = opts.tls
    ? { cert: opts.tls.cert, key: opts.tls.key, ...(opts.clientCA ? { ca: opts.clientCA, requestCert: true, rejectUnauthorized: true } : {}) }
    : undefined;
  const listen = (port: number) =>
    Bun.serve({
      hostname: host,
      port,
      // Watches are long-lived and may be quiet for longer than Bun's default idle timeout.
      idleTimeout: 0,
      ...(tls ? { tls } : {}),
      fetch: (req) => handleRequest(ctx, req),
    });
  let server = listen(opts.port ?? 0);
  const port = server.port ?? 0;
  const hostPart = host.includes(":") ? `[${host}]` : host;
  ctx.serverAddress = `${hostPart}:${port}`;
  const url = `${opts.tls ? "https" : "http"}://${hostPart}:${port}`;
  opts.log?.info("sandbox apiserver listening", { url }, 1);

  const namespaceOf = (resource: ResourceName, obj: KubeObject) =>
    SANDBOX_RESOURCES[resource].namespaced ? (obj.metadata.namespace ?? "default") : undefined;
  return {
    url,
    get token() {
      return ctx.token;
    },
    rotateToken(next) {
      ctx.token = next;
    },
    port,
    counts: ctx.counts,
    apply(resource, obj) {
      const current = store.get(resource, namespaceOf(resource, obj), obj.metadata.name ?? "");
      if (!current) return store.create(resource, obj);
      return store.update(resource, { ...obj, metadata: { ...obj.metadata, resourceVersion: undefined } });
    },
    create: (resource, obj) => store.create(resource, obj),
    update: (resource, obj) => store.update(resource, obj),
    remove: (resource, namespace, name) => store.remove(resource, SANDBOX_RESOURCES[resource].namespaced ? (namespace ?? "default") : undefined, name),
    get: (resource, namespace, name) => store.get(resource, SANDBOX_RESOURCES[resource].namespaced ? (namespace ?? "default") : undefined, name),
    list: (resource) => store.list(resource).map((e) => e.object),
    dropWatches: () => watches.dropAll(),
    compact: () => store.compact(),
    holdWatches() {
      if (gate) return;
      let release = () => {};
      const promise = new Promise<void>((r) => (release = r));
      gate = { promise, release };
    },
    releaseWatches() {
      gate?.release();
      gate = undefined;
    },
    openWatches: () => watches.size,
    faults,
    sendMalformed: () => watches.sendMalformed(),
    async restart(downMs = 0) {
      watches.dropAll();
      await server.stop(true);
      if (downMs > 0) await Bun.sleep(downMs);
      server = listen(port);
      opts.log?.info("sandbox apiserver back", { url }, 1);
    },
    async stop() {
      gate?.release();
      watches.dropAll();
      await server.stop(true);
    },
  };
}

export { StatusError };
export type { KubeObject };
