import { describe, expect, test } from "bun:test";
import type { Node } from "../kube/schemas/node.ts";
import type { LocalDetector } from "./proxy-state.ts";
import { localDetectorOf, nodeFactsOf, nodeIPOf, resolveNodePortAddresses, type NodeFactsConfig } from "./node-facts.ts";

const node = (addresses: [string, string][], podCIDRs?: string[]): Node =>
  ({ metadata: { name: "node-a" }, spec: { podCIDRs }, status: { addresses: addresses.map(([type, address]) => ({ type, address })) } }) as Node;
const dual = node([["InternalIP", "10.0.0.10"], ["ExternalIP", "203.0.113.5"], ["InternalIP", "fd00:10::10"], ["Hostname", "node-a"]], ["10.244.1.0/24", "fd00:10:244:1::/64"]);
const v4only = node([["InternalIP", "10.0.0.10"]]);

describe("resolveNodePortAddresses", () => {
  const rows: { name: string; entries: string[]; family: "IPv4" | "IPv6"; node: Node | null; want: { matchAll: boolean; cidrs: string[] } }[] = [
    { name: "default is primary: the node's InternalIP", entries: [], family: "IPv4", node: dual, want: { matchAll: false, cidrs: ["10.0.0.10/32"] } },
    { name: "primary IPv6", entries: ["primary"], family: "IPv6", node: dual, want: { matchAll: false, cidrs: ["fd00:10::10/128"] } },
    { name: "primary before the Node is known matches nothing", entries: ["primary"], family: "IPv4", node: null, want: { matchAll: false, cidrs: [] } },
    { name: "primary on a node without an address of the family: no entry of the family, so all", entries: ["primary"], family: "IPv6", node: v4only, want: { matchAll: true, cidrs: [] } },
    { name: "all", entries: ["all"], family: "IPv4", node: dual, want: { matchAll: true, cidrs: [] } },
    { name: "0.0.0.0/0 is all", entries: ["0.0.0.0/0"], family: "IPv4", node: dual, want: { matchAll: true, cidrs: [] } },
    { name: "CIDRs of the family, masked", entries: ["10.0.0.7/24", "fd00::/8", "192.168.0.0/16"], family: "IPv4", node: dual, want: { matchAll: false, cidrs: ["10.0.0.0/24", "192.168.0.0/16"] } },
    { name: "no CIDR of the family: all of that family", entries: ["10.0.0.0/24"], family: "IPv6", node: dual, want: { matchAll: true, cidrs: [] } },
    { name: "loopback never", entries: ["127.0.0.0/8", "127.0.0.1/32"], family: "IPv4", node: dual, want: { matchAll: false, cidrs: [] } },
    { name: "::1 never", entries: ["::1/128", "fd00:10::/64"], family: "IPv6", node: dual, want: { matchAll: false, cidrs: ["fd00:10::/64"] } },
    { name: "primary plus CIDR", entries: ["primary", "192.168.5.0/24"], family: "IPv4", node: dual, want: { matchAll: false, cidrs: ["10.0.0.10/32", "192.168.5.0/24"] } },
  ];
  test.each(rows)("$name", ({ entries, family, node, want }) => expect(resolveNodePortAddresses(entries, family, node)).toEqual(want));
});

describe("localDetectorOf", () => {
  const cfg = (c: Partial<NodeFactsConfig>): NodeFactsConfig => ({ nodePortAddresses: [], masqueradeAll: false, clusterCIDRs: [], detectLocalMode: "ClusterCIDR", podBridgeInterface: "", podInterfaceNamePrefix: "", ...c });
  const rows: { name: string; cfg: NodeFactsConfig; family: "IPv4" | "IPv6"; node: Node | null; want: LocalDetector }[] = [
    { name: "ClusterCIDR without --cluster-cidr: none", cfg: cfg({}), family: "IPv4", node: dual, want: { kind: "none" } },
    { name: "ClusterCIDR picks the family's CIDR", cfg: cfg({ clusterCIDRs: ["10.244.0.0/16", "fd00:10:244::/48"] }), family: "IPv6", node: dual, want: { kind: "cidr", cidr: "fd00:10:244::/48" } },
    { name: "ClusterCIDR without one of this family: none", cfg: cfg({ clusterCIDRs: ["10.244.0.0/16"] }), family: "IPv6", node: dual, want: { kind: "none" } },
    { name: "NodeCIDR from spec.podCIDRs", cfg: cfg({ detectLocalMode: "NodeCIDR" }), family: "IPv4", node: dual, want: { kind: "cidr", cidr: "10.244.1.0/24" } },
    { name: "NodeCIDR before allocation: none", cfg: cfg({ detectLocalMode: "NodeCIDR" }), family: "IPv4", node: v4only, want: { kind: "none" } },
    { name: "BridgeInterface", cfg: cfg({ detectLocalMode: "BridgeInterface", podBridgeInterface: "cbr0" }), family: "IPv4", node: null, want: { kind: "interface", name: "cbr0" } },
    { name: "InterfaceNamePrefix", cfg: cfg({ detectLocalMode: "InterfaceNamePrefix", podInterfaceNamePrefix: "veth" }), family: "IPv6", node: null, want: { kind: "interface-prefix", prefix: "veth" } },
  ];
  test.each(rows)("$name", ({ cfg, family, node, want }) => expect(localDetectorOf(cfg, family, node)).toEqual(want));

  test("nodeFactsOf puts it together", () => {
    expect(nodeFactsOf(cfg({ masqueradeAll: true }), "IPv4", dual)).toEqual({ nodeIP: "10.0.0.10", nodePorts: { matchAll: false, cidrs: ["10.0.0.10/32"] }, masqueradeAll: true, localDetector: { kind: "none" } });
  });
});

describe("--bind-address as the node IP (upstream's precedence)", () => {
  const node = { metadata: { name: "n" }, spec: {}, status: { addresses: [{ type: "InternalIP", address: "10.0.0.10" }] } } as Node;
  test.each([
    ["unspecified: the Node's address", "0.0.0.0", "10.0.0.10", "10.0.0.10/32"],
    ["a specific IPv4 address wins", "10.0.0.99", "10.0.0.99", "10.0.0.99/32"],
    ["an IPv6 address does not touch IPv4", "fd00::99", "10.0.0.10", "10.0.0.10/32"],
  ])("%s", (_name, bind, nodeIP, primary) => {
    expect(nodeIPOf(node, "IPv4", bind)).toBe(nodeIP);
    expect(resolveNodePortAddresses(["primary"], "IPv4", node, bind)).toEqual({ matchAll: false, cidrs: [primary] });
  });
  test("with no Node yet, a specific --bind-address still gives 'primary' an address", () => {
    expect(nodeFactsOf({ bindAddress: "10.0.0.99", nodePortAddresses: [], masqueradeAll: false, clusterCIDRs: [], detectLocalMode: "ClusterCIDR", podBridgeInterface: "", podInterfaceNamePrefix: "" }, "IPv4", null).nodePorts).toEqual({ matchAll: false, cidrs: ["10.0.0.99/32"] });
  });
});
