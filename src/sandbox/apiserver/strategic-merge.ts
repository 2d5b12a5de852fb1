/**
 * Strategic merge patch, the part `kubectl apply` and `kubectl edit` send: maps merge, lists with
 * a merge key (a Service's `spec.ports` by `port`, a Node's `spec.taints` by `key` and
 * `status.addresses` by `type`) merge element by element, other lists are replaced, `null`
 * deletes a field, and the directives `$patch: delete|replace`, `$setElementOrder/FIELD`,
 * `$deleteFromPrimitiveList/FIELD` and `$retainKeys` are honoured and never stored. Pure.
 */
import type { ResourceName } from "../../kube/schemas/index.ts";

/** Merge keys by resource and dotted field path, as the Kubernetes types declare them (patchMergeKey). */
export const MERGE_KEYS: Record<ResourceName, Record<string, string>> = {
  services: { "spec.ports": "port", "metadata.ownerReferences": "uid" },
  endpointslices: { "metadata.ownerReferences": "uid" },
  nodes: { "spec.taints": "key", "status.addresses": "type", "status.conditions": "type", "metadata.ownerReferences": "uid" },
};

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => x !== null && typeof x === "object" && !Array.isArray(x);

function mergeList(current: unknown, patch: unknown[], key: string, keys: Record<string, string>, path: string): unknown[] {
  const out = Array.isArray(current) ? [...current] : [];
  for (const p of patch) {
    if (!isObj(p)) {
      out.push(p);
      continue;
    }
    const i = out.findIndex((e) => isObj(e) && e[key] === p[key]);
    if (p.$patch === "delete") {
      if (i >= 0) out.splice(i, 1);
    } else if (i >= 0) out[i] = merge(out[i], p, keys, path);
    else out.push(merge(undefined, p, keys, path));
  }
  return out;
}

function reorder(list: unknown, order: unknown, key: string | undefined): unknown {
  if (!Array.isArray(list) || !Array.isArray(order)) return list;
  const id = (e: unknown) => (key && isObj(e) ? e[key] : e);
  const rank = new Map(order.map((o, i) => [id(o), i]));
  return [...list].sort((a, b) => (rank.get(id(a)) ?? order.length) - (rank.get(id(b)) ?? order.length));
}

function merge(target: unknown, patch: unknown, keys: Record<string, string>, path: string): unknown {
  if (!isObj(patch)) return patch;
  if (patch.$patch === "replace") {
    const { $patch: _, ...rest } = patch;
    return merge(undefined, rest, keys, path);
  }
  const out: Obj = isObj(target) ? { ...target } : {};
  const orders: [string, unknown][] = [];
  for (const [k, v] of Object.entries(patch)) {
    if (k === "$patch" || k === "$retainKeys") continue;
    if (k.startsWith("$setElementOrder/")) {
      orders.push([k.slice("$setElementOrder/".length), v]);
      continue;
    }
    if (k.startsWith("$deleteFromPrimitiveList/")) {
      const field = k.slice("$deleteFromPrimitiveList/".length);
      if (Array.isArray(out[field]) && Array.isArray(v)) out[field] = (out[field] as unknown[]).filter((e) => !v.includes(e));
      continue;
    }
    const sub = path ? `${path}.${k}` : k;
    if (v === null) delete out[k];
    else if (Array.isArray(v) && keys[sub]) out[k] = mergeList(out[k], v, keys[sub]!, keys, sub);
    else if (isObj(v) && v.$patch === "delete") delete out[k];
    else out[k] = Array.isArray(v) ? v.map((e) => merge(undefined, e, keys, sub)) : merge(out[k], v, keys, sub);
  }
  for (const [field, order] of orders) if (field in out) out[field] = reorder(out[field], order, keys[path ? `${path}.${field}` : field]);
  if (Array.isArray(patch.$retainKeys)) for (const k of Object.keys(out)) if (!patch.$retainKeys.includes(k)) delete out[k];
  return out;
}

/** Applies a strategic merge patch to an object of `resource`; returns a new object. */
export function strategicMergePatch(resource: ResourceName, target: unknown, patch: unknown): unknown {
  return merge(target, patch, MERGE_KEYS[resource], "");
}
