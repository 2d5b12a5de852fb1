/**
 * The metrics server's app (upstream's --metrics-bind-address, default 127.0.0.1:10249):
 * /metrics in Prometheus text format, /proxyMode, and a plain /healthz ping, as upstream serves.
 */
import { Hono } from "hono";
import type { ProxyMode } from "../backends/backend.ts";
import type { ProxyMetrics } from "./proxy-metrics.ts";

export function createMetricsApp(view: { metrics: ProxyMetrics; mode: ProxyMode }): Hono {
  const app = new Hono();
  app.get("/metrics", () => new Response(view.metrics.registry.render(), { headers: { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" } }));
  app.get("/proxyMode", () => new Response(view.mode, { headers: { "Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff" } }));
  app.get("/healthz", () => new Response("ok", { headers: { "Content-Type": "text/plain; charset=utf-8" } }));
  return app;
}
