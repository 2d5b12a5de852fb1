import { describe, expect, test } from "bun:test";
import type { Node } from "../kube/schemas/node.ts";
import { healthReport, initialHealth, queued, updated, withNode } from "./proxy-health.ts";

const node = (extra: Partial<Node["metadata"]> = {}, taints: { key: string }[] = []): Node =>
  ({ metadata: { name: "n1", ...extra }, spec: { taints }, status: {} }) as Node;
const T = 60_000;

describe("healthReport", () => {
  const rows: { name: string; steps: (s: ReturnType<typeof initialHealth>) => ReturnType<typeof initialHealth>; now: number; checkNode: boolean; status: number; healthy: boolean }[] = [
    { name: "nothing queued, node known", steps: (s) => withNode(s, node()), now: 0, checkNode: true, status: 200, healthy: true },
    { name: "node unknown: healthz 503", steps: (s) => s, now: 0, checkNode: true, status: 503, healthy: true },
    { name: "node unknown: livez 200", steps: (s) => s, now: 0, checkNode: false, status: 200, healthy: true },
    { name: "queued recently", steps: (s) => queued(withNode(s, node()), "IPv4", 1000), now: 1000 + T - 1, checkNode: true, status: 200, healthy: true },
    { name: "queued too long ago", steps: (s) => queued(withNode(s, node()), "IPv4", 1000), now: 1000 + T, checkNode: true, status: 503, healthy: false },
    { name: "first queue time counts", steps: (s) => queued(queued(withNode(s, node()), "IPv4", 0), "IPv4", T), now: T, checkNode: false, status: 503, healthy: false },
    { name: "updated clears pending", steps: (s) => updated(queued(withNode(s, node()), "IPv4", 0), "IPv4", 5), now: 10 * T, checkNode: true, status: 200, healthy: true },
    { name: "node being deleted", steps: (s) => withNode(s, node({ deletionTimestamp: "2026-01-01T00:00:00Z" })), now: 0, checkNode: true, status: 503, healthy: true },
    { name: "node tainted for deletion", steps: (s) => withNode(s, node({}, [{ key: "ToBeDeletedByClusterAutoscaler" }])), now: 0, checkNode: true, status: 503, healthy: true },
    { name: "tainted node still live", steps: (s) => withNode(s, node({}, [{ key: "ToBeDeletedByClusterAutoscaler" }])), now: 0, checkNode: false, status: 200, healthy: true },
  ];
  test.each(rows)("$name", ({ steps, now, checkNode, status, healthy }) => {
    const r = healthReport(steps(initialHealth()), now, T, checkNode);
    expect(r.status).toBe(status as 200 | 503);
    expect(r.body.healthy).toBe(healthy);
    expect("nodeEligible" in r.body).toBe(checkNode);
  });

  test("keys in upstream's order, lastUpdated = now when 200", () => {
    const s = updated(withNode(initialHealth(), node()), "IPv4", 1000);
    const r = healthReport(s, 5000, T, true);
    expect(Object.keys(r.body)).toEqual(["lastUpdated", "currentTime", "nodeEligible", "healthy", "status"]);
    expect(r.body.lastUpdated).toBe(new Date(5000).toISOString());
    expect(r.body.status).toEqual({ IPv4: { lastUpdated: new Date(1000).toISOString(), healthy: true } });
  });
});
