/**
 * Hostile input from the API never reaches a script: names, labels and annotations with quotes,
 * newlines, semicolons and braces; unparsable or out-of-family addresses; ports out of range.
 * Everything goes through the model and the renderers as it would in the proxy.
 */
import { expect, test } from "bun:test";
import type { EndpointSlice } from "../../kube/schemas/endpoint-slice.ts";
import type { Service } from "../../kube/schemas/service.ts";
import { servicePortStates } from "../../model/build-state.ts";
import { renderContext } from "./render-context.ts";
import { renderFull } from "./render-sync.ts";

const EVIL = ['"; flush ruleset; "', "x\n}\nadd table ip evil", "{ evil }", "a;b", "evil\\", "flush table ip evil"];

test("hostile strings are hashed, dropped or refused; none reaches the script", () => {
  const services: Service[] = EVIL.map((s, i) => ({
    metadata: { name: `web-${i}${s}`, namespace: s, labels: { app: s }, annotations: { note: s } },
    spec: {
      type: "LoadBalancer",
      sessionAffinity: "None",
      clusterIPs: [`10.96.0.${10 + i}`],
      externalIPs: ["192.0.2.10", s, "2001:db8::1"],
      loadBalancerSourceRanges: [s, "10.0.0.0/24", "10.0.0.0/33"],
      ports: [{ name: s, port: 80, protocol: "TCP", nodePort: 30000 + i }],
    },
    status: { loadBalancer: { ingress: [{ ip: s }, { hostname: s }, { ip: "198.51.100.10" }] } },
  })) as Service[];
  const slices: EndpointSlice[] = [
    {
      metadata: { name: "s", namespace: "x", labels: { "kubernetes.io/service-name": "web" } },
      addressType: "IPv4",
      endpoints: [{ addresses: ["10.244.1.10"], conditions: {} }, { addresses: ['10.244.1.11"'], conditions: {} }, { addresses: ["fd00::1"], conditions: {} }],
      ports: [{ name: EVIL[0], port: 99999, protocol: "TCP" }, { name: EVIL[0], port: 8080, protocol: "TCP" }],
    } as EndpointSlice,
  ];
  const ports = services.flatMap((s) => servicePortStates(s, slices, "IPv4"));
  expect(ports).toHaveLength(EVIL.length);
  // Endpoints with hostile ports or addresses are passed on to the renderer only as parsed values.
  const withBadEndpoints = ports.map((p) => ({ ...p, endpoints: [{ ip: "10.244.1.10", port: 8080 }, { ip: '10.244.1.11"', port: 80 }, { ip: "10.244.1.12", port: 70000 }] }));
  const r = renderFull({ family: "IPv4", servicePorts: withBadEndpoints }, renderContext("IPv4"));
  const script = r.tx.toScript();
  for (const s of EVIL) expect(script).not.toContain(s);
  expect(script).not.toContain("evil");
  expect(script).not.toContain("70000");
  expect(script).not.toContain('10.244.1.11"');
  expect(r.skipped.length).toBeGreaterThan(0);
  // The Services themselves still work: their ClusterIPs, external and LB IPs are rendered.
  expect(script).toContain("10.96.0.10 . tcp . 80");
  expect(script).toContain("192.0.2.10 . tcp . 80");
  expect(script).toContain("198.51.100.10 . tcp . 80 . 10.0.0.0/24");
  // Each line is one statement: nothing managed to add a line break inside one.
  for (const line of script.trim().split("\n")) expect(line).toMatch(/^(add|delete) (table|chain|set|map|element|rule) ip kube-proxy/);
});
