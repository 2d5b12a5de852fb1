/**
 * One ServicePort in upstream's iptables layout: ClusterIP dispatch from nat KUBE-SERVICES to the
 * internal policy chain (KUBE-SVC-* for Cluster, KUBE-SVL-* for Local, with the ClusterIP
 * masquerade rule), external addresses (externalIPs, load-balancer IPs through KUBE-FW-* when
 * source ranges apply, NodePorts from KUBE-NODEPORTS) to KUBE-EXT-* (masquerade for Cluster; for
 * Local, pod and node short-circuits, then local endpoints only), session affinity with `recent`,
 * the KUBE-SEP-* chains, and the filter rules: reject when there are no endpoints anywhere, drop
 * when the policy's set is empty here, drop what a load-balancer firewall does not accept. Everything is computed before
 * anything is written, so a bad value throws without leaving half a ServicePort behind.
 */
import { parseCIDR } from "../../lib/cidr.ts";
import type { IPFamily } from "../../lib/ip.ts";
import { externallyAccessible, hasEndpointsOf, type EndpointTarget, type LocalDetector, type NodeFacts, type ServicePortState } from "../../model/proxy-state.ts";
import { endpointChain, externalChain, firewallChain, localServiceChain, KUBE_EXTERNAL_SERVICES, KUBE_MARK_MASQ, KUBE_NODEPORTS, KUBE_PROXY_FIREWALL, KUBE_SERVICES, serviceChain, servicePortName } from "./names.ts";
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

/** `-m recent` words of an affinity check (in the policy chain) or update (in the endpoint chain), as iptables-save prints them. */
function recentWords(family: IPFamily, name: string, check: { seconds: number } | null): string[] {
  const mask = family === "IPv4" ? "255.255.255.255" : "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
  return check
    ? ["-m", "recent", "--rcheck", "--seconds", word(String(check.seconds)), "--reap", "--name", word(name), "--mask", mask, "--rsource"]
    : ["-m", "recent", "--set", "--name", word(name), "--mask", mask, "--rsource"];
}

/** `-s CIDR` / `-i NAME` / `-i PREFIX+`: matches traffic from this node's pods; null without a detector. */
function localWords(d: LocalDetector): string[] | null {
  const not = notLocalWords(d);
  return not ? not.slice(1) : null;
}

