/**
 * The one error type of the API client. Callers branch on `kind`, never on message text:
 * `gone` (410: the resourceVersion or continue token expired, relist), `unauthorized` (401),
 * `forbidden` (403), `throttled` (429: wait `retryAfterSeconds`), `http` (any other non-2xx),
 * `network` (no response at all), `decode` (a response that is not the JSON we expect).
 */
export type ApiErrorKind = "gone" | "unauthorized" | "forbidden" | "throttled" | "http" | "network" | "decode";

/** A failed API request. `status` is the HTTP code (0 for network and decode errors). */
export class ApiError extends Error {
  constructor(
    readonly kind: ApiErrorKind,
    readonly status: number,
    message: string,
    readonly reason?: string,
    /** From a 429's or 5xx's `Retry-After` header (or the Status details), when the server sent one. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** The error kind for an HTTP status code. */
export function kindOfStatus(status: number): ApiErrorKind {
  if (status === 410) return "gone";
  if (status === 401) return "unauthorized";
  if (status === 403) return "forbidden";
  if (status === 429) return "throttled";
  return "http";
}

/** Builds an ApiError from a Status object (body of an error response or of a watch ERROR event). */
export function apiErrorFromStatus(status: number, body: unknown, what: string, retryAfterHeader?: string | null): ApiError {
  const s = (body ?? {}) as { message?: unknown; reason?: unknown; code?: unknown; details?: { retryAfterSeconds?: unknown } };
  const code = typeof s.code === "number" && s.code > 0 ? s.code : status;
  const message = typeof s.message === "string" && s.message ? s.message : `HTTP ${code}`;
  const fromHeader = retryAfterHeader && /^\d+$/.test(retryAfterHeader.trim()) ? Number(retryAfterHeader) : undefined;
  const fromBody = typeof s.details?.retryAfterSeconds === "number" ? s.details.retryAfterSeconds : undefined;
  return new ApiError(kindOfStatus(code), code, `${what}: ${message}`, typeof s.reason === "string" ? s.reason : undefined, fromHeader ?? fromBody);
}

/** True when `e` is an ApiError (of `kind`, when given). */
export function isApiError(e: unknown, kind?: ApiErrorKind): e is ApiError {
  return e instanceof ApiError && (kind === undefined || e.kind === kind);
}
