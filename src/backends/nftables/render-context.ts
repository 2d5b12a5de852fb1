/**
 * What every renderer needs besides the ServicePorts: the table family, the masquerade mark and
 * the node-wide facts of the family. Built once per sync from the backend's options and the state.
 */
import type { IPFamily } from "../../lib/ip.ts";
import { DEFAULT_NODE_FACTS, type NodeFacts } from "../../model/proxy-state.ts";
import type { NftFamily } from "./objects.ts";

/** Settings shared by the renderers of one sync. */
export interface RenderContext {
  family: NftFamily;
  /** The fwmark bit that asks nat-postrouting to masquerade (upstream default 0x4000, bit 14). */
  masqueradeMark: number;
  node: NodeFacts;
}

/** Upstream's default `--iptables-masquerade-bit` / `nftables.masqueradeBit`. */
export const DEFAULT_MASQUERADE_BIT = 14;

/** The nft family of a ProxyState family: `ip` for IPv4, `ip6` for IPv6. */
export function nftFamilyOf(family: IPFamily): NftFamily {
  return family === "IPv4" ? "ip" : "ip6";
}

/** A RenderContext; throws RangeError when `masqueradeBit` is not 0..31 (a config bug). */
export function renderContext(family: IPFamily, masqueradeBit = DEFAULT_MASQUERADE_BIT, node: NodeFacts = DEFAULT_NODE_FACTS): RenderContext {
  if (!Number.isInteger(masqueradeBit) || masqueradeBit < 0 || masqueradeBit > 31) {
    throw new RangeError(`masquerade bit ${masqueradeBit} not in 0..31`);
  }
  return { family: nftFamilyOf(family), masqueradeMark: 2 ** masqueradeBit, node };
}

/** A text that changes exactly when a full sync is needed because the skeleton would differ. */
export function contextFingerprint(ctx: RenderContext): string {
  return JSON.stringify([ctx.family, ctx.masqueradeMark, ctx.node]);
}
