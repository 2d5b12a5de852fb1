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
}
