/**
 * Validation of API objects with their valibot schema. An invalid object is reported, never
 * thrown: the message names the kind, namespace/name and each issue's dot path and message, so an
 * operator can find the bad field (`endpoints.1.addresses.0: not an IP address: "10.0.0.300"`).
 */
import * as v from "valibot";

/** `namespace/name`, or `name` for cluster-scoped objects; undefined when the object has no name. */
export function keyOf(obj: unknown): string | undefined {
  const meta = (obj as { metadata?: { name?: unknown; namespace?: unknown } } | null)?.metadata;
  if (!meta || typeof meta.name !== "string" || meta.name === "") return undefined;
  return typeof meta.namespace === "string" && meta.namespace ? `${meta.namespace}/${meta.name}` : meta.name;
}

/** The resourceVersion of a raw object, or "". */
export function resourceVersionOf(obj: unknown): string {
  const rv = (obj as { metadata?: { resourceVersion?: unknown } } | null)?.metadata?.resourceVersion;
  return typeof rv === "string" ? rv : "";
}

/** `path: message` for each issue, joined by "; ". */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string {
  return issues.map((i) => `${v.getDotPath(i) ?? "(object)"}: ${i.message}`).join("; ");
}

/** The validated object, or the one-line reason it was refused. */
export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Validates `raw` against `schema`; the reason reads `Skipping invalid KIND KEY: issues`. */
export function decodeObject<T>(schema: v.GenericSchema<unknown, T>, kind: string, raw: unknown): Decoded<T> {
  const r = v.safeParse(schema, raw);
  if (r.success) return { ok: true, value: r.output };
  return { ok: false, reason: `Skipping invalid ${kind} ${keyOf(raw) ?? "(unnamed)"}: ${describeIssues(r.issues)}` };
}

/** The only annotation the proxy reads (EndpointSlices' network-programming trigger time). */
const KEPT_ANNOTATIONS = ["endpoints.kubernetes.io/last-change-trigger-time"];

/**
 * Drops, from a validated object about to be cached, the fields no part of the proxy reads and
 * that the schemas pass through: `metadata.managedFields`, every annotation but the trigger
 * time (kubectl's last-applied-configuration alone can be kilobytes per object); and it shares
 * endpoint conditions (the endpoint schema already leaves targetRef out). The informer cache
 * holds every Service and EndpointSlice for the process's life, so these were a large share of
 * its memory (bun run bench B4). Replaces `metadata` and each endpoint's `conditions` of `obj`
 * (the validator's own output: valibot copies objects, never the raw API object) and returns
 * it. Never throws.
 */
export function trimForCache<T>(obj: T): T {
  const o = obj as { metadata?: Record<string, unknown> & { annotations?: Record<string, string> }; endpoints?: { conditions?: unknown }[] };
  const meta = o?.metadata;
  if (meta && typeof meta === "object") {
    // New objects rather than `delete`: JSC turns an object a property was deleted from into a
    // dictionary of its own, several times larger (100k endpoints, bun run bench B4).
    const { managedFields: _dropped, annotations, ...rest } = meta;
    const next: Record<string, unknown> = rest;
    if (annotations && typeof annotations === "object") {
      const kept: Record<string, string> = {};
      let any = false;
      for (const k of KEPT_ANNOTATIONS) if (typeof annotations[k] === "string") (kept[k] = annotations[k]), (any = true);
      if (any) next.annotations = kept;
    }
    o.metadata = next;
  }
  // Endpoints come from the schema without targetRef already; their conditions are shared.
  if (Array.isArray(o?.endpoints)) {
    for (const ep of o.endpoints) if (ep && typeof ep === "object" && "conditions" in ep) ep.conditions = sharedConditions(ep.conditions);
  }
  return obj;
}

/**
 * One frozen object per distinct set of endpoint conditions (a few exist; 100k endpoints had
 * 100k copies). Cached objects are only read, never changed. The schema keeps only ready,
 * serving and terminating, so those three (and which of them are present) identify it.
 */
const CONDITIONS = new Map<string, object>();
function sharedConditions(c: unknown): unknown {
  if (!c || typeof c !== "object") return c;
  const { ready, serving, terminating } = c as Record<string, unknown>;
  const id = `${"ready" in c}${ready}|${"serving" in c}${serving}|${"terminating" in c}${terminating}`;
  let shared = CONDITIONS.get(id);
  if (!shared) CONDITIONS.set(id, (shared = Object.freeze({ ...c })));
  return shared;
}
