/**
 * Runs the proxy itself as a child process for a lab node (the demo and the e2e tests): the same
 * binary, real flags, rules applied inside the lab's node namespace, status servers on loopback.
 */
import { selfCommand } from "../lib/self-command.ts";

export interface ProxyProcessOptions {
  kubeconfig: string;
  nodeName: string;
  /** The lab namespace whose rules the proxy owns (--sandbox-netns). */
  netns: string;
  healthzPort: number;
  metricsPort: number;
  extraFlags?: string[];
  /** argv prefix of the proxy; default: this program. */
  command?: string[];
  /** Extra environment for the proxy (sandbox-only switches). */
  env?: Record<string, string>;
}

export interface ProxyProcess {
  pid: number;
  healthzUrl: string;
  metricsUrl: string;
  /** Everything it logged so far. */
  log(): string;
  /** Resolves once /healthz answers 200; rejects with its log if it exits or `timeoutMs` passes. */
  waitHealthy(timeoutMs: number): Promise<void>;
  /** Resolves once every family's sync has completed after `sinceSeconds` (unix seconds), read from /metrics. */
  waitSyncedAfter(sinceSeconds: number, timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

/** A free TCP port on loopback, for the status servers of a child proxy. */
export function freePort(): number {
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const port = server.port!;
  server.stop(true);
  return port;
}

export function startProxyProcess(o: ProxyProcessOptions): ProxyProcess {
  const argv = [
    ...(o.command ?? selfCommand()),
    `--kubeconfig=${o.kubeconfig}`,
    `--hostname-override=${o.nodeName}`,
    `--sandbox-netns=${o.netns}`,
    `--healthz-bind-address=127.0.0.1:${o.healthzPort}`,
    `--metrics-bind-address=127.0.0.1:${o.metricsPort}`,
    ...(o.extraFlags ?? []),
  ];
  const child = Bun.spawn(argv, { stdout: "pipe", stderr: "pipe", env: { ...process.env, ...o.env } });
  let text = "";
  const decoder = new TextDecoder();
  for (const stream of [child.stdout, child.stderr]) {
    void (async () => {
      for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
    })().catch(() => {});
  }
  let exited = false;
  void child.exited.then(() => (exited = true));
  const healthzUrl = `http://127.0.0.1:${o.healthzPort}/healthz`;
  const metricsUrl = `http://127.0.0.1:${o.metricsPort}/metrics`;

  const poll = async (what: string, timeoutMs: number, ok: () => Promise<boolean>) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (exited) throw new Error(`kube-proxy exited (code ${child.exitCode}) while waiting for ${what}:\n${text}`);
      if (await ok().catch(() => false)) return;
      await Bun.sleep(50);
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; kube-proxy log:\n${text}`);
  };

  return {
    pid: child.pid,
    healthzUrl,
    metricsUrl,
    log: () => text,
    waitHealthy: (timeoutMs) => poll("/healthz 200", timeoutMs, async () => (await fetch(healthzUrl)).status === 200),
    waitSyncedAfter: (since, timeoutMs) =>
      // Families sync side by side: wait until IPv4 and every other family listed have synced since.
      poll("a sync", timeoutMs, async () => {
        const times = [...(await (await fetch(metricsUrl)).text()).matchAll(/^kubeproxy_sync_proxy_rules_last_timestamp_seconds\{ip_family="(\w+)"\} (\S+)$/gm)];
        return times.some(([, family]) => family === "IPv4") && times.every(([, , t]) => Number(t) > since);
      }),
    async stop() {
      if (exited) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
      await child.exited;
      clearTimeout(timer);
    },
  };
}
