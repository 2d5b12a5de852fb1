/**
 * valibot schema of a discovery.k8s.io/v1 EndpointSlice, limited to what kube-proxy reads.
 * Every address must parse: a slice with an unparsable address is rejected whole and the last
 * good version of it stays in use (see kube/decode.ts).
 */
import * as v from "valibot";
import { IPStringSchema, ObjectMetaSchema } from "./object-meta.ts";
import { ProtocolSchema } from "./service.ts";

/** The label that ties a slice to its Service. */
export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

// Endpoints and their parts are plain `object`s: unknown fields (targetRef, deprecatedTopology)
// are left out of the validated copy, which the informer cache keeps for the object's life.
export const EndpointConditionsSchema = v.object({
  ready: v.optional(v.nullable(v.boolean())),
  serving: v.optional(v.nullable(v.boolean())),
  terminating: v.optional(v.nullable(v.boolean())),
});

export const EndpointSchema = v.object({
  addresses: v.pipe(v.array(IPStringSchema), v.minLength(1)),
  conditions: v.optional(EndpointConditionsSchema, {}),
  nodeName: v.optional(v.nullable(v.string())),
  zone: v.optional(v.nullable(v.string())),
  hints: v.optional(
    v.nullable(
      v.object({
        forZones: v.optional(v.array(v.object({ name: v.string() }))),
        forNodes: v.optional(v.array(v.object({ name: v.string() }))),
      }),
    ),
  ),
});

export const EndpointPortSchema = v.looseObject({
  name: v.optional(v.nullable(v.string())),
  protocol: v.optional(ProtocolSchema, "TCP"),
  port: v.optional(v.nullable(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(65535)))),
});

export const EndpointSliceSchema = v.looseObject({
  apiVersion: v.optional(v.string()),
  kind: v.optional(v.string()),
  metadata: v.looseObject({ ...ObjectMetaSchema.entries, namespace: v.pipe(v.string(), v.minLength(1)) }),
  addressType: v.picklist(["IPv4", "IPv6", "FQDN"]),
  endpoints: v.optional(v.nullable(v.array(EndpointSchema)), []),
  ports: v.optional(v.nullable(v.array(EndpointPortSchema)), []),
});

export type EndpointSlice = v.InferOutput<typeof EndpointSliceSchema>;
export type Endpoint = v.InferOutput<typeof EndpointSchema>;
