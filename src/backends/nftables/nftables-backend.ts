/**
 * The nftables Backend: every sync renders the whole ProxyState and replaces table
 * `kube-proxy` of its family in one `nft -f -` transaction. (Partial syncs with element stores
 * come later; the full render stays their oracle.)
 */
import type { Backend, SyncStats } from "../backend.ts";
import type { Runner } from "../../lib/exec.ts";
import type { Logger } from "../../lib/log.ts";
import type { ProxyState } from "../../model/proxy-state.ts";
import { BackendError } from "../backend.ts";
import { createNftClient } from "./client.ts";
import type { NftFamily } from "./objects.ts";
import { renderFullSync, type RenderOptions } from "./render-full-sync.ts";

/** What the nftables backend is built from. */
export interface NftablesBackendOptions extends RenderOptions {
  runner: Runner;
  log?: Logger;
}

const FAMILIES: readonly NftFamily[] = ["ip", "ip6"];

/**
 * Creates the backend; starts nothing. `sync` throws BackendError("apply") when nft refuses the
 * transaction (the kernel keeps the previous table); `cleanup` deletes `ip kube-proxy` and
 * `ip6 kube-proxy` where present and throws BackendError("apply") naming each family that failed.
 */
export function createNftablesBackend(options: NftablesBackendOptions): Backend {
  const client = createNftClient(options.runner);
  const log = options.log?.with("nftables");
  return {
    mode: "nftables",
    async sync(state: ProxyState): Promise<SyncStats> {
      const render = renderFullSync(state, options);
      for (const s of render.skipped) log?.warn("Skipping invalid model value", { servicePort: s.servicePort, reason: s.reason });
      const { scriptBytes } = await client.apply(render.tx);
      log?.info("Synced nftables rules", { family: state.family, servicePorts: render.servicePorts, endpoints: render.endpoints, scriptBytes }, 2);
      return { servicePorts: render.servicePorts, endpoints: render.endpoints, scriptBytes };
    },
    async cleanup(): Promise<void> {
      const failures: string[] = [];
      // Each family on its own: a failure in one must not keep the other's rules in place.
      for (const family of FAMILIES) {
        try {
          await client.deleteTable(family);
        } catch (e) {
          failures.push(`${family}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      if (failures.length > 0) throw new BackendError("apply", `nftables cleanup failed: ${failures.join("; ")}`);
      log?.info("Deleted nftables tables", { tables: FAMILIES.map((f) => `${f} kube-proxy`) });
    },
  };
}
