/**
 * Renders a ProxyState as iptables-restore input, in upstream's layout
 * (upstream.md section 1.3): the fixed chains (KUBE-MARK-MASQ / KUBE-POSTROUTING masquerading,
 * KUBE-FORWARD, the NodePort dispatch last in KUBE-SERVICES), every ServicePort's rules
 * (render-service-port.ts) and the jumps from built-in chains where missing. A full sync
 * re-declares (so flushes and rewrites) every owned chain and deletes every per-service chain
 * the kernel has that is no longer wanted. A partial sync rewrites the fixed chains (they hold
 * every Service's dispatch rules, as upstream's do) but only the per-service chains of the
 * changed Services, deleting the ones those Services no longer need; the other Services' chains
 * are left as they are. Pure.
 */
import { parseCIDR } from "../../lib/cidr.ts";
import { DEFAULT_NODE_FACTS, serviceKeyOf, type ProxyState } from "../../model/proxy-state.ts";
import { planServicePort } from "./render-service-port.ts";
import { word } from "./tokens.ts";
import { BUILTIN_JUMPS, FIREWALL_JUMPS, type BuiltinJump } from "./builtin-jumps.ts";
import { isPerServiceChain, KUBE_EXTERNAL_SERVICES, KUBE_FIREWALL, KUBE_PROXY_CANARY, KUBE_FORWARD, KUBE_MARK_MASQ, KUBE_NODEPORTS, KUBE_POSTROUTING, KUBE_PROXY_FIREWALL, KUBE_SERVICES } from "./names.ts";
import { RestoreScript } from "./restore-script.ts";
import { commentWords, markWords } from "./rule-words.ts";

export interface IptablesRenderOptions {
  masqueradeBit: number;
  /** IPv4 NodePorts also answer on 127.0.0.0/8 (upstream's --iptables-localhost-nodeports). */
  localhostNodePorts?: boolean;
  /** Drop conntrack-INVALID packets in KUBE-FORWARD (default); upstream skips it with nf_conntrack_tcp_be_liberal. */
  dropInvalid?: boolean;
}

/** What the kernel has now, as far as the render needs to know. */
export interface ExistingChains {
  nat: ReadonlySet<string>;
  filter: ReadonlySet<string>;
  /** Jump rules already present in built-in chains (by `BuiltinJump.key`). */
  jumps: ReadonlySet<string>;
  /** The per-service nat chains of each Service (`namespace/name`), as last applied; empty after reading a dump. */
  owned: ReadonlyMap<string, ReadonlySet<string>>;
}

export interface IptablesRender {
  nat: RestoreScript;
  filter: RestoreScript;
  /**
   * kubelet's KUBE-FIREWALL chain and rule (localhost NodePorts), for a restore of its own before
   * the main one; null when it is in place and the sync is partial. In the same input as the
   * Services' rules, iptables-nft-restore 1.8.9 took 0.6 s longer over 1k Services x 10
   * endpoints (5.3 s against 4.7 s) for this one rule; on its own it takes 4 ms.
   */
  firewall: RestoreScript | null;
  /** What exists once this render is applied. */
  after: ExistingChains;
  /** False for a partial sync. */
  full: boolean;
  servicePorts: number;
  endpoints: number;
  /** ServicePorts left out, with why. */
  skipped: string[];
  /** Rules per table: written by this restore, and owned in all once it is applied (upstream's iptables_last / iptables_total). */
  rules: { written: { nat: number; filter: number }; total: { nat: number; filter: number } };
}

const FIXED_NAT = [KUBE_SERVICES, KUBE_NODEPORTS, KUBE_POSTROUTING, KUBE_MARK_MASQ, KUBE_PROXY_CANARY];
const FIXED_FILTER = [KUBE_SERVICES, KUBE_EXTERNAL_SERVICES, KUBE_FORWARD, KUBE_NODEPORTS, KUBE_PROXY_FIREWALL, KUBE_PROXY_CANARY];

function addJump(j: BuiltinJump, nat: RestoreScript, filter: RestoreScript): void {
  (j.table === "nat" ? nat : filter).insert(j.chain, j.words);
}

/**
 * Renders a sync. `changed` (Service keys) makes it partial; null makes it full. The caller
 * decides when a partial sync is allowed (the kernel's state known, node-wide facts unchanged).
 */
