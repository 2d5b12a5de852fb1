/**
 * The comparison ruleset: the same N x M cluster in upstream kube-proxy's nftables shape as
 * `shared/upstream.md` section 1.2 describes it (our own generator, written from that page):
 * dispatch through `service-ips`, one chain per ServicePort that picks an endpoint with
 * `numgen random mod M vmap { i : goto endpoint-... }`, and one chain per endpoint with the
 * hairpin mark and the DNAT. Loaded with one `nft -f`, as upstream's first sync would.
 */
import { clusterIP } from "../../support/addresses.ts";
import { endpointIP, NS, serviceName } from "./fixture.ts";

function hash8(s: string): string {
  return new Bun.CryptoHasher("sha256").update(s).digest("hex").slice(0, 8).toUpperCase();
}

export function upstreamShapedNft(n: number, m: number): string {
  const out: string[] = [];
  const T = "ip kube-proxy";
  out.push(`add table ${T} { comment "rules for kube-proxy" ; }`, `delete table ${T}`, `add table ${T} { comment "rules for kube-proxy" ; }`);
  const base: [string, string, string, number][] = [
    ["filter-prerouting-pre-dnat", "filter", "prerouting", -110], ["filter-output-pre-dnat", "filter", "output", -110],
    ["nat-prerouting", "nat", "prerouting", -100], ["nat-output", "nat", "output", -100],
    ["filter-input", "filter", "input", 0], ["filter-forward", "filter", "forward", 0], ["filter-output", "filter", "output", 0],
    ["nat-postrouting", "nat", "postrouting", 100],
  ];
  for (const [name, type, hook, prio] of base) out.push(`add chain ${T} ${name} { type ${type} hook ${hook} priority ${prio} ; }`);
  for (const c of ["services", "service-endpoints-check", "firewall-check", "reject-chain", "cluster-ips-check", "mark-for-masquerade", "masquerading"]) out.push(`add chain ${T} ${c}`);
  out.push(
    `add set ${T} cluster-ips { type ipv4_addr ; }`,
    `add map ${T} service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; }`,
    `add map ${T} no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict ; }`,
    `add map ${T} firewall-ips { type ipv4_addr . inet_proto . inet_service : verdict ; }`,
    `add rule ${T} nat-prerouting jump services`,
    `add rule ${T} nat-output jump services`,
    `add rule ${T} nat-postrouting jump masquerading`,
    `add rule ${T} filter-prerouting-pre-dnat ct state new jump firewall-check`,
    `add rule ${T} filter-output-pre-dnat ct state new jump firewall-check`,
    `add rule ${T} filter-input ct state new jump service-endpoints-check`,
    `add rule ${T} filter-forward ct state new jump service-endpoints-check`,
    `add rule ${T} filter-forward ct state new jump cluster-ips-check`,
    `add rule ${T} filter-output ct state new jump service-endpoints-check`,
    `add rule ${T} filter-output ct state new jump cluster-ips-check`,
    `add rule ${T} services ip daddr . meta l4proto . th dport vmap @service-ips`,
    `add rule ${T} service-endpoints-check ip daddr . meta l4proto . th dport vmap @no-endpoint-services`,
    `add rule ${T} firewall-check ip daddr . meta l4proto . th dport vmap @firewall-ips`,
    `add rule ${T} reject-chain reject`,
    `add rule ${T} cluster-ips-check ip daddr @cluster-ips reject`,
    `add rule ${T} mark-for-masquerade meta mark set meta mark or 0x4000`,
    `add rule ${T} masquerading meta mark & 0x4000 == 0 return`,
    `add rule ${T} masquerading meta mark set meta mark xor 0x4000`,
    `add rule ${T} masquerading masquerade fully-random`,
  );
  for (let i = 0; i < n; i++) {
    const id = `${NS}/${serviceName(i)}/tcp/http`;
    const svc = `service-${hash8(id)}-${id}`;
    const vip = clusterIP(i);
    out.push(`add chain ${T} ${svc}`);
    out.push(`add rule ${T} ${svc} ip daddr ${vip} tcp dport 80 ip saddr != 10.244.0.0/16 jump mark-for-masquerade`);
    const picks: string[] = [];
    for (let j = 0; j < m; j++) {
      const ip = endpointIP(i, j);
      const epId = `${id}__${ip}/8080`;
      const ep = `endpoint-${hash8(epId)}-${epId}`;
      out.push(`add chain ${T} ${ep}`);
      out.push(`add rule ${T} ${ep} ip saddr ${ip} jump mark-for-masquerade`);
      out.push(`add rule ${T} ${ep} meta l4proto tcp dnat to ${ip}:8080`);
      picks.push(`${j} : goto ${ep}`);
    }
    out.push(`add rule ${T} ${svc} numgen random mod ${m} vmap { ${picks.join(" , ")} }`);
    out.push(`add element ${T} cluster-ips { ${vip} }`);
    out.push(`add element ${T} service-ips { ${vip} . tcp . 80 : goto ${svc} }`);
  }
  return out.join("\n") + "\n";
}
