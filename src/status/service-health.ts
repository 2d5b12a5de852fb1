/**
 * The answer of a Service's health-check node port (upstream.md row 17): every path gets the
 * Service's name, its number of local ready endpoints and the proxy's own health; 200 only when
 * there is a local endpoint and the proxy is healthy, so a load balancer sends traffic only to
 * nodes that can serve it. Pure.
 */

export interface ServiceHealthView {
  namespace: string;
  name: string;
  /** Distinct local endpoint IPs that are ready (terminating ones do not count). */
  localEndpoints: number;
  /** The proxy's /livez verdict. */
  proxyHealthy: boolean;
}

export function serviceHealthResponse(v: ServiceHealthView): Response {
  const ok = v.localEndpoints > 0 && v.proxyHealthy;
  const body = JSON.stringify({ service: { namespace: v.namespace, name: v.name }, localEndpoints: v.localEndpoints, serviceProxyHealthy: v.proxyHealthy });
  return new Response(body, {
    status: ok ? 200 : 503,
    headers: {
      "Content-Type": "application/json",
      "X-Content-Type-Options": "nosniff",
      "X-Load-Balancing-Endpoint-Weight": String(v.localEndpoints),
    },
  });
}
