/**
 * The sandbox's storage: objects per resource, one global resourceVersion counter across kinds
 * (as etcd's revision), a bounded history of events for watches to resume from, and live
 * subscribers. Everything is synchronous, so a watch that replays history and subscribes in the
 * same tick can never miss or duplicate an event.
 */
import type { ResourceName } from "../../kube/schemas/index.ts";
import { SANDBOX_RESOURCES } from "./resource-table.ts";
import { StatusError } from "./status.ts";

/** A stored object: metadata is always present once stored. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name?: string;
    generateName?: string;
    namespace?: string;
    resourceVersion?: string;
    uid?: string;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

/** One change, as a watch delivers it; `previous` lets selectors turn moves out of scope into deletes. */
export interface StoreEvent {
  rv: number;
  type: "ADDED" | "MODIFIED" | "DELETED";
  resource: ResourceName;
  object: KubeObject;
  previous?: KubeObject;
}

/** The key of an object: `namespace/name` for namespaced resources, `name` otherwise. */
export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/** In-memory objects, history and subscribers. Construction starts nothing. */
export class SandboxStore {
  private rv = 0;
  /** Watches from an RV below this miss events that were dropped from history: 410 Expired. */
  private compactedRv = 0;
  private readonly objects = new Map<ResourceName, Map<string, KubeObject>>();
  private history: StoreEvent[] = [];
  /** Keys per resource in sorted order, rebuilt lazily after a create or delete (pages walk it). */
  private readonly sortedKeys = new Map<ResourceName, string[]>();
  private readonly subscribers = new Set<(e: StoreEvent) => void>();

  constructor(private readonly historyWindow = 1000) {}

  /** The current global resourceVersion. */
  get resourceVersion(): number {
    return this.rv;
  }

  /** The oldest RV a watch may still start from. */
  get oldestWatchableRv(): number {
    return this.compactedRv;
  }

  private bucket(resource: ResourceName): Map<string, KubeObject> {
    let b = this.objects.get(resource);
    if (!b) this.objects.set(resource, (b = new Map()));
    return b;
  }

  /** A deep copy, so no caller can change stored state behind the store's back. */
  private stamp(resource: ResourceName, obj: KubeObject): KubeObject {
    const info = SANDBOX_RESOURCES[resource];
    const copy = structuredClone(obj);
    return { ...copy, apiVersion: info.apiVersion, kind: info.kind, metadata: { ...copy.metadata, resourceVersion: String(++this.rv) } };
  }

  private record(event: Omit<StoreEvent, "rv">): void {
    const e = { ...event, rv: Number(event.object.metadata.resourceVersion) };
    this.history.push(e);
    while (this.history.length > this.historyWindow) this.compactedRv = this.history.shift()!.rv;
    for (const s of [...this.subscribers]) s(e);
  }