export function planServicePort(sp: ServicePortState, family: IPFamily, node: NodeFacts): ServicePortPlan {
  const spn = servicePortName(sp);
  const proto = PROTO[sp.protocol];
  const svc = serviceChain(sp);
  const svl = localServiceChain(sp);
  const ext = externalChain(sp);
  const fw = firewallChain(sp);
  const chains: string[] = [];
  const rules: PlannedRule[] = [];
  const nat = (chain: string, words: string[]) => rules.push({ table: "nat", chain, words });
  const filter = (chain: string, words: string[]) => rules.push({ table: "filter", chain, words });
  const externalIPs = sp.externalIPs ?? [];
  const lbIPs = sp.loadBalancerIPs ?? [];
  const ranges = sp.loadBalancerSourceRanges ?? [];
  const nodePort = sp.nodePort ?? null;
  const external = externallyAccessible(sp);
  const usesFirewall = ranges.length > 0 && lbIPs.length > 0;
  const clusterIPDest = destinationWords(sp.clusterIP, sp.protocol, sp.port, `${spn} cluster IP`);
  const cluster = sp.endpoints;
  const local = sp.localEndpoints ?? [];
  const hasEndpoints = hasEndpointsOf(sp);
  const internalLocal = sp.internalTrafficPolicy === "Local";
  const externalLocal = sp.externalTrafficPolicy === "Local";

  // No usable endpoint anywhere: every address rejects, and the Service has no chains at all.
  if (!hasEndpoints) {
    const reject = rejectWords(family);
    filter(KUBE_SERVICES, [...destinationWords(sp.clusterIP, sp.protocol, sp.port, `${spn} has no endpoints`), ...reject]);
    for (const ip of [...externalIPs, ...lbIPs]) filter(KUBE_EXTERNAL_SERVICES, [...destinationWords(ip, sp.protocol, sp.port, `${spn} has no endpoints`), ...reject]);
    if (nodePort !== null) filter(KUBE_EXTERNAL_SERVICES, ["-p", proto, ...commentWords(`${spn} has no endpoints`), "-m", "addrtype", "--dst-type", "LOCAL", "-m", proto, "--dport", word(String(nodePort)), ...reject]);
    return { chains, rules };
  }

  const usesCluster = cluster.length > 0;
  const usesLocal = local.length > 0;
  const internalChain = internalLocal ? svl : svc;
  const hasInternal = internalLocal ? usesLocal : usesCluster;
  const externalPolicyChain = externalLocal ? svl : svc;
  const hasExternal = externalLocal ? usesLocal : usesCluster;
  const noLocal = `${spn} has no local endpoints`;

  if (usesCluster) chains.push(svc);
  if (usesLocal) chains.push(svl);

  // ClusterIP: to the internal policy chain, or dropped when that policy has no endpoint here.
  if (hasInternal) {
    nat(KUBE_SERVICES, [...clusterIPDest, "-j", internalChain]);
    const notLocal = notLocalWords(node.localDetector);
    if (node.masqueradeAll) nat(internalChain, [...clusterIPDest, "-j", KUBE_MARK_MASQ]);
    else if (notLocal) nat(internalChain, [...withSource(notLocal, clusterIPDest), "-j", KUBE_MARK_MASQ]);
  } else {
    filter(KUBE_SERVICES, [...destinationWords(sp.clusterIP, sp.protocol, sp.port, noLocal), "-j", "DROP"]);
  }

  if (external) {
    chains.push(ext);
    if (!externalLocal) {
      nat(ext, [...commentWords(`masquerade traffic for ${spn} external destinations`), "-j", KUBE_MARK_MASQ]);
    } else {
      // Pods going to an external address act as if they went out to a load balancer and back: no policy.
      const podMatch = localWords(node.localDetector);
      if (podMatch && usesCluster) nat(ext, [...podMatch, ...commentWords(`pod traffic for ${spn} external destinations`), "-j", svc]);
      // The node's own traffic has a local source address, which must not be kept: masquerade it and use every endpoint.
      nat(ext, [...commentWords(`masquerade LOCAL traffic for ${spn} external destinations`), "-m", "addrtype", "--src-type", "LOCAL", "-j", KUBE_MARK_MASQ]);
      if (usesCluster) nat(ext, [...commentWords(`route LOCAL traffic for ${spn} external destinations`), "-m", "addrtype", "--src-type", "LOCAL", "-j", svc]);
    }
    if (hasExternal) nat(ext, ["-j", externalPolicyChain]);

    for (const ip of externalIPs) {
      nat(KUBE_SERVICES, [...destinationWords(ip, sp.protocol, sp.port, `${spn} external IP`), "-j", ext]);
      if (!hasExternal) filter(KUBE_EXTERNAL_SERVICES, [...destinationWords(ip, sp.protocol, sp.port, noLocal), "-j", "DROP"]);
    }
    for (const ip of lbIPs) {
      nat(KUBE_SERVICES, [...destinationWords(ip, sp.protocol, sp.port, `${spn} loadbalancer IP`), "-j", usesFirewall ? fw : ext]);
      if (!hasExternal) filter(KUBE_EXTERNAL_SERVICES, [...destinationWords(ip, sp.protocol, sp.port, noLocal), "-j", "DROP"]);
    }
    if (usesFirewall) {
      chains.push(fw);
      for (const r of ranges) nat(fw, ["-s", word(parseCIDR(r)!.text), ...commentWords(`${spn} loadbalancer IP`), "-j", ext]);
      // A node inside an allowed range may reach its own load balancer, which hands the packet back with the VIP as source.
      if (inRange(node.nodeIP, ranges)) for (const ip of lbIPs) nat(fw, ["-s", hostCIDR(ip), ...commentWords(`${spn} loadbalancer IP`), "-j", ext]);
      for (const ip of lbIPs) filter(KUBE_PROXY_FIREWALL, [...destinationWords(ip, sp.protocol, sp.port, `${spn} traffic not accepted by ${fw}`), "-j", "DROP"]);
    }
    if (nodePort !== null) {
      nat(KUBE_NODEPORTS, ["-p", proto, ...commentWords(spn), "-m", proto, "--dport", word(String(nodePort)), "-j", ext]);
      if (!hasExternal) filter(KUBE_EXTERNAL_SERVICES, ["-p", proto, ...commentWords(noLocal), "-m", "addrtype", "--dst-type", "LOCAL", "-m", proto, "--dport", word(String(nodePort)), "-j", "DROP"]);
    }
  }
  const hc = sp.healthCheckNodePort ?? null;
  if (hc !== null) filter(KUBE_NODEPORTS, ["-p", "tcp", ...commentWords(`${spn} health check node port`), "-m", "tcp", "--dport", word(String(hc)), "-j", "ACCEPT"]);

  // The policy chains: affinity checks first (a client seen recently goes back to its endpoint), then the random cascade.
  const affinity = sp.affinityTimeoutSeconds ?? null;
  const writePolicy = (chain: string, eps: EndpointTarget[]) => {
    if (affinity !== null) {
      for (const ep of eps) nat(chain, [...commentWords(`${spn} -> ${hostPort(ep.ip, ep.port)}`), ...recentWords(family, endpointChain(sp, ep), { seconds: affinity }), "-j", endpointChain(sp, ep)]);
    }
    eps.forEach((ep, i) => {
      const pick = i < eps.length - 1 ? ["-m", "statistic", "--mode", "random", "--probability", probability(1 / (eps.length - i))] : [];
      nat(chain, [...commentWords(`${spn} -> ${hostPort(ep.ip, ep.port)}`), ...pick, "-j", endpointChain(sp, ep)]);
    });
  };
  if (usesCluster) writePolicy(svc, cluster);
  if (usesLocal) writePolicy(svl, local);

  // One endpoint chain per reachable endpoint: hairpin masquerade, affinity update, DNAT.
  const seen = new Set<string>();
  for (const ep of [...cluster, ...local]) {
    const sep = endpointChain(sp, ep);
    if (seen.has(sep)) continue;
    seen.add(sep);
    chains.push(sep);
    nat(sep, ["-s", hostCIDR(ep.ip), ...commentWords(spn), "-j", KUBE_MARK_MASQ]);
    nat(sep, ["-p", proto, ...commentWords(spn), ...(affinity !== null ? recentWords(family, sep, null) : []), "-m", proto, "-j", "DNAT", "--to-destination", hostPort(ep.ip, ep.port)]);
  }
  return { chains, rules };
}
