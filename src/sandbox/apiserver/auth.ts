/**
 * Bearer-token authentication: every request must carry `Authorization: Bearer <token>` with the
 * sandbox's token, else 401 with a Status, as a real API server without anonymous auth answers.
 */
import { statusResponse } from "./status.ts";

/** Constant-time comparison, so the sandbox does not teach bad habits. */
function sameToken(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  if (x.length !== y.length) return false;
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ y[i]!;
  return diff === 0;
}

/** Null when the request carries the token; otherwise the 401 response to send. */
export function checkBearer(req: Request, token: string): Response | null {
  const header = req.headers.get("authorization") ?? "";
  const m = /^Bearer\s+(.+)$/i.exec(header);
  if (m && sameToken(m[1]!.trim(), token)) return null;
  return statusResponse(401, "Unauthorized", "Unauthorized");
}
