/**
 * valibot schema of a core/v1 Service, limited to the fields kube-proxy reads. Addresses are
 * checked here so that a Service that reaches the model never carries an unparsable IP.
 */
import * as v from "valibot";
import { IPStringSchema, ipStringSchema, ObjectMetaSchema } from "./object-meta.ts";

export const ProtocolSchema = v.picklist(["TCP", "UDP", "SCTP"]);
export type Protocol = v.InferOutput<typeof ProtocolSchema>;

const PortNumber = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535));

export const ServicePortSchema = v.looseObject({
  name: v.optional(v.string(), ""),
  protocol: v.optional(ProtocolSchema, "TCP"),
  port: PortNumber,
  // A check rather than a union, for the reason given at ipStringSchema (named ports fail `number`).
  targetPort: v.optional(v.custom<number | string>((x) => typeof x === "number" || typeof x === "string", "must be a number or a string")),
  nodePort: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(65535))),
});

/** "None" and "" mean headless; anything else must be an address. */
const ClusterIPSchema = ipStringSchema(["None", ""]);

export const ServiceSpecSchema = v.looseObject({
  type: v.optional(v.picklist(["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"]), "ClusterIP"),
  clusterIP: v.optional(ClusterIPSchema),
  clusterIPs: v.optional(v.array(ClusterIPSchema)),
  ports: v.optional(v.array(ServicePortSchema), []),
  selector: v.optional(v.nullable(v.record(v.string(), v.string()))),
  externalIPs: v.optional(v.array(IPStringSchema)),
  externalName: v.optional(v.string()),
  sessionAffinity: v.optional(v.picklist(["None", "ClientIP"]), "None"),
  sessionAffinityConfig: v.optional(
    v.looseObject({
      clientIP: v.optional(v.looseObject({ timeoutSeconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(86400))) })),
    }),
  ),
  externalTrafficPolicy: v.optional(v.picklist(["Cluster", "Local"])),
  internalTrafficPolicy: v.optional(v.picklist(["Cluster", "Local"])),
  healthCheckNodePort: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(65535))),
  loadBalancerSourceRanges: v.optional(v.array(v.string())),
  ipFamilies: v.optional(v.array(v.picklist(["IPv4", "IPv6"]))),
  ipFamilyPolicy: v.optional(v.string()),
});

export const LoadBalancerIngressSchema = v.looseObject({
  ip: v.optional(IPStringSchema),
  hostname: v.optional(v.string()),
  ipMode: v.optional(v.picklist(["VIP", "Proxy"])),
});

export const ServiceSchema = v.looseObject({
  apiVersion: v.optional(v.string()),
  kind: v.optional(v.string()),
  metadata: v.looseObject({ ...ObjectMetaSchema.entries, namespace: v.pipe(v.string(), v.minLength(1)) }),
  spec: ServiceSpecSchema,
  status: v.optional(
    v.looseObject({
      loadBalancer: v.optional(v.looseObject({ ingress: v.optional(v.array(LoadBalancerIngressSchema)) })),
    }),
  ),
});

export type Service = v.InferOutput<typeof ServiceSchema>;
export type ServicePort = v.InferOutput<typeof ServicePortSchema>;
