import { describe, expect, test } from "bun:test";
import { CLIENT_IP, CLIENT_IP6, NODE_IP, OUTSIDE_IP, OUTSIDE_IP6, POD_GATEWAY_IP, SINK_LINK } from "./address-plan.ts";
import { baseSteps, podSteps, type LabStep } from "./topology.ts";

const ns = { node: "t-node", client: "t-client", sink: "t-sink" };
const pod = { ns: "t-pod-a", link: "pod0", ip: "10.244.1.10", ip6: "fd00:10:244:1::10" };
const all = [...baseSteps(ns), ...podSteps(ns.node, pod)];
const text = (s: LabStep) => `${s.ns ?? "HOST"}: ${s.argv.join(" ")}`;

describe("lab topology", () => {
  test("the host namespace only ever sees `ip netns add`", () => {
    for (const s of all.filter((s) => s.ns === null)) expect(s.argv.slice(0, 3)).toEqual(["ip", "netns", "add"]);
  });

  test("every namespace is added before anything runs in it", () => {
    const added = new Set<string>();
    for (const s of all) {
      if (s.ns === null) added.add(s.argv[3]!);
      else expect(added.has(s.ns)).toBe(true);
      const peer = s.argv.indexOf("netns");
      if (s.ns !== null && peer >= 0) expect(added.has(s.argv[peer + 1]!)).toBe(true);
    }
  });

  test("veths are born inside the node with their peer in a lab namespace", () => {
    const links = all.filter((s) => s.argv[1] === "link" && s.argv[2] === "add").map(text);
    expect(links).toEqual([
      "t-node: ip link add to-client type veth peer name eth0 netns t-client",
      "t-node: ip link add to-sink type veth peer name eth0 netns t-sink",
      "t-node: ip link add pod0 type veth peer name eth0 netns t-pod-a",
    ]);
  });

  test("routing: node forwards, defaults to the sink; pods and client default to the node", () => {
    const lines = all.map(text);
    expect(lines).toContain("t-node: sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0 net.ipv4.icmp_msgs_per_sec=1000000 net.ipv4.icmp_msgs_burst=1000000");
    expect(lines).toContain(`t-node: ip route add default via ${SINK_LINK.sink} dev to-sink`);
    expect(lines).toContain("t-sink: ip route add blackhole default");
    expect(lines).toContain(`t-client: ip route add default via ${NODE_IP} dev eth0`);
    expect(lines).toContain("t-node: ip route add 10.244.1.10/32 dev pod0");
    expect(lines).toContain("t-node: ip -6 route add fd00:10:244:1::10/128 dev pod0");
    expect(lines).toContain("t-pod-a: ip addr add 10.244.1.10/32 dev eth0");
    expect(lines).toContain(`t-pod-a: ip route add default via ${POD_GATEWAY_IP} dev eth0`);
  });

  test("the outside host: addresses of the client, routed by the node through the client", () => {
    const lines = all.map(text);
    expect(lines).toContain(`t-client: ip addr add ${OUTSIDE_IP}/32 dev eth0`);
    expect(lines).toContain(`t-client: ip -6 addr add ${OUTSIDE_IP6}/128 dev eth0 nodad`);
    expect(lines).toContain(`t-node: ip route add ${OUTSIDE_IP}/32 via ${CLIENT_IP} dev to-client`);
    expect(lines).toContain(`t-node: ip -6 route add ${OUTSIDE_IP6}/128 via ${CLIENT_IP6} dev to-client`);
  });
});
