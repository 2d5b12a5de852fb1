import { describe, expect, test } from "bun:test";
import { createFakeNft } from "./fake.ts";
import { renderContext } from "./render-context.ts";
import { renderFull } from "./render-sync.ts";

/** The fixed skeleton of `ip kube-proxy` as nft lists it (upstream's names and hook priorities). */
const SKELETON_IPV4_CHAINS = `chain cluster-ips-check
ip daddr @cluster-ips reject comment "reject traffic to unused ports of ClusterIPs"
chain filter-forward
type filter hook forward priority filter; policy accept;
ct state new jump service-endpoints-check
ct state new jump cluster-ips-check
chain filter-input
type filter hook input priority filter; policy accept;
ct state new jump nodeport-endpoints-check
ct state new jump service-endpoints-check
chain filter-output
type filter hook output priority filter; policy accept;
ct state new jump service-endpoints-check
ct state new jump cluster-ips-check
chain filter-output-pre-dnat
type filter hook output priority -110; policy accept;
ct state new jump firewall-check
chain filter-prerouting-pre-dnat
type filter hook prerouting priority dstnat - 10; policy accept;
ct state new jump firewall-check
chain firewall-check
ip daddr . meta l4proto . th dport vmap @firewall-ips
chain firewall-source-check
ip daddr . meta l4proto . th dport . ip saddr @firewall-allow return
drop
chain mark-for-masquerade
meta mark set meta mark | 0x00004000
chain masquerading
ct status dnat ip saddr . ip daddr @hairpin-endpoints jump mark-for-masquerade
meta mark & 0x00004000 == 0x00000000 return
meta mark set meta mark ^ 0x00004000
masquerade fully-random
chain nat-output
type nat hook output priority -100; policy accept;
jump services
chain nat-postrouting
type nat hook postrouting priority srcnat; policy accept;
jump masquerading
chain nat-prerouting
type nat hook prerouting priority dstnat; policy accept;
jump services
chain nodeport-endpoints-check
ip daddr @nodeport-ips fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @no-endpoint-nodeports
chain reject-chain
comment "target of no-endpoint-services verdicts"
reject
chain service-endpoints-check
ip daddr . meta l4proto . th dport vmap @no-endpoint-services
chain services
ip daddr . meta l4proto . th dport vmap @service-ips
ip daddr @nodeport-ips fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports
`;

describe("skeleton", () => {
  test("the empty IPv4 table: upstream's chains, hooks and priorities (golden)", async () => {
    const fake = createFakeNft();
    await fake.apply(renderFull({ family: "IPv4", servicePorts: [] }, renderContext("IPv4")).tx);
    const dump = fake.dump("ip");
    expect(dump.slice(dump.indexOf("chain "))).toBe(SKELETON_IPV4_CHAINS);
  });

  test("the sets and maps are upstream's, plus ours for source ranges and hairpin", async () => {
    const fake = createFakeNft();
    await fake.apply(renderFull({ family: "IPv6", servicePorts: [] }, renderContext("IPv6")).tx);
    const names = [...fake.table("ip6")!.containers.keys()].sort();
    expect(names).toEqual(["cluster-ips", "firewall-allow", "firewall-ips", "hairpin-endpoints", "no-endpoint-nodeports", "no-endpoint-services", "nodeport-ips", "service-ips", "service-nodeports"]);
  });

  test("the mark bit follows --iptables-masquerade-bit", async () => {
    const fake = createFakeNft();
    await fake.apply(renderFull({ family: "IPv4", servicePorts: [] }, renderContext("IPv4", 3)).tx);
    expect(fake.dump("ip")).toContain("meta mark set meta mark | 0x00000008");
  });
});
