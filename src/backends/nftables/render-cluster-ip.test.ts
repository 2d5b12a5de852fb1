import { describe, expect, test } from "bun:test";
import { canonicalNft } from "../../../tests/support/nft-golden.ts";
import type { ServicePortState } from "../../model/proxy-state.ts";
import { renderFullSync } from "./render-full-sync.ts";

const base: Omit<ServicePortState, "id" | "endpoints"> = {
  namespace: "ns1",
  name: "svc1",
  portName: "p80",
  protocol: "TCP",
  clusterIP: "172.30.0.41",
  port: 80,
};
const svc = (over: Partial<ServicePortState> = {}): ServicePortState => ({ id: "ns1/svc1:p80/TCP", endpoints: [], ...base, ...over });

/** Everything a full sync writes beyond the skeleton, for one state. */
function serviceLines(servicePorts: ServicePortState[], family: "IPv4" | "IPv6" = "IPv4"): string {
  const skeleton = new Set(renderFullSync({ family, servicePorts: [] }).tx.toScript().split("\n"));
  const r = renderFullSync({ family, servicePorts });
  expect(r.tx.error).toBeNull();
  return r.tx.toScript().split("\n").filter((l) => !skeleton.has(l)).join("\n");
}

const CLUSTER_IP_GOLDEN = `
add chain ip kube-proxy endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80
add rule ip kube-proxy endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 ip saddr 10.180.0.1 jump mark-for-masquerade
add rule ip kube-proxy endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80 meta l4proto tcp dnat to 10.180.0.1:80
add chain ip kube-proxy endpoint-2ZNDXFAB-ns1/svc1/tcp/p80__10.180.0.2/80
add rule ip kube-proxy endpoint-2ZNDXFAB-ns1/svc1/tcp/p80__10.180.0.2/80 ip saddr 10.180.0.2 jump mark-for-masquerade
add rule ip kube-proxy endpoint-2ZNDXFAB-ns1/svc1/tcp/p80__10.180.0.2/80 meta l4proto tcp dnat to 10.180.0.2:80
add chain ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80
add rule ip kube-proxy service-ULMVA6XW-ns1/svc1/tcp/p80 numgen random mod 2 vmap { 0 : goto endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80, 1 : goto endpoint-2ZNDXFAB-ns1/svc1/tcp/p80__10.180.0.2/80 }
add element ip kube-proxy service-ips { 172.30.0.41 . tcp . 80 : goto service-ULMVA6XW-ns1/svc1/tcp/p80 }
add element ip kube-proxy cluster-ips { 172.30.0.41 }
`;

describe("ClusterIP", () => {
  test("golden: one TCP service with two endpoints", () => {
    const got = serviceLines([svc({ endpoints: [{ ip: "10.180.0.1", port: 80 }, { ip: "10.180.0.2", port: 80 }] })]);
    expect(canonicalNft(got)).toBe(canonicalNft(CLUSTER_IP_GOLDEN));
  });

  test("chains are added before anything refers to them", () => {
    const got = serviceLines([svc({ endpoints: [{ ip: "10.180.0.1", port: 80 }] })]).split("\n");
    const svcChain = got.findIndex((l) => l.startsWith("add chain ip kube-proxy service-"));
    const epChain = got.findIndex((l) => l.startsWith("add chain ip kube-proxy endpoint-"));
    const numgen = got.findIndex((l) => l.includes("numgen"));
    const element = got.findIndex((l) => l.includes("service-ips {"));
    expect(epChain).toBeLessThan(numgen);
    expect(svcChain).toBeLessThan(numgen);
    expect(numgen).toBeLessThan(element);
  });

  test("without endpoints: a reject element with upstream's comment, a cluster-ips element, no chains", () => {
    const got = serviceLines([svc({ id: "ns2/svc2:/UDP", namespace: "ns2", name: "svc2", portName: "", protocol: "UDP", clusterIP: "172.30.0.42", port: 53 })]);
    expect(canonicalNft(got)).toBe(
      canonicalNft(`
add element ip kube-proxy no-endpoint-services { 172.30.0.42 . udp . 53 comment "ns2/svc2" : goto reject-chain }
add element ip kube-proxy cluster-ips { 172.30.0.42 }
`),
    );
  });

  test("IPv6: ip6 family, bracketed DNAT, dots in endpoint chain names", () => {
    const got = serviceLines([svc({ clusterIP: "fd00:30::41", protocol: "SCTP", endpoints: [{ ip: "fd00:180::1", port: 9000 }] })], "IPv6");
    expect(got).toContain("add rule ip6 kube-proxy endpoint-");
    expect(got).toContain("__fd00.180..1/9000 ip6 saddr fd00:180::1 jump mark-for-masquerade");
    expect(got).toContain("meta l4proto sctp dnat to [fd00:180::1]:9000");
    expect(got).toContain("add element ip6 kube-proxy service-ips { fd00:30::41 . sctp . 80 : goto service-");
  });

  test("two ports on one ClusterIP share one cluster-ips element", () => {
    const got = serviceLines([
      svc({ endpoints: [{ ip: "10.180.0.1", port: 80 }] }),
      svc({ id: "ns1/svc1:p443/TCP", portName: "p443", port: 443, endpoints: [{ ip: "10.180.0.1", port: 443 }] }),
    ]);
    expect(got.split("\n").filter((l) => l.includes("cluster-ips {"))).toEqual(["add element ip kube-proxy cluster-ips { 172.30.0.41 }"]);
  });

  test("stats count ServicePorts and endpoint chains", () => {
    const r = renderFullSync({
      family: "IPv4",
      servicePorts: [svc({ endpoints: [{ ip: "10.180.0.1", port: 80 }, { ip: "10.180.0.2", port: 80 }] }), svc({ id: "x", clusterIP: "172.30.0.42" })],
    });
    expect({ servicePorts: r.servicePorts, endpoints: r.endpoints, skipped: r.skipped }).toEqual({ servicePorts: 2, endpoints: 2, skipped: [] });
  });
});

