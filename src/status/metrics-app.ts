/**
 * The metrics server's app (upstream's --metrics-bind-address, default 127.0.0.1:10249):
 * /metrics in Prometheus text format, /proxyMode, a plain /healthz ping and /configz (the running
 * configuration, keyed by its API group) as upstream serves; and our /status (JSON by default, a
 * plain-text summary for `?format=text` or `Accept: text/plain`).
 */
import { Hono } from "hono";
import type { ProxyMode } from "../backends/backend.ts";
import type { ProxyMetrics } from "./proxy-metrics.ts";
import { statusText, type StatusReport } from "./proxy-status.ts";

export interface MetricsView {
  metrics: ProxyMetrics;
  mode: ProxyMode;
  /** The running configuration as a KubeProxyConfiguration object (cli/config-to-file.ts). */
  configz?: () => Record<string, unknown>;
  status?: () => StatusReport;
}

const TEXT = { "Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff" };
const JSON_HEADERS = { "Content-Type": "application/json", "X-Content-Type-Options": "nosniff" };

export function createMetricsApp(view: MetricsView): Hono {
  const app = new Hono();
  app.get("/metrics", () => new Response(view.metrics.registry.render(), { headers: { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" } }));
  app.get("/proxyMode", () => new Response(view.mode, { headers: TEXT }));
  app.get("/healthz", () => new Response("ok", { headers: { "Content-Type": "text/plain; charset=utf-8" } }));
  const { configz, status } = view;
  if (configz) app.get("/configz", () => new Response(JSON.stringify({ "kubeproxy.config.k8s.io": configz() }), { headers: JSON_HEADERS }));
  if (status) {
    app.get("/status", (c) => {
      const wantsText = c.req.query("format") === "text" || (c.req.query("format") !== "json" && /^text\/plain/.test(c.req.header("accept") ?? ""));
      const report = status();
      return wantsText ? new Response(statusText(report), { headers: TEXT }) : new Response(JSON.stringify(report, null, 2) + "\n", { headers: JSON_HEADERS });
    });
  }
  return app;
}
