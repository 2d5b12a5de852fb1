/**
 * Renders a ProxyState as iptables-restore input for a full sync, in upstream's layout
 * (upstream.md section 1.3): the fixed chains (KUBE-MARK-MASQ / KUBE-POSTROUTING masquerading,
 * KUBE-FORWARD, the NodePort dispatch last in KUBE-SERVICES), every ServicePort's rules
 * (render-service-port.ts) and the jumps from built-in chains where missing. Every
 * owned chain is re-declared (so flushed and rewritten); per-service chains that exist but are no
 * longer wanted are deleted in the same commit. Pure.
 */
import { parseCIDR } from "../../lib/cidr.ts";
import { DEFAULT_NODE_FACTS, type ProxyState } from "../../model/proxy-state.ts";
import { planServicePort } from "./render-service-port.ts";
import { word } from "./tokens.ts";
import { BUILTIN_JUMPS, type BuiltinJump } from "./builtin-jumps.ts";
import { isPerServiceChain, KUBE_EXTERNAL_SERVICES, KUBE_FORWARD, KUBE_MARK_MASQ, KUBE_NODEPORTS, KUBE_POSTROUTING, KUBE_PROXY_FIREWALL, KUBE_SERVICES } from "./names.ts";
import { RestoreScript } from "./restore-script.ts";
import { commentWords, markWords } from "./rule-words.ts";

export interface IptablesRenderOptions {
  masqueradeBit: number;
}

/** What the kernel has now, as far as the render needs to know. */
export interface ExistingChains {
  nat: ReadonlySet<string>;
  filter: ReadonlySet<string>;
  /** Jump rules already present in built-in chains (by `BuiltinJump.key`). */
  jumps: ReadonlySet<string>;
}

export interface IptablesRender {
  nat: RestoreScript;
  filter: RestoreScript;
  /** Chains that exist after this render is applied, per table. */
  chains: { nat: Set<string>; filter: Set<string> };
  servicePorts: number;
  endpoints: number;
  /** ServicePorts left out, with why. */
  skipped: string[];
}

const FIXED_NAT = [KUBE_SERVICES, KUBE_NODEPORTS, KUBE_POSTROUTING, KUBE_MARK_MASQ];
const FIXED_FILTER = [KUBE_SERVICES, KUBE_EXTERNAL_SERVICES, KUBE_FORWARD, KUBE_NODEPORTS, KUBE_PROXY_FIREWALL];

function addJump(j: BuiltinJump, nat: RestoreScript, filter: RestoreScript): void {
  (j.table === "nat" ? nat : filter).insert(j.chain, j.words);
}

export function renderFullSync(state: ProxyState, existing: ExistingChains, opts: IptablesRenderOptions): IptablesRender {
  const nat = new RestoreScript("nat");
  const filter = new RestoreScript("filter");
  FIXED_NAT.forEach((c) => nat.chain(c));
  FIXED_FILTER.forEach((c) => filter.chain(c));
  const node = state.node ?? DEFAULT_NODE_FACTS;
  const mark = markWords(opts.masqueradeBit);
  const bit = mark.split("/")[0]!;
  nat.append(KUBE_MARK_MASQ, ["-j", "MARK", "--set-xmark", mark])
    .append(KUBE_POSTROUTING, ["-m", "mark", "!", "--mark", mark, "-j", "RETURN"])
    .append(KUBE_POSTROUTING, ["-j", "MARK", "--set-xmark", `${bit}/0x0`])
    .append(KUBE_POSTROUTING, [...commentWords("kubernetes service traffic requiring SNAT"), "-j", "MASQUERADE", "--random-fully"]);
  filter.append(KUBE_FORWARD, ["-m", "conntrack", "--ctstate", "INVALID", "-j", "DROP"])
    .append(KUBE_FORWARD, [...commentWords("kubernetes forwarding rules"), "-m", "mark", "--mark", mark, "-j", "ACCEPT"])
    .append(KUBE_FORWARD, [...commentWords("kubernetes forwarding conntrack rule"), "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"]);

  let endpoints = 0;
  const skipped: string[] = [];
  for (const sp of state.servicePorts) {
    try {
      const plan = planServicePort(sp, state.family, node);
      for (const c of plan.chains) nat.chain(c);
      for (const r of plan.rules) (r.table === "nat" ? nat : filter).append(r.chain, r.words);
      endpoints += sp.endpoints.length;
    } catch (e) {
      // The model hands over parsed values only, so this is a bug; one bad ServicePort must not
      // take the others down, and nothing of it was added (renderServicePort computes first).
      skipped.push(`${sp.id}: ${(e as Error).message}`);
    }
  }
  // NodePorts last in KUBE-SERVICES: on every local address, or on the addresses --nodeport-addresses selects.
  const nodePortsComment = commentWords("kubernetes service nodeports; NOTE: this must be the last rule in this chain");
  if (node.nodePorts.matchAll) {
    nat.append(KUBE_SERVICES, ["!", "-d", state.family === "IPv4" ? "127.0.0.0/8" : "::1/128", ...nodePortsComment, "-m", "addrtype", "--dst-type", "LOCAL", "-j", KUBE_NODEPORTS]);
  } else {
    for (const cidr of node.nodePorts.cidrs) nat.append(KUBE_SERVICES, ["-d", word(parseCIDR(cidr)!.text), ...nodePortsComment, "-j", KUBE_NODEPORTS]);
  }
  for (const j of BUILTIN_JUMPS) if (!existing.jumps.has(j.key)) addJump(j, nat, filter);

  const wantNat = new Set(nat.declaredChains());
  for (const c of existing.nat) if (isPerServiceChain(c) && !wantNat.has(c)) nat.deleteChain(c);
  const wantFilter = new Set(filter.declaredChains());
  for (const c of existing.filter) if (isPerServiceChain(c) && !wantFilter.has(c)) filter.deleteChain(c);
  return { nat, filter, chains: { nat: wantNat, filter: wantFilter }, servicePorts: state.servicePorts.length, endpoints, skipped };
}
