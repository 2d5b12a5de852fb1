import { describe, expect, test } from "bun:test";
import type { EndpointSlice } from "../kube/schemas/endpoint-slice.ts";
import type { Service } from "../kube/schemas/service.ts";
import { buildProxyState } from "./build-state.ts";
import { ClusterCache } from "./cluster-cache.ts";

const svc = (name: string, spec: Partial<Service["spec"]>): Service =>
  ({ metadata: { name, namespace: "default" }, spec: { type: "ClusterIP", sessionAffinity: "None", ports: [], ...spec } }) as Service;

const slice = (name: string, service: string, eps: [string, boolean?][], ports: { name?: string; port?: number; protocol?: "TCP" | "UDP" }[], addressType: "IPv4" | "IPv6" = "IPv4"): EndpointSlice =>
  ({
    metadata: { name, namespace: "default", labels: { "kubernetes.io/service-name": service } },
    addressType,
    endpoints: eps.map(([ip, ready]) => ({ addresses: [ip], conditions: ready === undefined ? {} : { ready } })),
    ports: ports.map((p) => ({ protocol: "TCP", ...p })),
  }) as EndpointSlice;

function state(services: Service[], slices: EndpointSlice[]) {
  const cache = new ClusterCache();
  services.forEach((s) => cache.upsertService(s));
  slices.forEach((s) => cache.upsertSlice(s));
  return buildProxyState(cache, "IPv4");
}

const web = svc("web", { clusterIP: "10.96.0.10", ports: [{ name: "http", port: 80, protocol: "TCP" }, { name: "dns", port: 53, protocol: "UDP" }] });

describe("buildProxyState", () => {
  test("one ServicePort per port and protocol, endpoints sorted by ip:port", () => {
    const s = state([web], [slice("web-1", "web", [["10.244.1.3"], ["10.244.1.2"], ["10.244.1.10"]], [{ name: "http", port: 8080 }, { name: "dns", port: 5353, protocol: "UDP" }])]);
    expect(s.servicePorts.map((p) => p.id)).toEqual(["default/web:dns/UDP", "default/web:http/TCP"]);
    expect(s.servicePorts[1]!.endpoints).toEqual([
      { ip: "10.244.1.10", port: 8080, local: false },
      { ip: "10.244.1.2", port: 8080, local: false },
      { ip: "10.244.1.3", port: 8080, local: false },
    ]);
    expect(s.servicePorts[0]).toMatchObject({ clusterIP: "10.96.0.10", port: 53, protocol: "UDP", endpoints: [{ ip: "10.244.1.10", port: 5353, local: false }, { ip: "10.244.1.2", port: 5353, local: false }, { ip: "10.244.1.3", port: 5353, local: false }] });
  });

  const rows: { name: string; services: Service[]; slices: EndpointSlice[]; want: Record<string, string[]> }[] = [
    { name: "no slices: service with no endpoints", services: [web], slices: [], want: { "default/web:dns/UDP": [], "default/web:http/TCP": [] } },
    { name: "not-ready endpoints are left out; nil ready counts as ready", services: [web], slices: [slice("a", "web", [["10.244.1.2", false], ["10.244.1.3", true], ["10.244.1.4"]], [{ name: "http", port: 80 }])], want: { "default/web:dns/UDP": [], "default/web:http/TCP": ["10.244.1.3:80", "10.244.1.4:80"] } },
    { name: "duplicates across slices merge", services: [web], slices: [slice("a", "web", [["10.244.1.2"]], [{ name: "http", port: 80 }]), slice("b", "web", [["10.244.1.2"]], [{ name: "http", port: 80 }])], want: { "default/web:dns/UDP": [], "default/web:http/TCP": ["10.244.1.2:80"] } },
    { name: "port without number ignored", services: [web], slices: [slice("a", "web", [["10.244.1.2"]], [{ name: "http" }])], want: { "default/web:dns/UDP": [], "default/web:http/TCP": [] } },
    { name: "port name must match", services: [web], slices: [slice("a", "web", [["10.244.1.2"]], [{ name: "other", port: 80 }])], want: { "default/web:dns/UDP": [], "default/web:http/TCP": [] } },
    { name: "protocol must match", services: [web], slices: [slice("a", "web", [["10.244.1.2"]], [{ name: "http", port: 80, protocol: "UDP" }])], want: { "default/web:dns/UDP": [], "default/web:http/TCP": [] } },
    { name: "IPv6 slices are not used by the IPv4 state", services: [web], slices: [slice("a", "web", [["fd00::2"]], [{ name: "http", port: 80 }], "IPv6")], want: { "default/web:dns/UDP": [], "default/web:http/TCP": [] } },
    { name: "slices of another service are not used", services: [web], slices: [slice("a", "api", [["10.244.1.2"]], [{ name: "http", port: 80 }])], want: { "default/web:dns/UDP": [], "default/web:http/TCP": [] } },
    { name: "headless service ignored", services: [svc("h", { clusterIP: "None", ports: [{ name: "", port: 80, protocol: "TCP" }] })], slices: [], want: {} },
    { name: "ExternalName ignored even with a clusterIP", services: [svc("x", { type: "ExternalName", clusterIP: "10.96.0.11", ports: [{ name: "", port: 80, protocol: "TCP" }] })], slices: [], want: {} },
    { name: "IPv6-only service not in the IPv4 state", services: [svc("v6", { clusterIPs: ["fd00:10:96::1"], ports: [{ name: "", port: 80, protocol: "TCP" }] })], slices: [], want: {} },
    { name: "dual-stack service uses its IPv4 ClusterIP", services: [svc("ds", { clusterIPs: ["fd00:10:96::1", "10.96.0.12"], ports: [{ name: "", port: 80, protocol: "TCP" }] })], slices: [], want: { "default/ds:/TCP": [] } },
  ];
  test.each(rows)("$name", ({ services, slices, want }) => {
    const got = Object.fromEntries(state(services, slices).servicePorts.map((p) => [p.id, p.endpoints.map((e) => `${e.ip}:${e.port}`)]));
    expect(got).toEqual(want);
  });
});

describe("ClusterCache", () => {
  test("a slice moved to another service affects both", () => {
    const cache = new ClusterCache();
    expect(cache.upsertSlice(slice("s", "a", [["10.244.1.2"]], [{ port: 80 }]))).toEqual(["default/a"]);
    expect(cache.upsertSlice(slice("s", "b", [["10.244.1.2"]], [{ port: 80 }]))).toEqual(["default/a", "default/b"]);
    expect([...cache.slicesOf("default/a")]).toEqual([]);
    expect(cache.removeSlice("default", "s")).toEqual(["default/b"]);
    expect(cache.removeSlice("default", "s")).toEqual([]);
  });
});
