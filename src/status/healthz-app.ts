/**
 * The health server's app (upstream's --healthz-bind-address, default 0.0.0.0:10256): only
 * /healthz and /livez, JSON bodies in upstream's shape, 200 or 503. A pure request -> response
 * over a read-only view of the proxy's health.
 */
import { Hono } from "hono";
import type { ProxyMetrics } from "./proxy-metrics.ts";
import { healthReport, type HealthState } from "./proxy-health.ts";

export interface HealthView {
  health(): HealthState;
  now(): number;
  /** 2 x sync-period, as upstream. */
  timeoutMs: number;
  metrics: ProxyMetrics;
}

export function createHealthzApp(view: HealthView): Hono {
  const app = new Hono();
  const answer = (checkNode: boolean) => {
    const r = healthReport(view.health(), view.now(), view.timeoutMs, checkNode);
    (checkNode ? view.metrics.healthzTotal : view.metrics.livezTotal).inc(1, { code: String(r.status) });
    return new Response(JSON.stringify(r.body), {
      status: r.status,
      headers: { "Content-Type": "application/json", "X-Content-Type-Options": "nosniff" },
    });
  };
  app.get("/healthz", () => answer(true));
  app.get("/livez", () => answer(false));
  return app;
}
