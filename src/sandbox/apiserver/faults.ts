/**
 * Fault injection for the sandbox API server: the failures a client meets in real clusters
 * (errors, throttling, slow answers, expired resourceVersions), armed by tests or by the
 * command's `--fault` flags and consulted by the router before it answers a resource request.
 * Dropping watches, malformed watch lines and restarts act on open connections and live in
 * server.ts; this holds the per-request part. Pure state, no timers.
 */
import { statusBody } from "./status.ts";

/** What the router asks about one request. */
export type RequestVerb = "list" | "watch" | "other";

/** Armed request faults; each `*Next` counter is consumed by the requests it answers. */
export class SandboxFaults {
  private errors: { code: 500 | 429; retryAfterSeconds: number }[] = [];
  private expireLeft = 0;
  /** Added before every answer, discovery included. */
  delayMs = 0;
  /** How many requests each fault answered, so tests can check the client met it. */
  readonly fired = { error500: 0, error429: 0, expired: 0 };

  /** The next `count` list or watch requests answer 500 InternalError. */
  failNext(count: number): void {
    for (let i = 0; i < count; i++) this.errors.push({ code: 500, retryAfterSeconds: 0 });
  }

  /** The next `count` list or watch requests answer 429 TooManyRequests with `Retry-After: seconds`. */
  throttleNext(count: number, retryAfterSeconds = 1): void {
    for (let i = 0; i < count; i++) this.errors.push({ code: 429, retryAfterSeconds });
  }

  /**
   * A 410 storm: the next `count` watches from a resourceVersion and list continuations answer
   * 410 Expired, as when etcd compacts faster than clients keep up. (The store's compaction
   * makes older RVs expire for good; this makes even fresh ones fail for a while.)
   */
  expireNext(count: number): void {
    this.expireLeft += count;
  }

  /** Clears every armed fault. */
  clear(): void {
    this.errors = [];
    this.expireLeft = 0;
    this.delayMs = 0;
  }

  /** The error response a list or watch gets now, or null to answer normally. */
  take(verb: RequestVerb, q: URLSearchParams): Response | null {
    if (verb === "other") return null;
    const e = this.errors.shift();
    if (e?.code === 500) {
      this.fired.error500++;
      return Response.json(statusBody(500, "InternalError", "Internal error occurred: injected by the sandbox"), { status: 500 });
    }
    if (e?.code === 429) {
      this.fired.error429++;
      return Response.json(statusBody(429, "TooManyRequests", "Too many requests, please try again later (injected by the sandbox)", { retryAfterSeconds: e.retryAfterSeconds }), {
        status: 429,
        headers: { "Retry-After": String(e.retryAfterSeconds) },
      });
    }
    const rv = q.get("resourceVersion");
    const resumes = verb === "watch" ? rv !== null && rv !== "" && rv !== "0" : q.get("continue") !== null;
    if (this.expireLeft > 0 && resumes) {
      this.expireLeft--;
      this.fired.expired++;
      const msg = verb === "watch" ? `too old resource version: ${rv}` : "The provided continue parameter is too old to display a consistent list result.";
      return Response.json(statusBody(410, "Expired", msg), { status: 410 });
    }
    return null;
  }
}
