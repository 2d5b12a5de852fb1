/**
 * Endpoint runs (render-service.ts) as element changes: all of a run's elements when its anchor
 * enters or leaves the table, and only the picks whose endpoint differs when one anchor's runs
 * are replaced by another's (a partial sync of a Service whose dispatch element stayed the same).
 */
import type { ElementObject, KeyPart } from "./objects.ts";
import { runElements, type EndpointRun } from "./render-service.ts";

const partText = (p: KeyPart): string =>
  p.type === "addr" ? p.addr : p.type === "prefix" ? p.cidr : p.type === "inet_proto" ? p.proto : p.type === "inet_service" ? String(p.port) : String(p.index);

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
    const a = runElements(was);
    const b = runElements(run);
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const x = was.targets[i];
      const y = run.targets[i];
      if (x && y && x.ip === y.ip && x.port === y.port) continue;
      if (x) deletes.push(a[i]!);
      if (y) adds.push(b[i]!);
    }
  }
  for (const run of old.values()) deletes.push(...runElements(run));
}
