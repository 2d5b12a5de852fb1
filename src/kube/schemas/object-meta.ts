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

/** An IP address string that `parseIP` accepts; anything else is an issue at its path. */
export const IPStringSchema = v.pipe(
  v.string(),
  v.check((s) => parseIP(s) !== null, (issue) => `not an IP address: ${JSON.stringify(issue.input)}`),
);
