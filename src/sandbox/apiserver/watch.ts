/**
 * The watch endpoint: newline-delimited JSON events streamed as a chunked response, from a given
 * resourceVersion on, filtered by namespace and selectors, with optional periodic bookmarks and
 * a server-side timeout. An object that stops matching a selector is sent as DELETED and one that
 * starts matching as ADDED, as the real API server does, so selector-scoped caches stay exact.
 */
import type { ResourceName } from "../../kube/schemas/index.ts";
import { SANDBOX_RESOURCES } from "./resource-table.ts";
import { matchesFields, matchesLabels, type Requirement } from "./selectors.ts";
import type { KubeObject, SandboxStore, StoreEvent } from "./store.ts";

/** What a watch request asked for. `fromRv` undefined means "now", preceded by ADDED for every current object. */
export interface WatchRequest {
  resource: ResourceName;
  namespace?: string;
  labels: Requirement[];
  fields: Requirement[];
  fromRv?: number;
  bookmarks: boolean;
  timeoutSeconds?: number;
}

/** One open watch stream, as the registry can act on it. */
interface OpenWatch {
  close(): void;
  /** Writes `text` as is, framing included: how a fault puts a broken line on the wire. */
  sendRaw(text: string): void;
}

/** The open watches, so tests can cut them all at once or corrupt their streams. */
export class WatchRegistry {
  private readonly open = new Set<OpenWatch>();

  /** Ends every open watch stream cleanly, as a load balancer or an API server restart would. */
  dropAll(): number {
    const n = this.open.size;
    for (const w of [...this.open]) w.close();
    return n;
  }

  /** Writes a line that is not a JSON event to every open watch (a proxy truncating a frame); returns how many got it. */
  sendMalformed(): number {
    for (const w of this.open) w.sendRaw('{"type":"MODIFIED","object":{"metadata":\n');
    return this.open.size;
  }

  /** How many watches are open now. */
  get size(): number {
    return this.open.size;
  }

  /** Registers a watch; returns the unregister function. */
  add(w: OpenWatch): () => void {
    this.open.add(w);
    return () => this.open.delete(w);
  }
}

/** Translates a store event into what this watcher should see, or null when it is out of scope. */
function project(req: WatchRequest, e: StoreEvent): { type: string; object: KubeObject } | null {
  if (e.resource !== req.resource) return null;
  const matches = (o: KubeObject | undefined) =>
    o !== undefined &&
    (!req.namespace || o.metadata.namespace === req.namespace) &&
    matchesLabels(req.labels, o.metadata.labels) &&
    matchesFields(req.fields, o);
  const now = matches(e.object);
  const before = e.type === "MODIFIED" ? matches(e.previous) : now;
  if (e.type === "MODIFIED") {
    if (now && before) return { type: "MODIFIED", object: e.object };
    if (now) return { type: "ADDED", object: e.object };
    if (before) return { type: "DELETED", object: e.object };
    return null;
  }
  return now ? { type: e.type, object: e.object } : null;
}

/**
 * Opens a watch: a streaming Response. Throws the store's 410 StatusError (before any byte is
 * sent) when `fromRv` is older than the history window.
 */
export function openWatch(store: SandboxStore, registry: WatchRegistry, req: WatchRequest, bookmarkIntervalMs: number): Response {
  const encoder = new TextEncoder();
  let cleanup = () => {};
  const pending: Uint8Array[] = [];
  let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  let closed = false;
  const sendRaw = (text: string) => {
    if (closed) return;
    const line = encoder.encode(text);
    if (controller) controller.enqueue(line);
    else pending.push(line);
  };
  const send = (type: string, object: unknown) => sendRaw(JSON.stringify({ type, object }) + "\n");
  const close = () => {
    if (closed) return;
    closed = true;
    cleanup();
    try {
      controller?.close();
    } catch {
      // Already closed by the client going away.
    }
  };

  const listener = (e: StoreEvent) => {
    const out = project(req, e);
    if (out) send(out.type, out.object);
  };
  let unsubscribe: () => void;
  if (req.fromRv === undefined) {
    // "Any"/unset RV: the current state as ADDED events, then live changes.
    const ns = SANDBOX_RESOURCES[req.resource].namespaced ? req.namespace : undefined;
    for (const { object } of store.list(req.resource, ns)) listener({ rv: 0, type: "ADDED", resource: req.resource, object });
    unsubscribe = store.watchFrom(store.resourceVersion, listener);
  } else {
    unsubscribe = store.watchFrom(req.fromRv, listener);
  }
  const info = SANDBOX_RESOURCES[req.resource];
  const timers: ReturnType<typeof setTimeout>[] = [];
  if (req.bookmarks) {
    timers.push(setInterval(() => send("BOOKMARK", { kind: info.kind, apiVersion: info.apiVersion, metadata: { resourceVersion: String(store.resourceVersion) } }), bookmarkIntervalMs));
  }
  if (req.timeoutSeconds !== undefined) timers.push(setTimeout(close, req.timeoutSeconds * 1000));
  const unregister = registry.add({ close, sendRaw });
  cleanup = () => {
    unsubscribe();
    unregister();
    for (const t of timers) clearTimeout(t);
  };

  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      // Bun sends the status line only with the first chunk; a real API server answers at once,
      // and clients wait for headers before they treat the watch as open. Blank lines are
      // skipped by every watch decoder (JSON framing ignores whitespace).
      c.enqueue(encoder.encode("\n"));
      for (const line of pending.splice(0)) c.enqueue(line);
      if (closed) c.close();
    },
    cancel() {
      close();
    },
  });
  return new Response(body, { headers: { "Content-Type": "application/json", "Cache-Control": "no-cache" } });
}
