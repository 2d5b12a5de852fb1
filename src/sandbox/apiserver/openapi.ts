/**
 * The sliver of OpenAPI v3 that kubectl reads before `create`/`apply`: it checks whether the
 * server takes the `fieldValidation` query parameter on PATCH of the object's kind, and when it
 * cannot tell it downloads the whole v2 schema to validate on the client, which the sandbox does
 * not have. Answering "yes, supported" sends validation to the server (the sandbox accepts any
 * field, which also lets tests store objects the proxy must reject).
 */
import { resourcesOf, SANDBOX_RESOURCES, type ResourceInfo } from "./resource-table.ts";

function gvPath(r: { group: string; version: string }): string {
  return r.group === "" ? `api/${r.version}` : `apis/${r.group}/${r.version}`;
}

function itemPath(r: ResourceInfo): string {
  return `/${gvPath(r)}/${r.namespaced ? "namespaces/{namespace}/" : ""}${r.name}/{name}`;
}

/** The OpenAPI v3 document at `path` (`/openapi/v3` or `/openapi/v3/{gv}`), or undefined. */
export function openApiDocument(path: string): unknown {
  const all = Object.values(SANDBOX_RESOURCES);
  if (path === "/openapi/v3") {
    return { paths: Object.fromEntries(all.map((r) => [gvPath(r), { serverRelativeURL: `/openapi/v3/${gvPath(r)}?hash=sandbox` }])) };
  }
  const m = /^\/openapi\/v3\/(?:api\/([^/]+)|apis\/([^/]+)\/([^/]+))$/.exec(path);
  if (!m) return undefined;
  const served = m[1] ? resourcesOf("", m[1]) : resourcesOf(m[2]!, m[3]!);
  if (!served.length) return undefined;
  const paths = Object.fromEntries(served.map((r) => [itemPath(r), {
    patch: {
      "x-kubernetes-group-version-kind": { group: r.group, version: r.version, kind: r.kind },
      parameters: [{ name: "fieldValidation", in: "query", schema: { type: "string", uniqueItems: true } }],
      responses: {},
    },
  }]));
  return { openapi: "3.0.0", info: { title: "Kubernetes", version: "sandbox" }, paths };
}
