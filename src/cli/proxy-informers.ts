/**
 * The informers the proxy runs, with upstream's selectors: Services and EndpointSlices not owned
 * by another service proxy (and no headless ones), and only this node's Node object. Their
 * events feed the Proxier. In `--api-mode=poll` the same informers list every poll interval
 * instead of watching. The /status board learns the API connection's state (observed-client.ts)
 * and which objects were skipped for bad input (from the informers' log, as src/kube reports them).
 */
import type { ClusterConnection } from "../kube/connection.ts";
import { createInformer, type Informer, type InformerHandler, type InformerOptions } from "../kube/informer.ts";
import { createPollInformer } from "../kube/poll-informer.ts";
import { EndpointSliceSchema, NodeSchema, ServiceSchema } from "../kube/schemas/index.ts";
import type { EndpointSlice } from "../kube/schemas/endpoint-slice.ts";
import type { Node } from "../kube/schemas/node.ts";
import type { Service } from "../kube/schemas/service.ts";
import type { Logger } from "../lib/log.ts";
import type { StatusBoard } from "../status/proxy-status.ts";
import type { Proxier } from "../sync/proxier.ts";
import { observedClient } from "./observed-client.ts";

const NOT_OTHER_PROXY = "!service.kubernetes.io/service-proxy-name";
const NOT_HEADLESS = "!service.kubernetes.io/headless";
/** How src/kube's informer cache words a refused object (kube/decode.ts). */
const SKIPPED = /^Skipping invalid (\S+) (\S+): (.*)$/s;

export interface ProxyInformers {
  stop(): Promise<void>;
}

export interface ProxyInformerOptions {
  connection: ClusterConnection;
  nodeName: string;
  proxier: Proxier;
  log: Logger;
  board: StatusBoard;
  apiMode: "watch" | "poll";
  pollIntervalMs: number;
  now?: () => number;
}

/** A logger that also tells the board about skipped objects. */
function skipReporting(log: Logger, board: StatusBoard, now: () => number): Logger {
  return {
    info: (msg, fields, level) => log.info(msg, fields, level),
    warn: (msg, fields) => log.warn(msg, fields),
    error: (msg, fields) => {
      const m = SKIPPED.exec(msg);
      if (m) board.skipped(m[1]!, m[2]!, m[3]!, now());
      log.error(msg, fields);
    },
    with: (source) => skipReporting(log.with(source), board, now),
  };
}

/** Handler calls that also clear the board's entry for an object that is good again or gone. */
function clearing<T>(kind: string, board: StatusBoard, h: InformerHandler<T>): InformerHandler<T> {
  return {
    upsert: (key, obj) => (board.unskipped(kind, key), h.upsert(key, obj)),
    remove: (key, obj) => (board.unskipped(kind, key), h.remove(key, obj)),
    synced: () => h.synced(),
  };
}

export function startProxyInformers(o: ProxyInformerOptions): ProxyInformers {
  const now = o.now ?? Date.now;
  const client = observedClient(o.connection, o.board, now);
  const log = skipReporting(o.log, o.board, now);
  const make = <T>(opts: InformerOptions<T>): Informer<T> => (o.apiMode === "poll" ? createPollInformer({ ...opts, intervalMs: o.pollIntervalMs }) : createInformer(opts));
  const services = make({
    client,
    resource: "services",
    schema: ServiceSchema,
    labelSelector: NOT_OTHER_PROXY,
    fieldSelector: "spec.clusterIP!=None",
    log,
    handler: clearing<Service>("Service", o.board, { upsert: (_k, s) => o.proxier.serviceUpserted(s), remove: (_k, s) => o.proxier.serviceRemoved(s), synced: () => o.proxier.servicesListed() }),
  });
  const slices = make({
    client,
    resource: "endpointslices",
    schema: EndpointSliceSchema,
    labelSelector: `${NOT_OTHER_PROXY},${NOT_HEADLESS}`,
    log,
    handler: clearing<EndpointSlice>("EndpointSlice", o.board, { upsert: (_k, s) => o.proxier.sliceUpserted(s), remove: (_k, s) => o.proxier.sliceRemoved(s), synced: () => o.proxier.slicesListed() }),
  });
  const nodes = make({
    client,
    resource: "nodes",
    schema: NodeSchema,
    fieldSelector: `metadata.name=${o.nodeName}`,
    log,
    // A server that ignores the field selector still sends other nodes; only ours counts.
    handler: clearing<Node>("Node", o.board, {
      upsert: (_k, n) => n.metadata.name === o.nodeName && o.proxier.nodeChanged(n),
      remove: (_k, n) => n.metadata.name === o.nodeName && o.proxier.nodeChanged(null),
      synced: () => {},
    }),
  });
  for (const i of [services, slices, nodes]) i.start();
  return { stop: async () => void (await Promise.all([services.stop(), slices.stop(), nodes.stop()])) };
}