  /** Stores a new object; 409 AlreadyExists when the key is taken, 400 without a name. */
  create(resource: ResourceName, obj: KubeObject): KubeObject {
    const namespace = SANDBOX_RESOURCES[resource].namespaced ? (obj.metadata?.namespace ?? "default") : undefined;
    let name = obj.metadata?.name;
    if (!name && obj.metadata?.generateName) name = obj.metadata.generateName + Math.random().toString(36).slice(2, 7);
    if (!name) throw new StatusError(400, "Invalid", `${SANDBOX_RESOURCES[resource].kind} is invalid: metadata.name: Required value: name or generateName is required`);
    const key = objectKey(namespace, name);
    if (this.bucket(resource).has(key)) {
      throw new StatusError(409, "AlreadyExists", `${resource} "${name}" already exists`, { name, kind: resource });
    }
    const meta = { ...obj.metadata, name, uid: crypto.randomUUID(), creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, "Z") };
    if (namespace) meta.namespace = namespace;
    else delete meta.namespace;
    const stored = this.stamp(resource, { ...obj, metadata: meta });
    this.bucket(resource).set(key, stored);
    this.sortedKeys.delete(resource);
    this.record({ type: "ADDED", resource, object: stored });
    return structuredClone(stored);
  }

  /** Replaces an object; 404 when absent, 409 Conflict when the body carries a stale resourceVersion. */
  update(resource: ResourceName, obj: KubeObject): KubeObject {
    const namespace = SANDBOX_RESOURCES[resource].namespaced ? (obj.metadata?.namespace ?? "default") : undefined;
    const name = obj.metadata?.name ?? "";
    const key = objectKey(namespace, name);
    const current = this.bucket(resource).get(key);
    if (!current) throw new StatusError(404, "NotFound", `${resource} "${name}" not found`, { name, kind: resource });
    const given = obj.metadata.resourceVersion;
    if (given && given !== current.metadata.resourceVersion) {
      throw new StatusError(409, "Conflict", `Operation cannot be fulfilled on ${resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`, { name, kind: resource });
    }
    const meta = { ...obj.metadata, namespace, uid: current.metadata.uid, creationTimestamp: current.metadata.creationTimestamp };
    if (!namespace) delete meta.namespace;
    const stored = this.stamp(resource, { ...obj, metadata: meta });
    this.bucket(resource).set(key, stored);
    this.record({ type: "MODIFIED", resource, object: stored, previous: current });
    return structuredClone(stored);
  }

  /** Deletes an object and returns it as last seen (with the deletion's RV); 404 when absent. */
  remove(resource: ResourceName, namespace: string | undefined, name: string): KubeObject {
    const key = objectKey(namespace, name);
    const current = this.bucket(resource).get(key);
    if (!current) throw new StatusError(404, "NotFound", `${resource} "${name}" not found`, { name, kind: resource });
    this.bucket(resource).delete(key);
    this.sortedKeys.delete(resource);
    const gone = { ...current, metadata: { ...current.metadata, resourceVersion: String(++this.rv) } };
    this.record({ type: "DELETED", resource, object: gone, previous: current });
    return structuredClone(gone);
  }

  /** One object, or undefined. */
  get(resource: ResourceName, namespace: string | undefined, name: string): KubeObject | undefined {
    const o = this.bucket(resource).get(objectKey(namespace, name));
    return o && structuredClone(o);
  }

  /** All objects of a resource (optionally of one namespace), sorted by key so pages are stable. */
  list(resource: ResourceName, namespace?: string): { key: string; object: KubeObject }[] {
    return [...this.bucket(resource).entries()]
      .filter(([, o]) => !namespace || o.metadata.namespace === namespace)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, object]) => ({ key, object: structuredClone(object) }));
  }

  /**
   * One page of a list without copying: up to `limit` (0: all) objects whose key sorts after
   * `after` and that `match`, in key order, and how many more match. The objects are the stored
   * ones: serialize them, never change them.
   */
  page(resource: ResourceName, namespace: string | undefined, after: string, limit: number, match: (o: KubeObject) => boolean): { items: KubeObject[]; lastKey: string; remaining: number } {
    const bucket = this.bucket(resource);
    let keys = this.sortedKeys.get(resource);
    if (!keys) this.sortedKeys.set(resource, (keys = [...bucket.keys()].sort()));
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (keys[mid]! <= after) lo = mid + 1;
      else hi = mid;
    }
    const items: KubeObject[] = [];
    let lastKey = after;
    let remaining = 0;
    for (let i = lo; i < keys.length; i++) {
      const o = bucket.get(keys[i]!)!;
      if ((namespace && o.metadata.namespace !== namespace) || !match(o)) continue;
      if (limit > 0 && items.length >= limit) remaining++;
      else {
        items.push(o);
        lastKey = keys[i]!;
      }
    }
    return { items, lastKey, remaining };
  }

  /**
   * Replays the events after `fromRv` to `listener`, then subscribes it to live ones, in one tick.
   * Throws a 410 Expired StatusError when history no longer reaches back to `fromRv`.
   * Returns the unsubscribe function.
   */
  watchFrom(fromRv: number, listener: (e: StoreEvent) => void): () => void {
    if (fromRv < this.compactedRv) {
      throw new StatusError(410, "Expired", `too old resource version: ${fromRv} (${this.compactedRv})`);
    }
    for (const e of this.history) if (e.rv > fromRv) listener(e);
    this.subscribers.add(listener);
    return () => this.subscribers.delete(listener);
  }

  /** Test hook: forgets all history, so any watch from an RV before now answers 410 Expired. */
  compact(): void {
    this.history = [];
    this.compactedRv = this.rv;
  }
}
