/** The proxy's validated configuration: what flags (and, later, the config file) resolve to. */
import type { ProxyMode } from "../backends/backend.ts";
import type { BindAddress } from "./bind-address.ts";

export interface Config {
  kubeconfig: string;
  master: string;
  /** The node this proxy serves: --hostname-override, trimmed and lower-cased, else the OS hostname. */
  hostname: string;
  mode: ProxyMode;
  healthzBindAddress: BindAddress | null;
  metricsBindAddress: BindAddress | null;
  syncPeriodMs: number;
  minSyncPeriodMs: number;
  verbosity: number;
  /** Sandbox only: apply rules inside this network namespace (the lab's node) instead of our own. */
  sandboxNetns: string;
  /** --cleanup: remove every rule this proxy (either mode) created, then exit. */
  cleanup: boolean;
  /** --nodeport-addresses: CIDRs and the keywords "primary" / "all"; [] means the mode's default ("primary" in nftables mode). */
  nodePortAddresses: string[];
  /** --masquerade-all: SNAT all ClusterIP traffic. */
  masqueradeAll: boolean;
  /** --iptables-masquerade-bit (nftables.masqueradeBit): the fwmark bit, 0-31. */
  masqueradeBit: number;
  /** --cluster-cidr: pod CIDRs, at most one per family, canonical text. */
  clusterCIDRs: string[];
  /** --detect-local-mode. */
  detectLocalMode: "ClusterCIDR" | "NodeCIDR" | "BridgeInterface" | "InterfaceNamePrefix";
  /** --pod-bridge-interface (BridgeInterface mode). */
  podBridgeInterface: string;
  /** --pod-interface-name-prefix (InterfaceNamePrefix mode). */
  podInterfaceNamePrefix: string;
}
