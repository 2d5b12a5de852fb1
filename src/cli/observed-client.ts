/**
 * An ApiClient whose requests report to the /status board: an answered request means the API
 * server is reachable; a failed request or a broken watch stream means reconnecting (since the
 * first failure in a row). Observes from outside src/kube through the client's injectable fetch.
 */
import { ApiClient, type WatchEvent, type WatchOptions } from "../kube/client.ts";
import type { ClusterConnection } from "../kube/connection.ts";
import type { ResourceName } from "../kube/schemas/index.ts";
import type { StatusBoard } from "../status/proxy-status.ts";

export function observedClient(connection: ClusterConnection, board: StatusBoard, now: () => number = Date.now): ApiClient {
  const observingFetch = (async (input: string | URL | Request, init?: RequestInit) => {
    try {
      const res = await fetch(input, init);
      if (res.ok) board.apiReachable(now());
      else board.apiFailed(now(), `HTTP ${res.status}`);
      return res;
    } catch (e) {
      if (!init?.signal?.aborted) board.apiFailed(now(), e instanceof Error ? e.message : String(e));
      throw e;
    }
  }) as typeof fetch;

  class ObservedClient extends ApiClient {
    override async *watch(resource: ResourceName, opts: WatchOptions = {}): AsyncGenerator<WatchEvent> {
      try {
        yield* super.watch(resource, opts);
      } catch (e) {
        if (!opts.signal?.aborted) board.apiFailed(now(), e instanceof Error ? e.message : String(e));
        throw e;
      }
    }
  }
  return new ObservedClient(connection, { fetch: observingFetch });
}
