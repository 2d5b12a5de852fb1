/**
 * Starts a status server (health or metrics) on its bind address. When the address cannot be
 * bound the error is logged and binding is retried every 5 s, as upstream does without
 * --bind-address-hard-fail (the proxy keeps working meanwhile); with it, `hardFail` is called
 * instead and the proxy exits.
 */
import type { Hono } from "hono";
import type { BindAddress } from "../cli/bind-address.ts";
import { formatBindAddress } from "../cli/bind-address.ts";
import type { Logger } from "../lib/log.ts";

export interface StatusServer {
  stop(): Promise<void>;
}

export function serveStatus(name: string, app: Hono, at: BindAddress, log: Logger, retryMs = 5000, hardFail?: (why: string) => void): StatusServer {
  let server: ReturnType<typeof Bun.serve> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const attempt = () => {
    if (stopped) return;
    try {
      server = Bun.serve({ hostname: at.host, port: at.port, fetch: app.fetch });
      log.info(`Serving ${name}`, { address: formatBindAddress(at) });
    } catch (e) {
      if (hardFail) return hardFail(`cannot serve ${name} on ${formatBindAddress(at)} (--bind-address-hard-fail): ${(e as Error).message}`);
      log.error(`Failed to start ${name} server; retrying in ${retryMs / 1000}s`, { address: formatBindAddress(at), err: e });
      timer = setTimeout(attempt, retryMs);
    }
  };
  attempt();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await server?.stop(true);
    },
  };
}
