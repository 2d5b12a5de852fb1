/**
 * A full sync of one family: one transaction that replaces table `kube-proxy` as a whole. The
 * `add table` before `delete table` makes the delete succeed whether or not the table exists;
 * because the kernel applies the transaction atomically, packets see either the old table or
 * the new one, never none, and objects of removed services simply vanish with the old table.
 */
import type { ProxyState } from "../../model/proxy-state.ts";
import { CLUSTER_IPS_SET, KUBE_PROXY_TABLE, KUBE_PROXY_TABLE_COMMENT } from "./names.ts";
import { renderClusterIP, type SkippedItem } from "./render-cluster-ip.ts";
import { renderContext, DEFAULT_MASQUERADE_BIT } from "./render-context.ts";
import { renderSkeleton } from "./render-skeleton.ts";
import { Transaction } from "./transaction.ts";

/** Options of the renderers that come from configuration. */
export interface RenderOptions {
  /** Bit of the packet mark that requests masquerade (default 14, i.e. 0x4000). */
  masqueradeBit?: number;
}

/** A rendered full sync: the transaction to apply and what went into it. */
export interface FullSyncRender {
  tx: Transaction;
  /** ServicePorts rendered (with or without endpoints). */
  servicePorts: number;
  /** Endpoint chains written. */
  endpoints: number;
  /** Model values that could not be printed safely and were left out. */
  skipped: SkippedItem[];
}

/**
 * Renders `state` as one replacing transaction. Pure. Throws RangeError only for an invalid
 * masquerade bit; invalid model values are skipped and listed, and any object the renderers
 * got wrong sticks as the transaction's error (so `toScript()` then throws).
 */
export function renderFullSync(state: ProxyState, options: RenderOptions = {}): FullSyncRender {
  const ctx = renderContext(state.family, options.masqueradeBit ?? DEFAULT_MASQUERADE_BIT);
  const tx = new Transaction({ family: ctx.family, table: KUBE_PROXY_TABLE });
  tx.add({ kind: "table" });
  tx.delete({ kind: "table" });
  tx.add({ kind: "table", comment: KUBE_PROXY_TABLE_COMMENT });
  renderSkeleton(tx, ctx);

  const skipped: SkippedItem[] = [];
  const clusterIPs = new Set<string>();
  const claimed = new Set<string>();
  let servicePorts = 0;
  let endpoints = 0;
  for (const sp of state.servicePorts) {
    const r = renderClusterIP(tx, sp, ctx, claimed);
    skipped.push(...r.skipped);
    if (r.clusterIP === null) continue;
    servicePorts++;
    endpoints += r.endpoints;
    clusterIPs.add(r.clusterIP);
  }
  // Every programmed ClusterIP, with or without endpoints: cluster-ips-check rejects what is
  // still addressed to one after DNAT (a port the Service does not have).
  for (const ip of clusterIPs) {
    tx.add({ kind: "element", container: CLUSTER_IPS_SET, key: [{ type: "addr", addr: ip }] });
  }
  return { tx, servicePorts, endpoints, skipped };
}
