/**
 * The one address plan for every test: pods, ClusterIPs, nodes, external and load-balancer IPs,
 * clients, in both families. The lab's defaults live in `src/sandbox/lab/address-plan.ts` (src
 * may not import from tests) and are re-exported here, so a lab test and a rule test speak of
 * the same addresses; test-only extras are added below.
 */
export * from "../../src/sandbox/lab/address-plan.ts";
import { CLIENT_IP, CLIENT_IP6 } from "../../src/sandbox/lab/address-plan.ts";

/** An address that belongs to nothing in the plan, for "traffic to nowhere" rows. */
export const UNUSED_IP = "10.99.99.99";
export const UNUSED_IP6 = "fd00:99::99";

/** A client inside the cluster (a pod on the remote node), for rows that tell in-cluster from outside traffic. */
export const IN_CLUSTER_CLIENT_IP = "10.244.2.200";
export const IN_CLUSTER_CLIENT_IP6 = "fd00:10:244:2::200";

/** The outside clients, by family, for tables that run once per family. */
export const CLIENT_BY_FAMILY = { IPv4: CLIENT_IP, IPv6: CLIENT_IP6 } as const;

/** A source range that admits the lab's client (loadBalancerSourceRanges), and one that does not. */
export const CLIENT_SOURCE_RANGE = "10.0.0.0/24";
export const OTHER_SOURCE_RANGE = "203.0.113.0/24";
