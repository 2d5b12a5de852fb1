/**
 * Where the API server is, as upstream decides it: --kubeconfig (with --master overriding its
 * server), else --master alone (no credentials), else the in-cluster service account.
 * Fails with an error whose message names the file and field, or the missing in-cluster piece.
 */
import { authHeaders, type ClusterConnection } from "../kube/connection.ts";
import { inClusterConnection } from "../kube/in-cluster.ts";
import { loadKubeconfig } from "../kube/kubeconfig.ts";
import type { Config } from "./config.ts";

export async function connect(config: Pick<Config, "kubeconfig" | "master">): Promise<ClusterConnection> {
  if (config.kubeconfig) return loadKubeconfig(config.kubeconfig, { master: config.master || undefined });
  if (config.master) return { server: config.master.replace(/\/+$/, ""), headers: authHeaders({ type: "none" }), source: "--master" };
  return inClusterConnection();
}
