/**
 * What a lab is made of, as plain steps: which `ip`/`sysctl` command runs in which namespace.
 * Pure, so the wiring can be read and tested without root; `create-lab.ts` runs the steps.
 *
 * Pods are routed, not bridged (as Calico does): each pod has a /32 on its own veth to the node,
 * the node has a /32 route to each pod, and the pod's default route points at the node. On a
 * bridge, a pod's reply to another pod reached through a Service would skip the node's conntrack.
 * The node's default route leads into a "sink" namespace that drops everything, so Service
 * addresses are routable from the node (as on a real node) and filter-hook rejects get a chance.
 * The client namespace also holds the "outside host" addresses (OUTSIDE_IP/OUTSIDE_IP6), which
 * the node routes through the client: a probe bound to them is a host beyond the node network.
 */
import {
  CLIENT_IP, CLIENT_IP6, NODE_IP, NODE_IP6, OUTSIDE_IP, OUTSIDE_IP6, POD_GATEWAY_IP, POD_GATEWAY_IP6, SINK_LINK, SINK_LINK6,
} from "./address-plan.ts";

/** One command; `ns` null means the host namespace (only `ip netns add`/`del` ever run there). */
export interface LabStep {
  ns: string | null;
  argv: string[];
}

/** The fixed namespaces, by role. */
export interface BaseNamespaces {
  node: string;
  client: string;
  sink: string;
}

/** One pod to wire: its namespace, the node's end of its veth, and its addresses. */
export interface PodWiring {
  ns: string;
  link: string;
  ip: string;
  ip6: string;
}

// IPv6 duplicate address detection would hold every new address "tentative" for a second or
// two; nobody else is on these links, so it is turned off before any link exists.
const NO_DAD = ["net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0"];

function inNs(ns: string, ...argvs: string[][]): LabStep[] {
  return argvs.map((argv) => ({ ns, argv }));
}

/** The steps that create the node, client and sink namespaces and wire them. */
export function baseSteps(ns: BaseNamespaces): LabStep[] {
  const { node, client, sink } = ns;
  return [
    ...[node, client, sink].map((n) => ({ ns: null, argv: ["ip", "netns", "add", n] })),
    ...[node, client, sink].flatMap((n) => inNs(n, ["ip", "link", "set", "lo", "up"], ["sysctl", "-qw", ...NO_DAD])),
    // New namespaces inherit the host's IPv4 settings, so every setting we rely on is set here.
    // rp_filter is off on the node: DNAT and the sink default route make paths asymmetric.
    // The ICMP rate limits are off on the node: a REJECT answers with port-unreachable, and the
    // kernel's defaults (per peer: a burst of 6, then 1/s; overall: 1000/s) would turn a probe's refusals into timeouts.
    ...inNs(node, ["sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1",
      "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0",
      "net.ipv4.icmp_ratelimit=0", "net.ipv6.icmp.ratelimit=0", "net.ipv4.icmp_msgs_per_sec=1000000", "net.ipv4.icmp_msgs_burst=1000000"]),
    // The sink must never forward what it gets; the blackhole routes make sure even if it did.
    ...inNs(sink, ["sysctl", "-qw", "net.ipv4.ip_forward=0", "net.ipv6.conf.all.forwarding=0"]),
    // Links are created from inside the node namespace straight into their peers' namespaces,
    // so no interface ever exists in the host namespace, not even for a moment.
    ...inNs(node,
      ["ip", "link", "add", "to-client", "type", "veth", "peer", "name", "eth0", "netns", client],
      ["ip", "link", "add", "to-sink", "type", "veth", "peer", "name", "eth0", "netns", sink],
      ["ip", "addr", "add", `${NODE_IP}/24`, "dev", "to-client"],
      ["ip", "-6", "addr", "add", `${NODE_IP6}/64`, "dev", "to-client", "nodad"],
      ["ip", "addr", "add", `${SINK_LINK.node}/${SINK_LINK.prefix}`, "dev", "to-sink"],
      ["ip", "-6", "addr", "add", `${SINK_LINK6.node}/${SINK_LINK6.prefix}`, "dev", "to-sink", "nodad"],
      ["ip", "link", "set", "to-client", "up"],
      ["ip", "link", "set", "to-sink", "up"],
      ["ip", "route", "add", "default", "via", SINK_LINK.sink, "dev", "to-sink"],
      ["ip", "-6", "route", "add", "default", "via", SINK_LINK6.sink, "dev", "to-sink"],
      // The outside host lives behind the client (see below), as the Internet behind a router.
      ["ip", "route", "add", `${OUTSIDE_IP}/32`, "via", CLIENT_IP, "dev", "to-client"],
      ["ip", "-6", "route", "add", `${OUTSIDE_IP6}/128`, "via", CLIENT_IP6, "dev", "to-client"],
    ),
    ...inNs(client,
      ["ip", "addr", "add", `${CLIENT_IP}/24`, "dev", "eth0"],
      ["ip", "-6", "addr", "add", `${CLIENT_IP6}/64`, "dev", "eth0", "nodad"],
      // The outside host's addresses: a probe in the client namespace that binds them speaks as a
      // host beyond the node network (outside every loadBalancerSourceRange of the plan).
      ["ip", "addr", "add", `${OUTSIDE_IP}/32`, "dev", "eth0"],
      ["ip", "-6", "addr", "add", `${OUTSIDE_IP6}/128`, "dev", "eth0", "nodad"],
      ["ip", "link", "set", "eth0", "up"],
      ["ip", "route", "add", "default", "via", NODE_IP, "dev", "eth0"],
      ["ip", "-6", "route", "add", "default", "via", NODE_IP6, "dev", "eth0"],
    ),
    ...inNs(sink,
      ["ip", "addr", "add", `${SINK_LINK.sink}/${SINK_LINK.prefix}`, "dev", "eth0"],
      ["ip", "-6", "addr", "add", `${SINK_LINK6.sink}/${SINK_LINK6.prefix}`, "dev", "eth0", "nodad"],
      ["ip", "link", "set", "eth0", "up"],
      ["ip", "route", "add", "blackhole", "default"],
      ["ip", "-6", "route", "add", "blackhole", "default"],
    ),
  ];
}

