/**
 * One line for an operator about a failed API request: what went wrong and what to check. Built
 * from the error's kind and message only: request headers (and so tokens) never reach it.
 */
import { isApiError } from "./api-error.ts";
import { ExecCredentialError } from "./exec-credential.ts";

/** Describes `e` for a log line; an unknown error is reduced to its message. */
export function describeApiFailure(e: unknown): string {
  if (isApiError(e, "unauthorized")) return `${e.message} (401: the API server refused our credentials; the token or client certificate is wrong or expired)`;
  if (isApiError(e, "forbidden")) return `${e.message} (403: authenticated, but not allowed to list/watch this resource; check RBAC)`;
  if (isApiError(e, "throttled")) return `${e.message} (429: the API server asks us to slow down${e.retryAfterSeconds !== undefined ? `, retry after ${e.retryAfterSeconds}s` : ""})`;
  if (e instanceof ExecCredentialError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}
