/**
 * The API objects that make a proxy build the behaviour table's state
 * (`tests/contract/service-behaviour-rows.ts`, `behaviourState(…, family)`) in both families at
 * once, for a lab whose pods pod-a and pod-b are the endpoints: dual-stack Services, one
 * EndpointSlice per family and Service, and a Node with an InternalIP per family.
 */
import type { SandboxApiServer } from "../../src/sandbox/apiserver/server.ts";
import type { Lab } from "../../src/sandbox/lab/lab-types.ts";
import { endpointSlice, nodeObject, serviceObject, type ServicePortSpec } from "../../src/sandbox/objects.ts";
import { behaviourAddresses, type Family } from "../contract/service-behaviour-rows.ts";
import { NODE_IP, NODE_IP6, NODE_NAME } from "./addresses.ts";

const FAMILIES: Family[] = ["IPv4", "IPv6"];
const WEB: ServicePortSpec = { name: "http", protocol: "TCP", port: 80, targetPort: 8080 };
const DNS: ServicePortSpec = { name: "dns", protocol: "UDP", port: 53, targetPort: 5353 };
const SCTP: ServicePortSpec = { name: "s", protocol: "SCTP", port: 9000, targetPort: 9000 };

/** Creates (or replaces) the objects in `server`. */
export function applyBehaviourObjects(server: SandboxApiServer, lab: Lab): void {
  const [v4, v6] = [behaviourAddresses("IPv4"), behaviourAddresses("IPv6")];
  server.apply("nodes", nodeObject(NODE_NAME, NODE_IP, NODE_IP6));
  server.apply("services", serviceObject("demo", "web", {
    type: "LoadBalancer",
    clusterIPs: [v4.vip, v6.vip],
    ports: [{ ...WEB, nodePort: 30080 }],
    externalIPs: [v4.externalIP, v6.externalIP],
    loadBalancerIngress: [v4.lbIP, v6.lbIP],
    loadBalancerSourceRanges: [v4.sourceRange, v6.sourceRange],
  }));
  // As behaviourState: a second Service on web's VIP for the UDP port (the sandbox does not
  // allocate ClusterIPs, so it lets two Services share one, which is what the table describes).
  server.apply("services", serviceObject("demo", "dns", { type: "NodePort", clusterIPs: [v4.vip, v6.vip], ports: [{ ...DNS, nodePort: 30053 }] }));
  server.apply("services", serviceObject("demo", "empty", {
    type: "NodePort", clusterIPs: [v4.emptyVIP, v6.emptyVIP], ports: [{ ...WEB, name: "", nodePort: 30081 }], externalIPs: [v4.emptyExternalIP, v6.emptyExternalIP],
  }));
  server.apply("services", serviceObject("demo", "sctp", { clusterIPs: [v4.sctpVIP, v6.sctpVIP], ports: [SCTP] }));
  const pods = (names: string[], family: Family) =>
    names.map((n) => lab.pod(n)).map((p) => ({ name: p.name, ip: family === "IPv4" ? p.ip : p.ip6, nodeName: NODE_NAME }));
  for (const family of FAMILIES) {
    const suffix = family === "IPv4" ? "v4" : "v6";
    server.apply("endpointslices", endpointSlice("demo", "web", pods(["pod-a", "pod-b"], family), [WEB], suffix));
    server.apply("endpointslices", endpointSlice("demo", "dns", pods(["pod-b"], family), [DNS], suffix));
    server.apply("endpointslices", endpointSlice("demo", "sctp", pods(["pod-a"], family), [SCTP], suffix));
  }
}
