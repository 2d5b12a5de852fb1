/**
 * Request handling: authentication, discovery, then list / watch / get / create / update / patch
 * / delete on the served resources. Errors leave as Status objects with the right HTTP code.
 */
import type { Logger } from "../../lib/log.ts";
import { checkBearer } from "./auth.ts";
import { discoveryDocument } from "./discovery.ts";
import type { SandboxFaults } from "./faults.ts";
import { openApiDocument } from "./openapi.ts";
import { parseResourcePath, type ResourcePath } from "./paths.ts";
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from "./selectors.ts";
import { StatusError, statusResponse } from "./status.ts";
import { strategicMergePatch } from "./strategic-merge.ts";
import type { KubeObject, SandboxStore } from "./store.ts";
import { openWatch, type WatchRegistry } from "./watch.ts";

/** What the router needs from the server around it. */
export interface RouteContext {
  store: SandboxStore;
  watches: WatchRegistry;
  token: string;
  /** True when the TLS handshake already required and verified a client certificate (mutual TLS): no token needed. */
  clientCertAuth: boolean;
  faults: SandboxFaults;
  serverAddress: string;
  bookmarkIntervalMs: number;
  log?: Logger;
  /** Resolves when watches may proceed (a test hook can hold them back). */
  watchGate(): Promise<void>;
  /** Request counters, so tests can tell a resumed watch from a relist. */
  counts: { list: number; watch: number };
}

interface ContinueToken {
  rv: number;
  after: string;
}