export function renderSync(state: ProxyState, existing: ExistingChains, opts: IptablesRenderOptions, changed: ReadonlySet<string> | null = null): IptablesRender {
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
  if (opts.dropInvalid !== false) filter.append(KUBE_FORWARD, ["-m", "conntrack", "--ctstate", "INVALID", "-j", "DROP"]);
  filter.append(KUBE_FORWARD, [...commentWords("kubernetes forwarding rules"), "-m", "mark", "--mark", mark, "-j", "ACCEPT"])
    .append(KUBE_FORWARD, [...commentWords("kubernetes forwarding conntrack rule"), "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"]);

  let endpoints = 0;
  const skipped: string[] = [];
  const owned = new Map<string, Set<string>>();
  /** Rules of unchanged Services' own chains, left in place by a partial sync. */
  const kept = { nat: 0, filter: 0 };
  const fixed = new Set([...FIXED_NAT.map((c) => `nat ${c}`), ...FIXED_FILTER.map((c) => `filter ${c}`)]);
  for (const sp of state.servicePorts) {
    const key = serviceKeyOf(sp);
    const rewrite = changed === null || changed.has(key);
    try {
      const plan = planServicePort(sp, state.family, node);
      const mine = owned.get(key) ?? new Set<string>();
      owned.set(key, mine);
      for (const c of plan.chains) {
        mine.add(c);
        if (rewrite) nat.chain(c);
      }
      // An unchanged Service's own chains are not re-declared, so they keep their rules; only its
      // lines in the fixed chains (which every sync flushes) are written again.
      for (const r of plan.rules) {
        if (rewrite || fixed.has(`${r.table} ${r.chain}`)) (r.table === "nat" ? nat : filter).append(r.chain, r.words);
        else kept[r.table]++;
      }
      endpoints += sp.endpoints.length;
    } catch (e) {
      // The model hands over parsed values only, so this is a bug; one bad ServicePort must not
      // take the others down, and nothing of it was added (renderServicePort computes first).
      skipped.push(`${sp.id}: ${(e as Error).message}`);
    }
  }
  // NodePorts last in KUBE-SERVICES: on every local address, or on the addresses --nodeport-addresses selects.
  const nodePortsComment = commentWords("kubernetes service nodeports; NOTE: this must be the last rule in this chain");
  const localhost = state.family === "IPv4" && opts.localhostNodePorts === true;
  if (node.nodePorts.matchAll) {
    const notLoopback = localhost ? [] : ["!", "-d", state.family === "IPv4" ? "127.0.0.0/8" : "::1/128"];
    nat.append(KUBE_SERVICES, [...notLoopback, ...nodePortsComment, "-m", "addrtype", "--dst-type", "LOCAL", "-j", KUBE_NODEPORTS]);
  } else {
    if (localhost) nat.append(KUBE_SERVICES, ["-d", "127.0.0.0/8", ...nodePortsComment, "-j", KUBE_NODEPORTS]);
    for (const cidr of node.nodePorts.cidrs) nat.append(KUBE_SERVICES, ["-d", word(parseCIDR(cidr)!.text), ...nodePortsComment, "-j", KUBE_NODEPORTS]);
  }
  let firewall: RestoreScript | null = null;
  if (localhost) {
    // kubelet's chain, which kube-proxy also ensures: nothing from outside may reach 127.0.0.0/8
    // now that route_localnet lets such packets be routed, except replies and our own DNATs.
    if (changed === null || !existing.filter.has(KUBE_FIREWALL)) firewall = new RestoreScript("filter").chain(KUBE_FIREWALL).append(KUBE_FIREWALL, ["!", "-s", "127.0.0.0/8", "-d", "127.0.0.0/8", ...commentWords("block incoming localnet connections"), "-m", "conntrack", "!", "--ctstate", "RELATED,ESTABLISHED,DNAT", "-j", "DROP"]);
    else kept.filter += 1; // its one rule stays as it was
    for (const j of FIREWALL_JUMPS) if (!existing.jumps.has(j.key)) addJump(j, nat, filter);
  }
  for (const j of BUILTIN_JUMPS) if (!existing.jumps.has(j.key)) addJump(j, nat, filter);

  const wantNat = new Set([...FIXED_NAT, ...[...owned.values()].flatMap((s) => [...s])]);
  const wantFilter = new Set([...FIXED_FILTER, ...(localhost ? [KUBE_FIREWALL] : [])]);
  if (changed === null) {
    for (const c of existing.nat) if (isPerServiceChain(c) && !wantNat.has(c)) nat.deleteChain(c);
    for (const c of existing.filter) if (isPerServiceChain(c) && !wantFilter.has(c)) filter.deleteChain(c);
  } else {
    for (const key of changed) for (const c of existing.owned.get(key) ?? []) if (!wantNat.has(c)) nat.deleteChain(c);
  }
  const after: ExistingChains = { nat: wantNat, filter: wantFilter, jumps: new Set([...BUILTIN_JUMPS, ...(localhost ? FIREWALL_JUMPS : [])].map((j) => j.key)), owned };
  const written = { nat: nat.appendedRules(), filter: filter.appendedRules() + (firewall?.appendedRules() ?? 0) };
  const rules = { written, total: { nat: written.nat + kept.nat, filter: written.filter + kept.filter } };
  return { nat, filter, firewall, after, full: changed === null, servicePorts: state.servicePorts.length, endpoints, skipped, rules };
}
