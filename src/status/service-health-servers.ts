/**
 * One HTTP listener per health-check node port, opened and closed as Services that need one
 * (LoadBalancer, externalTrafficPolicy Local, a healthCheckNodePort) come and go. A port that
 * cannot be bound is logged and retried at the next sync, never fatal. Listening is injected
 * (`listen`), so the manager is tested without sockets; constructing it opens nothing.
 */
import type { Logger } from "../lib/log.ts";
import { serviceHealthResponse } from "./service-health.ts";

export interface HealthCheckService {
  namespace: string;
  name: string;
  port: number;
  localEndpoints: number;
}

export interface Listener {
  close(): Promise<void> | void;
}

/** Opens a listener on host:port that answers with `handler`; throws when the port cannot be bound. */
export type Listen = (host: string, port: number, handler: (req: Request) => Response) => Listener;

export const bunListen: Listen = (host, port, handler) => {
  const server = Bun.serve({ hostname: host, port, fetch: handler });
  return { close: () => server.stop(true) };
};

export class ServiceHealthServers {
  private readonly open = new Map<number, { key: string; listeners: Listener[] }>();
  private services = new Map<number, HealthCheckService>();

  constructor(
    private readonly o: {
      listen: Listen;
      /** Addresses to bind (the NodePort addresses, or 0.0.0.0 / :: when they match all). */
      addresses: () => string[];
      proxyHealthy: () => boolean;
      log: Logger;
    },
  ) {}

  /** Makes the open listeners match `wanted`; updates the counts the open ones report. */
  async sync(wanted: HealthCheckService[]): Promise<void> {
    this.services = new Map(wanted.map((s) => [s.port, s]));
    for (const [port, entry] of [...this.open]) {
      const s = this.services.get(port);
      if (s && `${s.namespace}/${s.name}` === entry.key) continue;
      this.open.delete(port);
      await Promise.all(entry.listeners.map((l) => l.close()));
    }
    for (const [port, s] of this.services) {
      if (this.open.has(port)) continue;
      const listeners: Listener[] = [];
      try {
        for (const host of this.o.addresses()) listeners.push(this.o.listen(host, port, () => this.answer(port)));
        this.open.set(port, { key: `${s.namespace}/${s.name}`, listeners });
      } catch (e) {
        await Promise.all(listeners.map((l) => l.close()));
        this.o.log.error("Failed to start the health check server of a Service; retrying at the next sync", { service: `${s.namespace}/${s.name}`, port, err: e });
      }
    }
  }

  /** Ports with a listener open now. */
  openPorts(): number[] {
    return [...this.open.keys()].sort((a, b) => a - b);
  }

  async stop(): Promise<void> {
    await this.sync([]);
  }

  private answer(port: number): Response {
    const s = this.services.get(port);
    return serviceHealthResponse({ namespace: s?.namespace ?? "", name: s?.name ?? "", localEndpoints: s?.localEndpoints ?? 0, proxyHealthy: this.o.proxyHealthy() });
  }
}
