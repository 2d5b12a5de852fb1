/** The feature gates that change what kube-proxy-bun does, with upstream's names and defaults. */

/** Topology node hints (hints.forNodes) in endpoint choice; on by default in the newest upstream. */
export const PREFER_SAME_TRAFFIC_DISTRIBUTION = "PreferSameTrafficDistribution";

export function preferSameTrafficDistribution(gates: Record<string, boolean>): boolean {
  return gates[PREFER_SAME_TRAFFIC_DISTRIBUTION] ?? true;
}
