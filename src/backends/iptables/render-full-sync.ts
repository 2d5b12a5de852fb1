/**
 * Renders a ProxyState as iptables-restore input for a full sync, in upstream's layout
 * (upstream.md section 1.3): nat KUBE-SERVICES -> KUBE-SVC-* -> KUBE-SEP-* (random choice by a
 * statistic probability cascade, hairpin mark, DNAT), filter KUBE-SERVICES rejecting ServicePorts
 * without endpoints, KUBE-MARK-MASQ / KUBE-POSTROUTING masquerading and KUBE-FORWARD. Every
 * owned chain is re-declared (so flushed and rewritten); per-service chains that exist but are no
 * longer wanted are deleted in the same commit. Pure.
 */
import type { ProxyState, ServicePortState } from "../../model/proxy-state.ts";
import { BUILTIN_JUMPS, type BuiltinJump } from "./builtin-jumps.ts";
import { endpointChain, isPerServiceChain, KUBE_EXTERNAL_SERVICES, KUBE_FORWARD, KUBE_MARK_MASQ, KUBE_NODEPORTS, KUBE_POSTROUTING, KUBE_PROXY_FIREWALL, KUBE_SERVICES, serviceChain, servicePortName } from "./names.ts";
import { RestoreScript } from "./restore-script.ts";
import { commentWords, destinationWords, hostCIDR, hostPort, markWords, probability, PROTO, rejectWords } from "./rule-words.ts";

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

/** One ServicePort's chains and rules, computed whole before anything is added (a bad value throws first). */
function renderServicePort(sp: ServicePortState, nat: RestoreScript, filter: RestoreScript, family: ProxyState["family"]): void {
  const spn = servicePortName(sp);
  if (sp.endpoints.length === 0) {
    filter.append(KUBE_SERVICES, [...destinationWords(sp.clusterIP, sp.protocol, sp.port, `${spn} has no endpoints`), ...rejectWords(family)]);
    return;
  }
  const svc = serviceChain(sp);
  const proto = PROTO[sp.protocol];
  const dispatch = [...destinationWords(sp.clusterIP, sp.protocol, sp.port, `${spn} cluster IP`), "-j", svc];
  const n = sp.endpoints.length;
  const picks: string[][] = [];
  const seps: { chain: string; rules: string[][] }[] = [];
  sp.endpoints.forEach((ep, i) => {
    const sep = endpointChain(sp, ep);
    const target = hostPort(ep.ip, ep.port);
    const pick = i < n - 1 ? ["-m", "statistic", "--mode", "random", "--probability", probability(1 / (n - i))] : [];
    picks.push([...commentWords(`${spn} -> ${target}`), ...pick, "-j", sep]);
    seps.push({
      chain: sep,
      rules: [
        ["-s", hostCIDR(ep.ip), ...commentWords(spn), "-j", KUBE_MARK_MASQ],
        ["-p", proto, ...commentWords(spn), "-m", proto, "-j", "DNAT", "--to-destination", target],
      ],
    });
  });
  nat.chain(svc).append(KUBE_SERVICES, dispatch);
  for (const p of picks) nat.append(svc, p);
  for (const sep of seps) {
    nat.chain(sep.chain);
    for (const r of sep.rules) nat.append(sep.chain, r);
  }
}

function addJump(j: BuiltinJump, nat: RestoreScript, filter: RestoreScript): void {
  (j.table === "nat" ? nat : filter).insert(j.chain, j.words);
}

export function renderFullSync(state: ProxyState, existing: ExistingChains, opts: IptablesRenderOptions): IptablesRender {
  const nat = new RestoreScript("nat");
  const filter = new RestoreScript("filter");
  FIXED_NAT.forEach((c) => nat.chain(c));
  FIXED_FILTER.forEach((c) => filter.chain(c));
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
      renderServicePort(sp, nat, filter, state.family);
      endpoints += sp.endpoints.length;
    } catch (e) {
      // The model hands over parsed values only, so this is a bug; one bad ServicePort must not
      // take the others down, and nothing of it was added (renderServicePort computes first).
      skipped.push(`${sp.id}: ${(e as Error).message}`);
    }
  }
  for (const j of BUILTIN_JUMPS) if (!existing.jumps.has(j.key)) addJump(j, nat, filter);

  const wantNat = new Set(nat.declaredChains());
  for (const c of existing.nat) if (isPerServiceChain(c) && !wantNat.has(c)) nat.deleteChain(c);
  const wantFilter = new Set(filter.declaredChains());
  for (const c of existing.filter) if (isPerServiceChain(c) && !wantFilter.has(c)) filter.deleteChain(c);
  return { nat, filter, chains: { nat: wantNat, filter: wantFilter }, servicePorts: state.servicePorts.length, endpoints, skipped };
}