async function readBody(req: Request): Promise<KubeObject> {
  let body: unknown;
  try {
    body = await req.json();
  } catch {
    throw new StatusError(400, "BadRequest", "the request body is not valid JSON");
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw new StatusError(400, "BadRequest", "the request body must be a JSON object");
  const obj = body as KubeObject;
  if (obj.metadata === null || typeof obj.metadata !== "object") obj.metadata = {};
  return obj;
}

/** RFC 7386 JSON merge patch (`kubectl patch --type merge`). */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target !== null && typeof target === "object" && !Array.isArray(target) ? { ...(target as object) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function bodyNamespace(rp: ResourcePath, obj: KubeObject): void {
  if (!rp.info.namespaced) return;
  const given = obj.metadata.namespace;
  if (given && rp.namespace && given !== rp.namespace) {
    throw new StatusError(400, "BadRequest", "the namespace of the provided object does not match the namespace sent on the request");
  }
  obj.metadata.namespace = given || rp.namespace || "default";
}

function list(ctx: RouteContext, rp: ResourcePath, q: URLSearchParams): Response {
  const labels = parseLabelSelector(q.get("labelSelector") ?? "");
  const fields = parseFieldSelector(q.get("fieldSelector") ?? "");
  let rv = ctx.store.resourceVersion;
  let after = "";
  const cont = q.get("continue");
  if (cont) {
    let token: ContinueToken;
    try {
      token = JSON.parse(Buffer.from(cont, "base64url").toString()) as ContinueToken;
    } catch {
      throw new StatusError(400, "BadRequest", "invalid continue token");
    }
    // A continuation is served at its first page's RV; once history has moved past it, the
    // real server answers 410 and the client must start over.
    if (token.rv < ctx.store.oldestWatchableRv) throw new StatusError(410, "Expired", "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.");
    rv = token.rv;
    after = token.after;
  }
  const limit = Number(q.get("limit") ?? "0");
  const page = ctx.store.page(rp.info.name, rp.namespace, after, limit > 0 ? limit : 0, (o) => matchesLabels(labels, o.metadata.labels) && matchesFields(fields, o));
  const metadata: Record<string, unknown> = { resourceVersion: String(rv) };
  if (page.remaining > 0) {
    metadata.continue = Buffer.from(JSON.stringify({ rv, after: page.lastKey })).toString("base64url");
    metadata.remainingItemCount = page.remaining;
  }
  return Response.json({ kind: rp.info.listKind, apiVersion: rp.info.apiVersion, metadata, items: page.items });
}

async function watch(ctx: RouteContext, rp: ResourcePath, q: URLSearchParams): Promise<Response> {
  await ctx.watchGate();
  const rvText = q.get("resourceVersion") ?? "";
  const fromRv = rvText === "" || rvText === "0" ? undefined : Number(rvText);
  if (fromRv !== undefined && !Number.isInteger(fromRv)) throw new StatusError(400, "BadRequest", `invalid resourceVersion ${JSON.stringify(rvText)}`);
  const timeout = q.get("timeoutSeconds");
  return openWatch(ctx.store, ctx.watches, {
    resource: rp.info.name,
    namespace: rp.namespace,
    labels: parseLabelSelector(q.get("labelSelector") ?? ""),
    fields: parseFieldSelector(q.get("fieldSelector") ?? ""),
    fromRv,
    bookmarks: q.get("allowWatchBookmarks") === "true" || q.get("allowWatchBookmarks") === "1",
    timeoutSeconds: timeout ? Number(timeout) : undefined,
  }, ctx.bookmarkIntervalMs);
}

async function resource(ctx: RouteContext, req: Request, rp: ResourcePath, q: URLSearchParams): Promise<Response> {
  const { store, info } = { store: ctx.store, info: rp.info };
  const ns = info.namespaced ? rp.namespace : undefined;
  if (rp.name === undefined) {
    if (req.method === "GET") {
      const isWatch = q.get("watch") === "true" || q.get("watch") === "1";
      ctx.counts[isWatch ? "watch" : "list"]++;
      const injected = ctx.faults.take(isWatch ? "watch" : "list", q);
      if (injected) return injected;
      return isWatch ? watch(ctx, rp, q) : list(ctx, rp, q);
    }
    if (req.method === "POST") {
      if (info.namespaced && !rp.namespace) throw new StatusError(405, "MethodNotAllowed", `create ${info.name} needs a namespaced path`);
      const obj = await readBody(req);
      bodyNamespace(rp, obj);
      return Response.json(store.create(info.name, obj), { status: 201 });
    }
  } else {
    if (info.namespaced && !rp.namespace) throw new StatusError(404, "NotFound", "the server could not find the requested resource");
    const notFound = () => new StatusError(404, "NotFound", `${info.name} "${rp.name}" not found`, { name: rp.name, kind: info.name });
    if (req.method === "GET") {
      const o = store.get(info.name, ns, rp.name);
      if (!o) throw notFound();
      return Response.json(o);
    }
    if (req.method === "PUT") {
      const obj = await readBody(req);
      bodyNamespace(rp, obj);
      if (obj.metadata.name !== rp.name) throw new StatusError(400, "BadRequest", "the name of the object does not match the name on the URL");
      return Response.json(store.update(info.name, obj));
    }
    if (req.method === "PATCH") {
      const type = req.headers.get("content-type") ?? "";
      const strategic = /strategic-merge-patch\+json/.test(type);
      if (!strategic && !/merge-patch\+json/.test(type)) throw new StatusError(415, "UnsupportedMediaType", `the sandbox supports merge and strategic-merge patches only, not ${JSON.stringify(type)}`);
      const current = store.get(info.name, ns, rp.name);
      if (!current) throw notFound();
      const body = await readBody(req);
      const patched = (strategic ? strategicMergePatch(info.name, current, body) : mergePatch(current, body)) as KubeObject;
      patched.metadata = { ...patched.metadata, name: rp.name, namespace: ns };
      return Response.json(store.update(info.name, patched));
    }
    if (req.method === "DELETE") return Response.json(store.remove(info.name, ns, rp.name));
  }
  throw new StatusError(405, "MethodNotAllowed", `${req.method} is not supported on ${new URL(req.url).pathname}`);
}

/** Answers one request. Never throws: every failure becomes a Status response. */
export async function handleRequest(ctx: RouteContext, req: Request): Promise<Response> {
  const denied = ctx.clientCertAuth ? null : checkBearer(req, ctx.token);
  if (denied) return denied;
  if (ctx.faults.delayMs > 0) await Bun.sleep(ctx.faults.delayMs);
  const url = new URL(req.url);
  try {
    if (req.method === "GET") {
      const doc = discoveryDocument(url.pathname, ctx.serverAddress) ?? openApiDocument(url.pathname);
      if (doc !== undefined) return Response.json(doc);
    }
    const rp = parseResourcePath(url.pathname);
    if (rp) return await resource(ctx, req, rp, url.searchParams);
    ctx.log?.info("sandbox apiserver: unknown path", { method: req.method, path: url.pathname }, 2);
    return statusResponse(404, "NotFound", "the server could not find the requested resource");
  } catch (e) {
    if (e instanceof StatusError) return e.toResponse();
    ctx.log?.error("sandbox apiserver: request failed", { method: req.method, path: url.pathname, err: e });
    return statusResponse(500, "InternalError", e instanceof Error ? e.message : String(e));
  }
}
