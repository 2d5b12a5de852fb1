/**
 * Parses resource URLs: `/api/v1[/namespaces/{ns}]/{resource}[/{name}]` and the same under
 * `/apis/{group}/{version}`. Pure, so routing mistakes show up in a table test.
 */
import { findResource, type ResourceInfo } from "./resource-table.ts";

/** A parsed resource URL. `name` undefined means the collection. */
export interface ResourcePath {
  info: ResourceInfo;
  namespace?: string;
  name?: string;
}

/** The resource a path names, or undefined when it names nothing the sandbox serves (or mixes up scope). */
export function parseResourcePath(path: string): ResourcePath | undefined {
  const parts = path.split("/").filter((p) => p !== "").map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === "api" && parts.length >= 3) {
    group = "";
    version = parts[1]!;
    rest = parts.slice(2);
  } else if (parts[0] === "apis" && parts.length >= 4) {
    group = parts[1]!;
    version = parts[2]!;
    rest = parts.slice(3);
  } else return undefined;
  let namespace: string | undefined;
  if (rest[0] === "namespaces" && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  if (rest.length < 1 || rest.length > 2) return undefined;
  const info = findResource(group, version, rest[0]!);
  if (!info || (namespace !== undefined && !info.namespaced)) return undefined;
  return { info, namespace, name: rest[1] };
}
