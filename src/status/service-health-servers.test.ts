import { describe, expect, test } from "bun:test";
import { memoryLogger } from "../lib/log.ts";
import { ServiceHealthServers, type Listen } from "./service-health-servers.ts";
import { serviceHealthResponse } from "./service-health.ts";

describe("serviceHealthResponse", () => {
  test.each([
    [2, true, 200],
    [0, true, 503],
    [3, false, 503],
  ] as const)("%d local endpoints, proxy healthy %p -> %d", async (n, healthy, status) => {
    const res = serviceHealthResponse({ namespace: "demo", name: "lb", localEndpoints: n, proxyHealthy: healthy });
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-load-balancing-endpoint-weight")).toBe(String(n));
    expect(await res.json()).toEqual({ service: { namespace: "demo", name: "lb" }, localEndpoints: n, serviceProxyHealthy: healthy });
  });
});

function fakeListen(busy: Set<number> = new Set()) {
  const live = new Map<string, (req: Request) => Response>();
  const listen: Listen = (host, port, handler) => {
    if (busy.has(port)) throw new Error(`EADDRINUSE ${port}`);
    live.set(`${host}:${port}`, handler);
    return { close: () => void live.delete(`${host}:${port}`) };
  };
  return { listen, live, busy };
}

describe("ServiceHealthServers", () => {
  test("opens a listener per port on every address, answers with the current count, closes removed ones", async () => {
    const f = fakeListen();
    let healthy = true;
    const servers = new ServiceHealthServers({ listen: f.listen, addresses: () => ["10.0.0.10", "fd00:10::10"], proxyHealthy: () => healthy, log: memoryLogger() });
    expect(f.live.size).toBe(0);
    await servers.sync([{ namespace: "demo", name: "lb", port: 32000, localEndpoints: 1 }]);
    expect([...f.live.keys()].sort()).toEqual(["10.0.0.10:32000", "fd00:10::10:32000"]);
    expect(f.live.get("10.0.0.10:32000")!(new Request("http://x/anything")).status).toBe(200);
    await servers.sync([{ namespace: "demo", name: "lb", port: 32000, localEndpoints: 0 }]);
    expect(f.live.get("10.0.0.10:32000")!(new Request("http://x/")).status).toBe(503);
    healthy = false;
    await servers.sync([{ namespace: "demo", name: "lb", port: 32000, localEndpoints: 4 }]);
    expect(f.live.get("10.0.0.10:32000")!(new Request("http://x/")).status).toBe(503);
    await servers.sync([]);
    expect(f.live.size).toBe(0);
  });

  test("a port in use is logged and retried at the next sync, never fatal", async () => {
    const f = fakeListen(new Set([32001]));
    const log = memoryLogger();
    const servers = new ServiceHealthServers({ listen: f.listen, addresses: () => ["0.0.0.0"], proxyHealthy: () => true, log });
    await servers.sync([{ namespace: "demo", name: "a", port: 32001, localEndpoints: 1 }, { namespace: "demo", name: "b", port: 32002, localEndpoints: 1 }]);
    expect(servers.openPorts()).toEqual([32002]);
    expect(log.lines.join("")).toContain("Failed to start the health check server");
    f.busy.clear();
    await servers.sync([{ namespace: "demo", name: "a", port: 32001, localEndpoints: 1 }, { namespace: "demo", name: "b", port: 32002, localEndpoints: 1 }]);
    expect(servers.openPorts()).toEqual([32001, 32002]);
  });

  test("a port handed to another Service gets a fresh listener", async () => {
    const f = fakeListen();
    const servers = new ServiceHealthServers({ listen: f.listen, addresses: () => ["0.0.0.0"], proxyHealthy: () => true, log: memoryLogger() });
    await servers.sync([{ namespace: "demo", name: "a", port: 32003, localEndpoints: 1 }]);
    await servers.sync([{ namespace: "demo", name: "b", port: 32003, localEndpoints: 2 }]);
    expect(await f.live.get("0.0.0.0:32003")!(new Request("http://x/")).json()).toMatchObject({ service: { name: "b" }, localEndpoints: 2 });
  });

  test("real sockets: Bun.serve on loopback", async () => {
    const { bunListen } = await import("./service-health-servers.ts");
    const servers = new ServiceHealthServers({ listen: bunListen, addresses: () => ["127.0.0.1"], proxyHealthy: () => true, log: memoryLogger() });
    const probe = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
    const port = probe.port!;
    await probe.stop(true);
    await servers.sync([{ namespace: "demo", name: "lb", port, localEndpoints: 2 }]);
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get("x-load-balancing-endpoint-weight")).toBe("2");
    await servers.stop();
  });
});