/** The steps that create one pod's namespace and route it to and from the node. */
export function podSteps(node: string, pod: PodWiring): LabStep[] {
  return [
    { ns: null, argv: ["ip", "netns", "add", pod.ns] },
    ...inNs(pod.ns, ["ip", "link", "set", "lo", "up"], ["sysctl", "-qw", ...NO_DAD]),
    ...inNs(node,
      ["ip", "link", "add", pod.link, "type", "veth", "peer", "name", "eth0", "netns", pod.ns],
      // The same gateway address on every pod link, like a bridge's gateway: pods all see one
      // next hop, and the node answers ARP/ND for it on each link.
      ["ip", "addr", "add", `${POD_GATEWAY_IP}/32`, "dev", pod.link],
      ["ip", "-6", "addr", "add", `${POD_GATEWAY_IP6}/128`, "dev", pod.link, "nodad"],
      ["ip", "link", "set", pod.link, "up"],
      ["ip", "route", "add", `${pod.ip}/32`, "dev", pod.link],
      ["ip", "-6", "route", "add", `${pod.ip6}/128`, "dev", pod.link],
    ),
    ...inNs(pod.ns,
      ["ip", "addr", "add", `${pod.ip}/32`, "dev", "eth0"],
      ["ip", "-6", "addr", "add", `${pod.ip6}/128`, "dev", "eth0", "nodad"],
      ["ip", "link", "set", "eth0", "up"],
      ["ip", "route", "add", POD_GATEWAY_IP, "dev", "eth0", "scope", "link"],
      ["ip", "route", "add", "default", "via", POD_GATEWAY_IP, "dev", "eth0"],
      ["ip", "-6", "route", "add", POD_GATEWAY_IP6, "dev", "eth0"],
      ["ip", "-6", "route", "add", "default", "via", POD_GATEWAY_IP6, "dev", "eth0"],
    ),
  ];
}
