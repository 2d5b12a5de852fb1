/**
 * One ServicePort in upstream's iptables layout: ClusterIP dispatch from nat KUBE-SERVICES to
 * KUBE-SVC-* (with the ClusterIP masquerade rule), external addresses (externalIPs, load-balancer
 * IPs through KUBE-FW-* when source ranges apply, NodePorts from KUBE-NODEPORTS) to KUBE-EXT-*,
 * the endpoint choice and KUBE-SEP-* chains, and the filter rules that reject when there are no
 * endpoints or drop what a load-balancer firewall does not accept. Everything is computed before
 * anything is written, so a bad value throws without leaving half a ServicePort behind.
 */
import { parseCIDR } from "../../lib/cidr.ts";
import type { IPFamily } from "../../lib/ip.ts";
import type { LocalDetector, NodeFacts, ServicePortState } from "../../model/proxy-state.ts";
import { endpointChain, externalChain, firewallChain, KUBE_EXTERNAL_SERVICES, KUBE_MARK_MASQ, KUBE_NODEPORTS, KUBE_PROXY_FIREWALL, KUBE_SERVICES, serviceChain, servicePortName } from "./names.ts";
import { commentWords, destinationWords, hostCIDR, hostPort, probability, PROTO, rejectWords } from "./rule-words.ts";
import { word } from "./tokens.ts";

/** A rule to add: table, chain and words. */
export interface PlannedRule {
  table: "nat" | "filter";
  chain: string;
  words: string[];
}

/** What one ServicePort adds: its own nat chains and rules in owned chains. */
export interface ServicePortPlan {
  chains: string[];
  rules: PlannedRule[];
}

/** `! -s CIDR` / `! -i NAME` / `! -i PREFIX+`: matches traffic NOT from this node's pods; null without a detector. */
export function notLocalWords(d: LocalDetector): string[] | null {
  switch (d.kind) {
    case "none":
      return null;
    case "cidr":
      return ["!", "-s", word(parseCIDR(d.cidr)!.text)];
    case "interface":
      return ["!", "-i", word(d.name)];
    case "interface-prefix":
      return ["!", "-i", word(`${d.prefix}+`)];
  }
}

/** The words of `-d ... -p ... -m comment ... --dport` with an extra match put where iptables-save prints it. */
function withSource(source: string[] | null, dest: string[]): string[] {
  // iptables-save prints -s and -i before -d and -p, so a "not local" match goes first.
  if (!source) return dest;
  return source[1] === "-s" ? [...source, ...dest] : [...dest.slice(0, 2), ...source, ...dest.slice(2)];
}

function inRange(ip: string | null, ranges: readonly string[]): boolean {
  if (!ip) return false;
  return ranges.some((r) => {
    const c = parseCIDR(r);
    return c !== null && parseCIDR(`${ip}/${c.prefixLength}`)?.text === c.text;
  });
}

export function planServicePort(sp: ServicePortState, family: IPFamily, node: NodeFacts): ServicePortPlan {
  const spn = servicePortName(sp);
  const proto = PROTO[sp.protocol];
  const svc = serviceChain(sp);
  const ext = externalChain(sp);
  const fw = firewallChain(sp);
  const chains: string[] = [];
  const rules: PlannedRule[] = [];
  const nat = (chain: string, words: string[]) => rules.push({ table: "nat", chain, words });
  const filter = (chain: string, words: string[]) => rules.push({ table: "filter", chain, words });
  const hasEndpoints = sp.endpoints.length > 0;
  const externalIPs = sp.externalIPs ?? [];
  const lbIPs = sp.loadBalancerIPs ?? [];
  const ranges = sp.loadBalancerSourceRanges ?? [];
  const nodePort = sp.nodePort ?? null;
  const external = externalIPs.length > 0 || lbIPs.length > 0 || nodePort !== null;
  const usesFirewall = ranges.length > 0 && lbIPs.length > 0;
  const clusterIPDest = destinationWords(sp.clusterIP, sp.protocol, sp.port, `${spn} cluster IP`);

  if (!hasEndpoints) {
    const reject = rejectWords(family);
    filter(KUBE_SERVICES, [...destinationWords(sp.clusterIP, sp.protocol, sp.port, `${spn} has no endpoints`), ...reject]);
    for (const ip of [...externalIPs, ...lbIPs]) filter(KUBE_EXTERNAL_SERVICES, [...destinationWords(ip, sp.protocol, sp.port, `${spn} has no endpoints`), ...reject]);
    if (nodePort !== null) filter(KUBE_EXTERNAL_SERVICES, ["-p", proto, ...commentWords(`${spn} has no endpoints`), "-m", "addrtype", "--dst-type", "LOCAL", "-m", proto, "--dport", word(String(nodePort)), ...reject]);
    return { chains, rules };
  }

  chains.push(svc);
  nat(KUBE_SERVICES, [...clusterIPDest, "-j", svc]);
  // Masquerade ClusterIP traffic that does not come from this node's pods (or all, with --masquerade-all).
  const notLocal = notLocalWords(node.localDetector);
  if (node.masqueradeAll) nat(svc, [...clusterIPDest, "-j", KUBE_MARK_MASQ]);
  else if (notLocal) nat(svc, [...withSource(notLocal, clusterIPDest), "-j", KUBE_MARK_MASQ]);

  if (external) {
    chains.push(ext);
    nat(ext, [...commentWords(`masquerade traffic for ${spn} external destinations`), "-j", KUBE_MARK_MASQ]);
    nat(ext, ["-j", svc]);
    for (const ip of externalIPs) nat(KUBE_SERVICES, [...destinationWords(ip, sp.protocol, sp.port, `${spn} external IP`), "-j", ext]);
    for (const ip of lbIPs) nat(KUBE_SERVICES, [...destinationWords(ip, sp.protocol, sp.port, `${spn} loadbalancer IP`), "-j", usesFirewall ? fw : ext]);
    if (usesFirewall) {
      chains.push(fw);
      for (const r of ranges) nat(fw, ["-s", word(parseCIDR(r)!.text), ...commentWords(`${spn} loadbalancer IP`), "-j", ext]);
      // A node inside an allowed range may reach its own load balancer, which hands the packet back with the VIP as source.
      if (inRange(node.nodeIP, ranges)) for (const ip of lbIPs) nat(fw, ["-s", hostCIDR(ip), ...commentWords(`${spn} loadbalancer IP`), "-j", ext]);
      for (const ip of lbIPs) filter(KUBE_PROXY_FIREWALL, [...destinationWords(ip, sp.protocol, sp.port, `${spn} traffic not accepted by ${fw}`), "-j", "DROP"]);
    }
    if (nodePort !== null) nat(KUBE_NODEPORTS, ["-p", proto, ...commentWords(spn), "-m", proto, "--dport", word(String(nodePort)), "-j", ext]);
  }

  const n = sp.endpoints.length;
  sp.endpoints.forEach((ep, i) => {
    const sep = endpointChain(sp, ep);
    const target = hostPort(ep.ip, ep.port);
    const pick = i < n - 1 ? ["-m", "statistic", "--mode", "random", "--probability", probability(1 / (n - i))] : [];
    nat(svc, [...commentWords(`${spn} -> ${target}`), ...pick, "-j", sep]);
    chains.push(sep);
    nat(sep, ["-s", hostCIDR(ep.ip), ...commentWords(spn), "-j", KUBE_MARK_MASQ]);
    nat(sep, ["-p", proto, ...commentWords(spn), "-m", proto, "-j", "DNAT", "--to-destination", target]);
  });
  return { chains, rules };
}
