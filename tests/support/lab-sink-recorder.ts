/**
 * Records, in a lab's sink (the namespace behind the node's default route, which answers
 * nothing), every TCP and UDP packet that reaches it as `saddr . daddr . proto . dport`. A test
 * then tells "left the node untouched" (seen, with its original source and destination) from
 * "stopped at the node" (dropped or rejected: not seen). The table lives in the sink namespace
 * and goes with it.
 */
import type { Lab } from "../../src/sandbox/lab/lab-types.ts";

const TABLE = "kpb-seen";

const SCRIPT = `table inet ${TABLE} {
  set v4 {
    type ipv4_addr . ipv4_addr . inet_proto . inet_service
    flags dynamic
  }
  set v6 {
    type ipv6_addr . ipv6_addr . inet_proto . inet_service
    flags dynamic
  }
  chain pre {
    type filter hook prerouting priority 0; policy accept;
    meta nfproto ipv4 meta l4proto { tcp, udp } add @v4 { ip saddr . ip daddr . meta l4proto . th dport }
    meta nfproto ipv6 meta l4proto { tcp, udp } add @v6 { ip6 saddr . ip6 daddr . meta l4proto . th dport }
  }
}
`;

/** A running recorder. */
export interface SinkRecorder {
  /** The recorded tuples as `nft list set` prints them (both families). */
  seen(): Promise<string>;
  /** True when `listing` (from `seen`) holds the packet `src -> dst:dport` of `proto`, unchanged. */
  saw(listing: string, p: { src: string; dst: string; proto: string; dport: number }): boolean;
}

/** Loads the recorder into `lab`'s sink; rejects when nft refuses it. */
export async function startSinkRecorder(lab: Lab): Promise<SinkRecorder> {
  const r = await lab.exec(lab.sink.ns, ["nft", "-f", "-"], SCRIPT);
  if (r.exitCode !== 0) throw new Error(`sink recorder: ${r.stderr.trim()}`);
  return {
    async seen() {
      const sets = await Promise.all(["v4", "v6"].map((s) => lab.exec(lab.sink.ns, ["nft", "list", "set", "inet", TABLE, s])));
      return sets.map((x) => x.stdout).join("\n");
    },
    saw: sawInListing,
  };
}

/**
 * True when an `nft list set` listing holds the element `src . dst . proto . dport` as a whole
 * (nft prints addresses canonically, as parseIP does, and separates tuple fields with " . ").
 */
export function sawInListing(listing: string, p: { src: string; dst: string; proto: string; dport: number }): boolean {
  return new RegExp(`(^|[\\s{,])${escape(`${p.src} . ${p.dst} . ${p.proto} . ${p.dport}`)}($|[\\s},])`, "m").test(listing);
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
