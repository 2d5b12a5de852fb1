/**
 * Discovery documents: enough for kubectl to find the served resources (`/version`, `/api`,
 * `/api/v1`, `/apis`, `/apis/{group}`, `/apis/{group}/{version}`). Always plain JSON: kubectl asks
 * for aggregated discovery (`as=APIGroupDiscoveryList`) first and falls back to these when the
 * answer is plain `application/json`, which its Accept header allows.
 */
import { resourcesOf, SANDBOX_RESOURCES, type ResourceInfo } from "./resource-table.ts";

const VERBS = ["create", "delete", "get", "list", "update", "watch"];

/** The Kubernetes release the sandbox claims to be (kubectl warns beyond one minor of skew). */
export const SANDBOX_VERSION = { major: "1", minor: "32" };

function groups(): string[] {
  return [...new Set(Object.values(SANDBOX_RESOURCES).map((r) => r.group).filter((g) => g !== ""))];
}

function resourceEntry(r: ResourceInfo) {
  return { name: r.name, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: VERBS, ...(r.shortNames.length ? { shortNames: r.shortNames } : {}) };
}

function groupEntry(group: string) {
  const versions = [...new Set(Object.values(SANDBOX_RESOURCES).filter((r) => r.group === group).map((r) => r.version))];
  const gv = versions.map((version) => ({ groupVersion: `${group}/${version}`, version }));
  return { name: group, versions: gv, preferredVersion: gv[0] };
}

/** The discovery document at `path`, or undefined when the path is not a discovery path. */
export function discoveryDocument(path: string, serverAddress: string): unknown {
  if (path === "/version") {
    return { ...SANDBOX_VERSION, gitVersion: `v${SANDBOX_VERSION.major}.${SANDBOX_VERSION.minor}.0-sandbox`, gitCommit: "", gitTreeState: "clean", buildDate: "", goVersion: "", compiler: "bun", platform: `${process.platform}/${process.arch}` };
  }
  if (path === "/api") {
    return { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }] };
  }
  if (path === "/api/v1") {
    return { kind: "APIResourceList", apiVersion: "v1", groupVersion: "v1", resources: resourcesOf("", "v1").map(resourceEntry) };
  }
  if (path === "/apis") {
    return { kind: "APIGroupList", apiVersion: "v1", groups: groups().map(groupEntry) };
  }
  const m = /^\/apis\/([^/]+)(?:\/([^/]+))?$/.exec(path);
  if (m && groups().includes(m[1]!)) {
    const [, group = "", version] = m;
    if (!version) return { kind: "APIGroup", apiVersion: "v1", ...groupEntry(group) };
    const served = resourcesOf(group, version);
    if (served.length) return { kind: "APIResourceList", apiVersion: "v1", groupVersion: `${group}/${version}`, resources: served.map(resourceEntry) };
  }
  return undefined;
}
