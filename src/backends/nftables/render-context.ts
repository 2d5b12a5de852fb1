/**
 * What every renderer needs besides the ServicePorts: the table family and the masquerade mark.
 * Built once per sync from the backend's options.
 */
import type { IPFamily } from "../../lib/ip.ts";
import type { NftFamily } from "./objects.ts";

/** Settings shared by the renderers of one sync. */
export interface RenderContext {
  family: NftFamily;
  /** The fwmark bit that asks nat-postrouting to masquerade (upstream default 0x4000, bit 14). */
  masqueradeMark: number;
}

/** Upstream's default `--iptables-masquerade-bit` / `nftables.masqueradeBit`. */
export const DEFAULT_MASQUERADE_BIT = 14;

/** The nft family of a ProxyState family: `ip` for IPv4, `ip6` for IPv6. */
export function nftFamilyOf(family: IPFamily): NftFamily {
  return family === "IPv4" ? "ip" : "ip6";
}

/** A RenderContext; throws RangeError when `masqueradeBit` is not 0..31 (a config bug). */
export function renderContext(family: IPFamily, masqueradeBit = DEFAULT_MASQUERADE_BIT): RenderContext {
  if (!Number.isInteger(masqueradeBit) || masqueradeBit < 0 || masqueradeBit > 31) {
    throw new RangeError(`masquerade bit ${masqueradeBit} not in 0..31`);
  }
  return { family: nftFamilyOf(family), masqueradeMark: 2 ** masqueradeBit };
}
