/**
 * The informers the proxy runs, with upstream's selectors: Services and EndpointSlices not owned
 * by another service proxy (and no headless ones), and only this node's Node object. Their
 * events feed the Proxier.
 */
import { ApiClient } from "../kube/client.ts";
import type { ClusterConnection } from "../kube/connection.ts";
import { createInformer } from "../kube/informer.ts";
import { EndpointSliceSchema, NodeSchema, ServiceSchema } from "../kube/schemas/index.ts";
import type { Logger } from "../lib/log.ts";
import type { Proxier } from "../sync/proxier.ts";

const NOT_OTHER_PROXY = "!service.kubernetes.io/service-proxy-name";
const NOT_HEADLESS = "!service.kubernetes.io/headless";

export interface ProxyInformers {
  stop(): Promise<void>;
}

export function startProxyInformers(o: { connection: ClusterConnection; nodeName: string; proxier: Proxier; log: Logger }): ProxyInformers {
  const client = new ApiClient(o.connection);
  const services = createInformer({
    client,
    resource: "services",
    schema: ServiceSchema,
    labelSelector: NOT_OTHER_PROXY,
    fieldSelector: "spec.clusterIP!=None",
    log: o.log,
    handler: { upsert: (_k, s) => o.proxier.serviceUpserted(s), remove: (_k, s) => o.proxier.serviceRemoved(s), synced: () => o.proxier.servicesListed() },
  });
  const slices = createInformer({
    client,
    resource: "endpointslices",
    schema: EndpointSliceSchema,
    labelSelector: `${NOT_OTHER_PROXY},${NOT_HEADLESS}`,
    log: o.log,
    handler: { upsert: (_k, s) => o.proxier.sliceUpserted(s), remove: (_k, s) => o.proxier.sliceRemoved(s), synced: () => o.proxier.slicesListed() },
  });
  const nodes = createInformer({
    client,
    resource: "nodes",
    schema: NodeSchema,
    fieldSelector: `metadata.name=${o.nodeName}`,
    log: o.log,
    // A server that ignores the field selector still sends other nodes; only ours counts.
    handler: {
      upsert: (_k, n) => n.metadata.name === o.nodeName && o.proxier.nodeChanged(n),
      remove: (_k, n) => n.metadata.name === o.nodeName && o.proxier.nodeChanged(null),
      synced: () => {},
    },
  });
  for (const i of [services, slices, nodes]) i.start();
  return { stop: async () => void (await Promise.all([services.stop(), slices.stop(), nodes.stop()])) };
}
