/** valibot schema of the ObjectMeta fields the proxy reads. Unknown fields pass through untouched. */
import * as v from "valibot";
import { parseIP } from "../../lib/ip.ts";

/** metadata of every object we read: name and resourceVersion are required, as the API guarantees. */
export const ObjectMetaSchema = v.looseObject({
  name: v.pipe(v.string(), v.minLength(1)),
  namespace: v.optional(v.string()),
  uid: v.optional(v.string()),
  resourceVersion: v.optional(v.string()),
  labels: v.optional(v.record(v.string(), v.string())),
  annotations: v.optional(v.record(v.string(), v.string())),
  deletionTimestamp: v.optional(v.nullable(v.string())),
});

export type ObjectMeta = v.InferOutput<typeof ObjectMetaSchema>;

/**
 * An IP address string that `parseIP` accepts, or one of the words `also`; anything else is an
 * issue at its path. One check, not a union with literals: a union builds an issue (message text
 * and all) for every option a valid value fails first, 15-20% of decoding a fixture Service.
 */
export function ipStringSchema(also: readonly string[] = []) {
  const expected = ["not an IP address", also.map((w) => JSON.stringify(w)).join(" or ")].filter(Boolean).join(", ");
  return v.pipe(
    v.string(),
    v.check((s) => also.includes(s) || parseIP(s) !== null, (issue) => `${expected}: ${JSON.stringify(issue.input)}`),
  );
}

/** An IP address string that `parseIP` accepts. */
export const IPStringSchema = ipStringSchema();
