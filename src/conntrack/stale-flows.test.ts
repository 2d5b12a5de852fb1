import { describe, expect, test } from "bun:test";
import type { ProxyState } from "../model/proxy-state.ts";
import { parseFlowLine, parseFlows } from "./flow.ts";
import { staleUdpFlows } from "./stale-flows.ts";

const line = (proto: string, dst: string, dport: number, replySrc: string, replySport: number) =>
  `${proto}      17 29 src=10.0.0.100 dst=${dst} sport=40000 dport=${dport} [UNREPLIED] src=${replySrc} dst=10.0.0.100 sport=${replySport} dport=40000 mark=0 use=1`;

describe("parseFlowLine", () => {
  test("reads both tuples", () => {
    expect(parseFlowLine(line("udp", "10.96.0.10", 53, "10.244.1.12", 5353))).toEqual({
      proto: "udp",
      original: { src: "10.0.0.100", dst: "10.96.0.10", sport: 40000, dport: 53 },
      reply: { src: "10.244.1.12", dst: "10.0.0.100", sport: 5353, dport: 40000 },
    });
  });
  test("extended format and junk", () => {
    expect(parseFlowLine(`ipv4     2 ${line("udp", "10.96.0.10", 53, "10.244.1.12", 5353)}`)?.reply.src).toBe("10.244.1.12");
    expect(parseFlowLine("conntrack v1.4.7 (conntrack-tools): 3 flow entries have been shown.")).toBeNull();
    expect(parseFlowLine(line("udp", "10.96.0.300", 53, "10.244.1.12", 5353))).toBeNull();
  });
});

const state: ProxyState = {
  family: "IPv4",
  servicePorts: [
    { id: "d/dns:dns/UDP", namespace: "d", name: "dns", portName: "dns", protocol: "UDP", clusterIP: "10.96.0.10", port: 53, endpoints: [{ ip: "10.244.1.10", port: 5353 }] },
    { id: "d/dns:tcp/TCP", namespace: "d", name: "dns", portName: "tcp", protocol: "TCP", clusterIP: "10.96.0.10", port: 80, endpoints: [] },
    { id: "d/empty:/UDP", namespace: "d", name: "empty", portName: "", protocol: "UDP", clusterIP: "10.96.0.20", port: 53, endpoints: [] },
    {
      id: "d/lb:/UDP", namespace: "d", name: "lb", portName: "", protocol: "UDP", clusterIP: "10.96.0.30", port: 53, nodePort: 30053,
      externalIPs: ["192.0.2.30"], loadBalancerIPs: ["198.51.100.30"], externalTrafficPolicy: "Local",
      // Local policy chose only the local endpoint; the remote one still serves, and a terminating one too.
      endpoints: [{ ip: "10.244.1.30", port: 53 }], localEndpoints: [{ ip: "10.244.1.30", port: 53 }], servingEndpointIPs: ["10.244.1.30", "10.244.2.30", "10.244.1.31"],
    },
  ],
};

describe("staleUdpFlows", () => {
  const rows: [string, string, { dst: string; dport: number; replySrc: string }[]][] = [
    ["flow to a current endpoint stays", line("udp", "10.96.0.10", 53, "10.244.1.10", 5353), []],
    ["flow to a removed endpoint goes", line("udp", "10.96.0.10", 53, "10.244.1.11", 5353), [{ dst: "10.96.0.10", dport: 53, replySrc: "10.244.1.11" }]],
    ["untranslated flow to a service that now has endpoints goes", line("udp", "10.96.0.10", 53, "10.96.0.10", 53), [{ dst: "10.96.0.10", dport: 53, replySrc: "10.96.0.10" }]],
    ["untranslated flow to a service still without endpoints stays", line("udp", "10.96.0.20", 53, "10.96.0.20", 53), []],
    ["flow to a service with no endpoints left goes", line("udp", "10.96.0.20", 53, "10.244.1.11", 5353), [{ dst: "10.96.0.20", dport: 53, replySrc: "10.244.1.11" }]],
    ["other port of the address stays", line("udp", "10.96.0.10", 54, "10.244.1.11", 5353), []],
    ["TCP is never touched", line("tcp", "10.96.0.10", 80, "10.244.1.11", 8080), []],
    ["non-service address stays", line("udp", "10.0.0.10", 53, "10.244.1.11", 5353), []],
  ];
  const lb = (dst: string | null, dport: number, replySrc: string) => ({ dst, dport, replySrc, service: "d/lb" });
  const more: [string, string, ReturnType<typeof lb>[]][] = [
    ["external IP answered by a removed endpoint goes", line("udp", "192.0.2.30", 53, "10.244.9.9", 53), [lb("192.0.2.30", 53, "10.244.9.9")]],
    ["LB IP answered by a removed endpoint goes", line("udp", "198.51.100.30", 53, "10.244.9.9", 53), [lb("198.51.100.30", 53, "10.244.9.9")]],
    ["NodePort (any destination) answered by a removed endpoint goes, matched by port", line("udp", "10.0.0.10", 30053, "10.244.9.9", 53), [lb(null, 30053, "10.244.9.9")]],
    ["answered by a serving endpoint the policy did not choose: kept", line("udp", "192.0.2.30", 53, "10.244.2.30", 53), []],
    ["answered by a serving, terminating endpoint: kept", line("udp", "10.0.0.10", 30053, "10.244.1.31", 53), []],
  ];
  test.each(more)("%s", (_name, text, want) => {
    expect(staleUdpFlows(state, parseFlows(text))).toEqual(want);
  });
  test.each(rows)("%s", (_name, text, want) => {
    expect(staleUdpFlows(state, parseFlows(text)).map(({ service: _s, ...f }) => f)).toEqual(want);
  });
  test("one filter per (address, port, reply source)", () => {
    const text = [line("udp", "10.96.0.10", 53, "10.244.1.11", 5353), line("udp", "10.96.0.10", 53, "10.244.1.11", 5353).replace("sport=40000", "sport=40001")].join("\n");
    expect(staleUdpFlows(state, parseFlows(text))).toHaveLength(1);
    expect(staleUdpFlows(state, parseFlows(text))[0]!.service).toBe("d/dns");
  });
});
