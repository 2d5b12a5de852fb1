/**
 * Endpoint runs, and runs as element changes: all of a run's elements when its anchor
 * enters or leaves the table, and only the picks whose endpoint differs when one anchor's runs
 * are replaced by another's (a partial sync of a Service whose dispatch element stayed the same).
 */
import type { EndpointTarget } from "../../model/proxy-state.ts";
import { partText, type ElementObject, type KeyPart } from "./objects.ts";

/**
 * The endpoint-map elements behind one dispatch element (`anchor`, in service-ips or
 * service-nodeports): `key` plus the pick 0..K-1, each to its endpoint. Kept as one record
 * instead of K elements (they were most of the store's memory and of a full render's objects,
 * bun run bench B1/B4); they go into the table exactly when their anchor does, because their
 * keys collide exactly when the anchors' keys do (same address, protocol and port).
 */
export interface EndpointRun {
  anchor: ElementObject;
  map: string;
  key: readonly KeyPart[];
  /** The endpoints of picks 0..K-1: the model's own list when parsing changed nothing (no copy kept per run). */
  targets: readonly EndpointTarget[];
}

const INDEX_PARTS: KeyPart[] = [];
const indexPart = (i: number): KeyPart => (INDEX_PARTS[i] ??= Object.freeze({ type: "index", index: i }));

/** Pick `i` of `run` as an element. */
function pickElement(run: EndpointRun, i: number): ElementObject {
  const t = run.targets[i]!;
  return { kind: "element", container: run.map, key: [...run.key, indexPart(i)], value: { addr: t.ip, port: t.port } };
}

/** The elements of `run`, made when a transaction needs them. */
export function runElements(run: EndpointRun): ElementObject[] {
  return run.targets.map((_, i) => pickElement(run, i));
}

/** The container and key of a run, without the pick. */
function runKey(run: EndpointRun): string {
  let key = run.map;
  for (const p of run.key) key += ` ${partText(p)}`;
  return key;
}

/** Every element of `runs`. */
export function elementsOfRuns(runs: readonly EndpointRun[] | undefined): ElementObject[] {
  if (!runs || runs.length === 0) return [];
  return runs.length === 1 ? runElements(runs[0]!) : runs.flatMap(runElements);
}

/**
 * What turns the elements of `before` into those of `after` (both hang off anchors with the
 * same key): per pick, a delete and an add where the endpoint differs or the pick is new/gone.
 */
export function diffRuns(before: readonly EndpointRun[] | undefined, after: readonly EndpointRun[] | undefined, deletes: ElementObject[], adds: ElementObject[]): void {
  const old = new Map((before ?? []).map((r) => [runKey(r), r]));
  for (const run of after ?? []) {
    const key = runKey(run);
    const was = old.get(key);
    old.delete(key);
    if (!was) {
      adds.push(...runElements(run));
      continue;
    }
    for (let i = 0; i < Math.max(was.targets.length, run.targets.length); i++) {
      const x = was.targets[i];
      const y = run.targets[i];
      if (x && y && x.ip === y.ip && x.port === y.port) continue;
      if (x) deletes.push(pickElement(was, i));
      if (y) adds.push(pickElement(run, i));
    }
  }
  for (const run of old.values()) deletes.push(...runElements(run));
}
