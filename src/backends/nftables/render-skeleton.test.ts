import { describe, expect, test } from "bun:test";
import { canonicalNft } from "../../../tests/support/nft-golden.ts";
import { renderFullSync } from "./render-full-sync.ts";

/** The fixed skeleton of `ip kube-proxy` (golden; objects in any order, rules in chain order). */
const SKELETON_IPV4 = `
add table ip kube-proxy
delete table ip kube-proxy
add table ip kube-proxy { comment "rules for kube-proxy" ; }
add chain ip kube-proxy nat-prerouting { type nat hook prerouting priority -100 ; }
add chain ip kube-proxy nat-output { type nat hook output priority -100 ; }
add chain ip kube-proxy filter-input { type filter hook input priority 0 ; }
add chain ip kube-proxy filter-forward { type filter hook forward priority 0 ; }
add chain ip kube-proxy filter-output { type filter hook output priority 0 ; }
add chain ip kube-proxy nat-postrouting { type nat hook postrouting priority 100 ; }
add chain ip kube-proxy services
add chain ip kube-proxy service-endpoints-check
add chain ip kube-proxy cluster-ips-check
add chain ip kube-proxy reject-chain { comment "target of no-endpoint-services verdicts" ; }
add chain ip kube-proxy mark-for-masquerade
add chain ip kube-proxy masquerading
add set ip kube-proxy cluster-ips { type ipv4_addr ; comment "Active ClusterIPs" ; }
add map ip kube-proxy service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "ClusterIP traffic" ; }
add map ip kube-proxy no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict ; comment "services without usable endpoints" ; }
add rule ip kube-proxy nat-prerouting jump services
add rule ip kube-proxy nat-output jump services
add rule ip kube-proxy filter-input ct state new jump service-endpoints-check
add rule ip kube-proxy filter-forward ct state new jump service-endpoints-check
add rule ip kube-proxy filter-forward ct state new jump cluster-ips-check
add rule ip kube-proxy filter-output ct state new jump service-endpoints-check
add rule ip kube-proxy filter-output ct state new jump cluster-ips-check
add rule ip kube-proxy nat-postrouting jump masquerading
add rule ip kube-proxy services ip daddr . meta l4proto . th dport vmap @service-ips
add rule ip kube-proxy service-endpoints-check ip daddr . meta l4proto . th dport vmap @no-endpoint-services
add rule ip kube-proxy cluster-ips-check ip daddr @cluster-ips reject comment "reject traffic to unused ports of ClusterIPs"
add rule ip kube-proxy reject-chain reject
add rule ip kube-proxy mark-for-masquerade mark set mark or 0x4000
add rule ip kube-proxy masquerading mark and 0x4000 == 0 return
add rule ip kube-proxy masquerading mark set mark xor 0x4000
add rule ip kube-proxy masquerading masquerade fully-random
`;

describe("skeleton", () => {
  test("IPv4 golden", () => {
    const script = renderFullSync({ family: "IPv4", servicePorts: [] }).tx.toScript();
    expect(canonicalNft(script)).toBe(canonicalNft(SKELETON_IPV4));
  });

  test("the table is replaced first: add, delete, then add with its comment", () => {
    const lines = renderFullSync({ family: "IPv4", servicePorts: [] }).tx.toScript().split("\n");
    expect(lines.slice(0, 3)).toEqual(SKELETON_IPV4.trim().split("\n").slice(0, 3));
  });

  test("IPv6 is the same skeleton in family ip6, with ipv6_addr keys and ip6 matches", () => {
    const v6 = renderFullSync({ family: "IPv6", servicePorts: [] }).tx.toScript();
    const want = SKELETON_IPV4.replaceAll(" ip kube-proxy", " ip6 kube-proxy").replaceAll("ipv4_addr", "ipv6_addr").replaceAll(" ip daddr", " ip6 daddr");
    expect(canonicalNft(v6)).toBe(canonicalNft(want));
  });

  test("the masquerade bit is configurable", () => {
    const script = renderFullSync({ family: "IPv4", servicePorts: [] }, { masqueradeBit: 5 }).tx.toScript();
    expect(script).toContain("mark-for-masquerade mark set mark or 0x20\n");
    expect(script).toContain("masquerading mark and 0x20 == 0 return\n");
    expect(() => renderFullSync({ family: "IPv4", servicePorts: [] }, { masqueradeBit: 32 })).toThrow(RangeError);
  });
});
