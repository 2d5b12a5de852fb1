/** valibot schema of a core/v1 Node, limited to what kube-proxy reads (addresses, labels, taints, podCIDRs). */
import * as v from "valibot";
import { ObjectMetaSchema } from "./object-meta.ts";

export const NodeSchema = v.looseObject({
  apiVersion: v.optional(v.string()),
  kind: v.optional(v.string()),
  metadata: ObjectMetaSchema,
  spec: v.optional(
    v.looseObject({
      podCIDR: v.optional(v.string()),
      podCIDRs: v.optional(v.array(v.string())),
      taints: v.optional(v.array(v.looseObject({ key: v.string(), value: v.optional(v.string()), effect: v.optional(v.string()) }))),
    }),
    {},
  ),
  status: v.optional(
    v.looseObject({
      addresses: v.optional(v.array(v.looseObject({ type: v.string(), address: v.string() }))),
    }),
    {},
  ),
});

export type Node = v.InferOutput<typeof NodeSchema>;
