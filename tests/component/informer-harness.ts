/**
 * A harness for informer-against-sandbox tests: a recording informer (every upsert and remove, in
 * order) and the check the fault tests end with: the informer's cache equals the server's state,
 * key for key and resourceVersion for resourceVersion.
 */
import type * as v from "valibot";
import { ApiClient } from "../../src/kube/client.ts";
import { authHeaders, type ClusterConnection } from "../../src/kube/connection.ts";
import { createInformer, type Informer, type InformerOptions } from "../../src/kube/informer.ts";
import { createPollInformer } from "../../src/kube/poll-informer.ts";
import type { ResourceName } from "../../src/kube/schemas/index.ts";
import { memoryLogger } from "../../src/lib/log.ts";
import type { SandboxApiServer } from "../../src/sandbox/apiserver/server.ts";
import { waitFor } from "./wait-for.ts";

/** A plain-HTTP connection to the sandbox with its current token. */
export function sandboxConnection(server: SandboxApiServer, token = server.token): ClusterConnection {
  return { server: server.url, headers: authHeaders({ type: "token", token }), source: "test" };
}

export interface Recorded<T> {
  informer: Informer<T>;
  /** `upsert KEY@RV` / `remove KEY` lines, in order. */
  events: string[];
  removed: Set<string>;
  syncs: () => number;
  log: ReturnType<typeof memoryLogger>;
  /** Every delay the informer slept, in ms. */
  delays: number[];
}

const rvOf = (o: unknown) => (o as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion ?? "";

/** Starts a recording informer (watch, or poll when `intervalMs` is given). Backoff jitter is fixed at its minimum. */
export function recordInformer<T>(
  connection: ClusterConnection,
  resource: ResourceName,
  schema: v.GenericSchema<unknown, T>,
  extra: Partial<Pick<InformerOptions<T>, "labelSelector" | "fieldSelector" | "pageSize">> & { intervalMs?: number } = {},
): Recorded<T> {
  const events: string[] = [];
  const removed = new Set<string>();
  const delays: number[] = [];
  const log = memoryLogger();
  let syncs = 0;
  const opts: InformerOptions<T> = {
    client: new ApiClient(connection), resource, schema, log, ...extra,
    random: () => 0,
    sleep: (ms) => (delays.push(ms), Bun.sleep(ms)),
    handler: {
      upsert: (k, o) => void events.push(`upsert ${k}@${rvOf(o)}`),
      remove: (k) => (events.push(`remove ${k}`), void removed.add(k)),
      synced: () => void syncs++,
    },
  };
  const informer = extra.intervalMs !== undefined ? createPollInformer({ ...opts, intervalMs: extra.intervalMs }) : createInformer(opts);
  informer.start();
  return { informer, events, removed, syncs: () => syncs, log, delays };
}

/** `key@rv` of every object the server holds for `resource`, sorted. */
export function serverState(server: SandboxApiServer, resource: ResourceName): string[] {
  return server.list(resource).map((o) => `${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}@${o.metadata.resourceVersion}`).sort();
}

/** `key@rv` of every object the informer holds, sorted. */
export function informerState<T>(informer: Informer<T>): string[] {
  return informer.cacheKeys().map((k) => `${k}@${rvOf(informer.get(k))}`).sort();
}

/** Waits until the informer's cache equals the server's state (objects and resourceVersions). */
export async function waitInSync<T>(server: SandboxApiServer, resource: ResourceName, informer: Informer<T>, timeoutMs = 4000): Promise<void> {
  try {
    await waitFor(() => informer.hasSynced && informerState(informer).join() === serverState(server, resource).join(), "informer cache == server state", timeoutMs);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n server:   ${serverState(server, resource).join(" ")}\n informer: ${informerState(informer).join(" ")}`);
  }
}
