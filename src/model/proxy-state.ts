/**
 * The proxy's pure model of what the rules must say: the contract between model/ (which builds it
 * from API objects) and backends/ (which render it). Addresses are canonical text from lib/ip.
 */
import type { IPFamily } from "../lib/ip.ts";
import type { Protocol } from "../kube/schemas/service.ts";

/** One endpoint a ServicePort may send a packet to. */
export interface EndpointTarget {
  ip: string;
  port: number;
}

/**
 * One (service, port name, protocol) of one family: upstream's ServicePort. `id` is
 * `namespace/name:portName/protocol` (portName may be empty), unique and stable.
 */
export interface ServicePortState {
  id: string;
  namespace: string;
  name: string;
  portName: string;
  protocol: Protocol;
  clusterIP: string;
  port: number;
  /** Usable endpoints, sorted by "ip:port" (upstream's order); empty means reject. */
  endpoints: EndpointTarget[];
}

/** Everything one family's backend needs for a full sync, sorted by ServicePort id. */
export interface ProxyState {
  family: IPFamily;
  servicePorts: ServicePortState[];
}
