/**
 * valibot schema of the kubeconfig fields we read (kubectl's `Config`, v1). Unknown fields are
 * allowed, as kubectl allows them. Cross-references (context -> cluster, user) are checked in
 * kubeconfig.ts, where the message can name the missing entry.
 */
import * as v from "valibot";

const NameSchema = v.pipe(v.string(), v.minLength(1));

export const KubeconfigClusterSchema = v.looseObject({
  server: v.pipe(v.string(), v.url("not a URL")),
  "certificate-authority": v.optional(v.string()),
  "certificate-authority-data": v.optional(v.pipe(v.string(), v.base64("not base64"))),
  "insecure-skip-tls-verify": v.optional(v.boolean()),
  "tls-server-name": v.optional(v.string()),
});

export const KubeconfigUserSchema = v.looseObject({
  token: v.optional(v.string()),
  tokenFile: v.optional(v.string()),
  username: v.optional(v.string()),
  password: v.optional(v.string()),
  "client-certificate": v.optional(v.string()),
  "client-certificate-data": v.optional(v.pipe(v.string(), v.base64("not base64"))),
  "client-key": v.optional(v.string()),
  "client-key-data": v.optional(v.pipe(v.string(), v.base64("not base64"))),
  exec: v.optional(v.unknown()),
  "auth-provider": v.optional(v.unknown()),
});

export const KubeconfigContextSchema = v.looseObject({
  cluster: v.pipe(v.string(), v.minLength(1)),
  user: v.optional(v.string()),
  namespace: v.optional(v.string()),
});

export const KubeconfigSchema = v.looseObject({
  "current-context": v.optional(v.string()),
  clusters: v.optional(v.nullable(v.array(v.looseObject({ name: NameSchema, cluster: KubeconfigClusterSchema }))), []),
  users: v.optional(v.nullable(v.array(v.looseObject({ name: NameSchema, user: v.optional(v.nullable(KubeconfigUserSchema), {}) }))), []),
  contexts: v.optional(v.nullable(v.array(v.looseObject({ name: NameSchema, context: KubeconfigContextSchema }))), []),
});

export type Kubeconfig = v.InferOutput<typeof KubeconfigSchema>;
export type KubeconfigUser = v.InferOutput<typeof KubeconfigUserSchema>;
export type KubeconfigCluster = v.InferOutput<typeof KubeconfigClusterSchema>;
