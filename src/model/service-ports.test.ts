import { describe, expect, test } from "bun:test";
import type { Service } from "../kube/schemas/service.ts";
import { servicePortsOf } from "./service-ports.ts";

type Spec = Partial<Service["spec"]>;
const svc = (spec: Spec, extra: { labels?: Record<string, string>; ingress?: { ip?: string; hostname?: string; ipMode?: "VIP" | "Proxy" }[] } = {}): Service =>
  ({
    metadata: { name: "web", namespace: "demo", labels: extra.labels },
    spec: { type: "LoadBalancer", sessionAffinity: "None", clusterIPs: ["10.96.0.10", "fd00:10:96::a"], ports: [{ name: "http", port: 80, protocol: "TCP", nodePort: 30080 }], ...spec },
    status: { loadBalancer: { ingress: extra.ingress ?? [] } },
  }) as Service;

describe("servicePortsOf: every way into a Service, per family", () => {
  const rows: { name: string; svc: Service; family: "IPv4" | "IPv6"; want: Record<string, unknown> | null }[] = [
    { name: "NodePort is kept; 0 means none", svc: svc({ ports: [{ name: "a", port: 80, protocol: "TCP", nodePort: 0 }] }), family: "IPv4", want: { nodePort: null } },
    { name: "nodePort carried", svc: svc({}), family: "IPv4", want: { nodePort: 30080, clusterIP: "10.96.0.10" } },
    { name: "IPv6 ClusterIP from spec.clusterIPs", svc: svc({}), family: "IPv6", want: { clusterIP: "fd00:10:96::a" } },
    { name: "externalIPs filtered by family, canonical, sorted, unique", svc: svc({ externalIPs: ["192.0.2.11", "2001:db8::0:10", "192.0.2.10", "192.0.2.11"] }), family: "IPv4", want: { externalIPs: ["192.0.2.10", "192.0.2.11"] } },
    { name: "externalIPs IPv6", svc: svc({ externalIPs: ["192.0.2.11", "2001:DB8::0:10"] }), family: "IPv6", want: { externalIPs: ["2001:db8::10"] } },
    {
      name: "LB ingress: VIP and unset ipMode kept, Proxy skipped, hostname-only ignored",
      svc: svc({}, { ingress: [{ ip: "198.51.100.10" }, { ip: "198.51.100.11", ipMode: "VIP" }, { ip: "198.51.100.12", ipMode: "Proxy" }, { hostname: "lb.example.com" }, { ip: "2001:db8:1::10" }] }),
      family: "IPv4",
      want: { loadBalancerIPs: ["198.51.100.10", "198.51.100.11"] },
    },
    { name: "LB ingress IPv6", svc: svc({}, { ingress: [{ ip: "198.51.100.10" }, { ip: "2001:db8:1::10" }] }), family: "IPv6", want: { loadBalancerIPs: ["2001:db8:1::10"] } },
    {
      name: "source ranges trimmed, masked, family-filtered, bad ones dropped",
      svc: svc({ loadBalancerSourceRanges: [" 10.0.0.0/24 ", "10.1.2.3/16", "fd00::/8", "not-a-cidr", "10.0.0.0/33", "1.2.3.4"] }),
      family: "IPv4",
      want: { loadBalancerSourceRanges: ["10.0.0.0/24", "10.1.0.0/16"] },
    },
    { name: "source ranges IPv6", svc: svc({ loadBalancerSourceRanges: ["10.0.0.0/24", " fd00:10::/64"] }), family: "IPv6", want: { loadBalancerSourceRanges: ["fd00:10::/64"] } },
    { name: "externalTrafficPolicy defaults to Cluster", svc: svc({}), family: "IPv4", want: { externalTrafficPolicy: "Cluster" } },
    { name: "service-proxy-name label: ignored whatever its value", svc: svc({}, { labels: { "service.kubernetes.io/service-proxy-name": "" } }), family: "IPv4", want: null },
    { name: "IPv4-only service has nothing in IPv6", svc: svc({ clusterIPs: ["10.96.0.10"] }), family: "IPv6", want: null },
    { name: "headless ignored", svc: svc({ clusterIPs: ["None"] }), family: "IPv4", want: null },
    { name: "ExternalName ignored", svc: svc({ type: "ExternalName" }), family: "IPv4", want: null },
  ];
  test.each(rows)("$name", ({ svc, family, want }) => {
    const ports = servicePortsOf(svc, family);
    if (want === null) expect(ports).toEqual([]);
    else expect(ports[0]).toMatchObject(want);
  });

  test("hostile strings in LB ingress and source ranges never come through", () => {
    const s = svc({ loadBalancerSourceRanges: ['10.0.0.0/24"; flush ruleset', "10.0.0.0/24\n}", "{10.0.0.0/8}"] }, { ingress: [{ ip: "1.2.3.4; drop" }, { ip: "198.51.100.10\n" }] });
    const [p] = servicePortsOf(s, "IPv4");
    expect(p?.loadBalancerSourceRanges).toEqual([]);
    expect(p?.loadBalancerIPs).toEqual([]);
  });
});
