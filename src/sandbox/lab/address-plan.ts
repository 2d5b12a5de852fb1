/**
 * The lab's default address plan: which address each part of a test cluster gets, per family.
 * `tests/support/addresses.ts` re-exports it so every test uses the same numbers (a wrong address
 * then stands out), and the lab builds its namespaces from it. Ranges are chosen so that each
 * kind of address is recognisable at a glance: 10.0.0.x the node network, 10.244.x.y pods,
 * 10.96.x.y ClusterIPs, 192.0.2.x external IPs, 198.51.100.x load-balancer IPs.
 */

/** The name of the lab's one node (its Node object, and `--hostname-override`). */
export const NODE_NAME = "node-a";
/** A second, remote node, for endpoints that live elsewhere (never built as a namespace). */
export const REMOTE_NODE_NAME = "node-b";

/** The node network: the node's own address and the client outside the cluster share it. */
export const NODE_NETWORK_CIDR = "10.0.0.0/24";
/** The node's address (on its link to the client): NodePorts and the `--bind-address` live here. */
export const NODE_IP = "10.0.0.10";
/** The remote node's address (not built in the lab; for model and rule tests). */
export const REMOTE_NODE_IP = "10.0.0.11";
/** A client outside the cluster, reaching the node over the node network. */
export const CLIENT_IP = "10.0.0.100";

/**
 * A host outside the cluster and outside the node network (TEST-NET-3), for externalIP and
 * load-balancer rows: the lab gives it to the client namespace as a second address, and the node
 * routes it back through the client, so it is "reachable through the node" like any Internet host.
 */
export const OUTSIDE_IP = "203.0.113.7";

/** This node's pod range; every lab pod gets a /32 from it. */
export const POD_CIDR = "10.244.1.0/24";
/** The whole cluster's pod range (`--cluster-cidr`). */
export const CLUSTER_CIDR = "10.244.0.0/16";
/** The node side of every pod's veth: the pods' default gateway (as a bridge's gateway address would be). */
export const POD_GATEWAY_IP = "10.244.1.1";
/** The largest pod index `podIP` accepts. */
export const MAX_POD_INDEX = 239;

/** The service range (`--service-cluster-ip-range`). */
export const SERVICE_CIDR = "10.96.0.0/16";
/** The conventional DNS ClusterIP, the first one a reader expects to see. */
export const DNS_CLUSTER_IP = "10.96.0.10";

/** The sink's link: the node's default route points at the sink, which drops what it gets. */
export const SINK_LINK = { node: "10.0.254.1", sink: "10.0.254.2", prefix: 30 } as const;

// IPv6 counterparts of the ranges above: ULA space, with the IPv4 digits where they fit.
/** The node network, IPv6. */
export const NODE_NETWORK_CIDR6 = "fd00:10::/64";
/** The node's IPv6 address (on its link to the client). */
export const NODE_IP6 = "fd00:10::10";
/** The remote node's IPv6 address (not built in the lab). */
export const REMOTE_NODE_IP6 = "fd00:10::11";
/** The outside client's IPv6 address. */
export const CLIENT_IP6 = "fd00:10::100";
/** The outside host's IPv6 address (outside every range of the plan but the documentation prefix). */
export const OUTSIDE_IP6 = "2001:db8:ff::7";
/** This node's IPv6 pod range. */
export const POD_CIDR6 = "fd00:10:244:1::/64";
/** The whole cluster's IPv6 pod range. */
export const CLUSTER_CIDR6 = "fd00:10:244::/48";
/** The pods' IPv6 default gateway (the node side of every pod veth). */
export const POD_GATEWAY_IP6 = "fd00:10:244:1::1";
/** The IPv6 service range. */
export const SERVICE_CIDR6 = "fd00:10:96::/112";
/** The IPv6 DNS ClusterIP. */
export const DNS_CLUSTER_IP6 = "fd00:10:96::a";
/** The sink's IPv6 link. */
export const SINK_LINK6 = { node: "fd00:10:254::1", sink: "fd00:10:254::2", prefix: 64 } as const;

