/**
 * The API client: raw `fetch` list and watch of the resources in RESOURCES, cluster-wide. A
 * watch is read incrementally: each newline-delimited event is yielded as soon as it arrives.
 * Failures are ApiError with a `kind`. Tokens never appear in errors or logs.
 */
import { ApiError, apiErrorFromStatus } from "./api-error.ts";
import type { ClusterConnection } from "./connection.ts";
import { LineSplitter } from "./line-splitter.ts";
import { RESOURCES, type ResourceName } from "./schemas/index.ts";

/** Query options of a list. */
export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  signal?: AbortSignal;
}

/** One page of a list: raw items (not yet validated), the list's resourceVersion, the next page's token. */
export interface ListPage {
  resourceVersion: string;
  continue?: string;
  items: unknown[];
}

/** Query options of a watch. Bookmarks are asked for unless `allowWatchBookmarks` is false. */
export interface WatchOptions {
  resourceVersion?: string;
  labelSelector?: string;
  fieldSelector?: string;
  timeoutSeconds?: number;
  allowWatchBookmarks?: boolean;
  signal?: AbortSignal;
}

/** One watch event as sent; `object` is not yet validated. ERROR events are thrown, never yielded. */
export interface WatchEvent {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK";
  object: unknown;
}

const EVENT_TYPES = new Set(["ADDED", "MODIFIED", "DELETED", "BOOKMARK"]);

function isAbort(e: unknown, signal?: AbortSignal): boolean {
  return signal?.aborted === true || (e instanceof Error && e.name === "AbortError");
}

/** Talks to one API server. Construction does no I/O. */
export class ApiClient {
  private readonly doFetch: typeof fetch;

  constructor(
    readonly connection: ClusterConnection,
    opts: { fetch?: typeof fetch; userAgent?: string } = {},
  ) {
    this.doFetch = opts.fetch ?? fetch;
    this.userAgent = opts.userAgent ?? "kube-proxy-bun";
  }

  private readonly userAgent: string;

  /** GETs `path?query`; throws ApiError for a non-2xx answer or no answer, rethrows an abort. */
  private async get(path: string, query: Record<string, string | number | boolean | undefined>, signal?: AbortSignal): Promise<Response> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== "") params.set(k, String(v));
    const qs = params.toString();
    const what = `GET ${path}${qs ? `?${qs}` : ""}`;
    let res: Response;
    try {
      const headers = { Accept: "application/json", "User-Agent": this.userAgent, ...(await this.connection.headers()) };
      const cert = await this.connection.clientCert?.();
      const tls = cert ? { rejectUnauthorized: true, ...this.connection.tls, ...cert } : this.connection.tls;
      res = await this.doFetch(`${this.connection.server}${path}${qs ? `?${qs}` : ""}`, { headers, signal, tls } as RequestInit);
    } catch (e) {
      if (isAbort(e, signal)) throw e;
      throw new ApiError("network", 0, `${what}: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (!res.ok) {
      const body = await res.json().catch(() => undefined);
      // A refused credential may have rotated since it was read (token file, exec plugin).
      if (res.status === 401) this.connection.invalidate?.();
      throw apiErrorFromStatus(res.status, body, what, res.headers.get("retry-after"));
    }
    return res;
  }

  /** Lists one page of a resource across all namespaces. */
  async list(resource: ResourceName, opts: ListOptions = {}): Promise<ListPage> {
    const res = await this.get(RESOURCES[resource].path, {
      labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, limit: opts.limit, continue: opts.continue,
    }, opts.signal);
    const body = (await res.json().catch(() => undefined)) as { metadata?: { resourceVersion?: unknown; continue?: unknown }; items?: unknown } | undefined;
    if (!body || !Array.isArray(body.items ?? [])) throw new ApiError("decode", 0, `list ${resource}: the answer is not a list`);
    const rv = body.metadata?.resourceVersion;
    const cont = body.metadata?.continue;
    return { resourceVersion: typeof rv === "string" ? rv : "", continue: typeof cont === "string" && cont ? cont : undefined, items: (body.items as unknown[] | null) ?? [] };
  }

  /**
   * Watches a resource across all namespaces. Ends when the server ends the stream or the signal
   * aborts; throws ApiError on a failed request, an ERROR event (410 is kind "gone"), a line
   * that is not JSON, or a connection cut mid-stream (kind "network").
   */
  async *watch(resource: ResourceName, opts: WatchOptions = {}): AsyncGenerator<WatchEvent> {
    const res = await this.get(RESOURCES[resource].path, {
      watch: 1, resourceVersion: opts.resourceVersion, labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector,
      allowWatchBookmarks: opts.allowWatchBookmarks === false ? undefined : true, timeoutSeconds: opts.timeoutSeconds,
    }, opts.signal);
    if (!res.body) return;
    const decoder = new TextDecoder();
    const lines = new LineSplitter();
    const parse = (line: string): WatchEvent => {
      let ev: { type?: unknown; object?: unknown };
      try {
        ev = JSON.parse(line) as typeof ev;
      } catch {
        throw new ApiError("decode", 0, `watch ${resource}: a line is not JSON`);
      }
      if (ev.type === "ERROR") throw apiErrorFromStatus(0, ev.object, `watch ${resource}`);
      if (typeof ev.type !== "string" || !EVENT_TYPES.has(ev.type)) throw new ApiError("decode", 0, `watch ${resource}: unknown event type ${JSON.stringify(ev.type)}`);
      return { type: ev.type as WatchEvent["type"], object: ev.object };
    };
    try {
      for await (const chunk of res.body) {
        for (const line of lines.push(decoder.decode(chunk, { stream: true }))) yield parse(line);
      }
    } catch (e) {
      if (e instanceof ApiError || isAbort(e, opts.signal)) throw e;
      throw new ApiError("network", 0, `watch ${resource}: stream broke: ${e instanceof Error ? e.message : String(e)}`);
    }
    const tail = lines.flush();
    if (tail) yield parse(tail);
  }
}
