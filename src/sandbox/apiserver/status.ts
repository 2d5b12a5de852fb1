/**
 * Kubernetes `Status` objects: the body of every error the sandbox answers, so clients (kubectl,
 * our ApiClient) see the same shape as from a real API server.
 */

/** The reasons the sandbox uses, as named by the Kubernetes API. */
export type StatusReason =
  | "Unauthorized" | "NotFound" | "AlreadyExists" | "Conflict" | "Expired" | "BadRequest"
  | "MethodNotAllowed" | "Invalid" | "InternalError" | "UnsupportedMediaType" | "TooManyRequests";

/** A failure Status body. */
export function statusBody(code: number, reason: StatusReason, message: string, details?: Record<string, unknown>) {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, ...(details ? { details } : {}), code };
}

/** A JSON response of a failure Status with its HTTP code. */
export function statusResponse(code: number, reason: StatusReason, message: string, details?: Record<string, unknown>): Response {
  return Response.json(statusBody(code, reason, message, details), { status: code });
}

/** An error a store or route throws to answer with a Status; routes turn it into a response. */
export class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "StatusError";
  }

  /** The response this error answers with. */
  toResponse(): Response {
    return statusResponse(this.code, this.reason, this.message, this.details);
  }
}
