/**
 * The health server's app (upstream's --healthz-bind-address, default 0.0.0.0:10256): /healthz
 * and /livez with upstream's JSON bodies, 200 or 503; and our /readyz (200 once each IP family's
 * first sync has finished and one has succeeded, for a DaemonSet's readiness probe). A pure request -> response over a read-only view
 * of the proxy's health.
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
  /** True once each family's first sync has finished and one succeeded; absent: /readyz is not served. */
  ready?: () => boolean;
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
  const ready = view.ready;
  if (ready) {
    app.get("/readyz", () =>
      ready()
        ? new Response("ok", { headers: { "Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff" } })
        : new Response("not ready: no successful sync yet", { status: 503, headers: { "Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff" } }),
    );
  }
  return app;
}