describe("ClusterIP: model values that cannot be printed are skipped, never interpolated", () => {
  const rows: { name: string; sp: ServicePortState; family?: "IPv4" | "IPv6"; reason: RegExp }[] = [
    { name: "ClusterIP of the other family", sp: svc({ clusterIP: "fd00::1" }), reason: /not an address of family ip/ },
    { name: "injected ClusterIP", sp: svc({ clusterIP: "172.30.0.41 . tcp . 80 : accept }" }), reason: /not an address/ },
    { name: "port out of range", sp: svc({ port: 70000 }), reason: /invalid port/ },
    { name: "unknown protocol", sp: svc({ protocol: "ICMP" as ServicePortState["protocol"] }), reason: /unknown protocol/ },
  ];
  for (const r of rows) {
    test(r.name, () => {
      const out = renderFullSync({ family: r.family ?? "IPv4", servicePorts: [r.sp] });
      expect(out.tx.error).toBeNull();
      expect(out.servicePorts).toBe(0);
      expect(out.skipped).toHaveLength(1);
      expect(out.skipped[0]?.reason).toMatch(r.reason);
      expect(out.tx.toScript()).not.toContain("element");
    });
  }

  test("a bad endpoint is dropped and the rest still served; all bad means reject", () => {
    const some = renderFullSync({ family: "IPv4", servicePorts: [svc({ endpoints: [{ ip: "10.180.0.1", port: 80 }, { ip: "fd00::1", port: 80 }] })] });
    expect(some.endpoints).toBe(1);
    expect(some.skipped).toHaveLength(1);
    const none = renderFullSync({ family: "IPv4", servicePorts: [svc({ endpoints: [{ ip: "10.180.0.1", port: 0 }] })] });
    expect(none.tx.toScript()).toContain("no-endpoint-services { 172.30.0.41 . tcp . 80");
  });

  test("a second ServicePort with the same ClusterIP, protocol and port is skipped", () => {
    const out = renderFullSync({ family: "IPv4", servicePorts: [svc(), svc({ id: "other", name: "svc9" })] });
    expect(out.servicePorts).toBe(1);
    expect(out.skipped[0]?.servicePort).toBe("other");
  });

  test("duplicate endpoints give one endpoint chain", () => {
    const out = renderFullSync({ family: "IPv4", servicePorts: [svc({ endpoints: [{ ip: "10.180.0.1", port: 80 }, { ip: "10.180.0.1", port: 80 }] })] });
    expect(out.endpoints).toBe(1);
    expect(out.tx.toScript()).toContain("numgen random mod 1 vmap");
  });
});