function checkIndex(what: string, i: number, max: number): void {
  if (!Number.isInteger(i) || i < 0 || i > max) throw new RangeError(`${what}: index ${i} is outside 0..${max}`);
}

/**
 * The address of this node's pod number `i` (0 -> 10.244.1.10). Throws a RangeError outside
 * 0..MAX_POD_INDEX, so a plan that outgrows the /24 fails loudly instead of wrapping.
 */
export function podIP(i: number): string {
  checkIndex("podIP", i, MAX_POD_INDEX);
  return `10.244.1.${10 + i}`;
}

/** The IPv6 counterpart of `podIP(i)` (0 -> fd00:10:244:1::10, same digits). Same range check. */
export function podIP6(i: number): string {
  checkIndex("podIP6", i, MAX_POD_INDEX);
  return `fd00:10:244:1::${10 + i}`;
}

/** A pod on the remote node (0 -> 10.244.2.10): an endpoint that is not local. Same range check. */
export function remotePodIP(i: number): string {
  checkIndex("remotePodIP", i, MAX_POD_INDEX);
  return `10.244.2.${10 + i}`;
}

/** The IPv6 counterpart of `remotePodIP(i)`. */
export function remotePodIP6(i: number): string {
  checkIndex("remotePodIP6", i, MAX_POD_INDEX);
  return `fd00:10:244:2::${10 + i}`;
}

/** The largest service index `clusterIP` and `clusterIP6` accept (enough for 10k-service benches). */
export const MAX_SERVICE_INDEX = 250 * 254 - 1;

/**
 * The ClusterIP of service number `i`: 0 -> 10.96.1.1, 249 -> 10.96.1.250, 250 -> 10.96.2.1.
 * Octets stay in 1..250 so no address looks like a network or broadcast address. Throws a
 * RangeError outside 0..MAX_SERVICE_INDEX.
 */
export function clusterIP(i: number): string {
  checkIndex("clusterIP", i, MAX_SERVICE_INDEX);
  return `10.96.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`;
}

/** The IPv6 ClusterIP of service number `i` (0 -> fd00:10:96::100, hex, inside SERVICE_CIDR6). */
export function clusterIP6(i: number): string {
  checkIndex("clusterIP6", i, MAX_SERVICE_INDEX);
  return `fd00:10:96::${(0x100 + i).toString(16)}`;
}

/** An external IP (spec.externalIPs) from TEST-NET-1: 0 -> 192.0.2.10. Index 0..239. */
export function externalIP(i: number): string {
  checkIndex("externalIP", i, MAX_POD_INDEX);
  return `192.0.2.${10 + i}`;
}

/** A load-balancer ingress IP from TEST-NET-2: 0 -> 198.51.100.10. Index 0..239. */
export function loadBalancerIP(i: number): string {
  checkIndex("loadBalancerIP", i, MAX_POD_INDEX);
  return `198.51.100.${10 + i}`;
}

/** The IPv6 counterpart of `externalIP(i)` (documentation range 2001:db8::/32). */
export function externalIP6(i: number): string {
  checkIndex("externalIP6", i, MAX_POD_INDEX);
  return `2001:db8::${10 + i}`;
}

/** The IPv6 counterpart of `loadBalancerIP(i)`. */
export function loadBalancerIP6(i: number): string {
  checkIndex("loadBalancerIP6", i, MAX_POD_INDEX);
  return `2001:db8:1::${10 + i}`;
}

/** The default name of the lab's pod number `i`: pod-a, pod-b, ... pod-z, pod-aa, pod-ab, ... */
export function defaultPodName(i: number): string {
  if (!Number.isInteger(i) || i < 0) throw new RangeError(`defaultPodName: bad index ${i}`);
  let s = "";
  let n = i;
  do {
    s = String.fromCharCode(97 + (n % 26)) + s;
    n = Math.floor(n / 26) - 1;
  } while (n >= 0);
  return `pod-${s}`;
}
