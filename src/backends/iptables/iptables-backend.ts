/**
 * The iptables backend: renders a ProxyState as restore text and applies it with one
 * `iptables-restore --noflush` per sync (nat and filter blocks, each committed atomically).
 * What exists in the kernel is read once (at the first sync and after a failure) from
 * iptables-save, then tracked in memory, so a sync never has to list the kernel.
 */
import { BackendError, type Backend, type SyncStats } from "../backend.ts";
import type { Runner } from "../../lib/exec.ts";
import type { IPFamily } from "../../lib/ip.ts";
import type { Logger } from "../../lib/log.ts";
import type { ProxyState } from "../../model/proxy-state.ts";
import { BUILTIN_JUMPS, FIREWALL_JUMPS } from "./builtin-jumps.ts";
import { createIptablesClient, toolName, type IptablesClient, type IptablesVariant } from "./client.ts";
import { detectIptablesVariant } from "./detect-variant.ts";
import { isPerServiceChain, KUBE_EXTERNAL_SERVICES, KUBE_FORWARD, KUBE_PROXY_CANARY, KUBE_MARK_MASQ, KUBE_NODEPORTS, KUBE_POSTROUTING, KUBE_PROXY_FIREWALL, KUBE_SERVICES } from "./names.ts";
import { renderSync, type ExistingChains } from "./render-sync.ts";
import { RestoreScript } from "./restore-script.ts";
import { parseSave, type SaveModel } from "./save-format.ts";

export interface IptablesBackendOptions {
  runner: Runner;
  family: IPFamily;
  masqueradeBit?: number;
  log?: Logger;
  /** Clock for the hourly full sync; Date.now by default. */
  now?: () => number;
  /** Which iptables to drive; "auto" (default) detects the one the node uses at the first sync. */
  variant?: IptablesVariant | "auto";
  /** IPv4 NodePorts on 127.0.0.0/8 too: sets net.ipv4.conf.all.route_localnet=1 and ensures KUBE-FIREWALL. */
  localhostNodePorts?: boolean;
  /** Drop conntrack-INVALID forwarded packets (default true; false when nf_conntrack_tcp_be_liberal is set). */
  dropInvalid?: boolean;
  /** Told about every restore, for upstream's iptables metrics. */
  onRestore?: (r: RestoreReport) => void;
  /** Told how long a restore waited for the xtables lock. */
  onLockWait?: (ms: number) => void;
}

/** One restore's outcome, as upstream's iptables metrics count it. */
export interface RestoreReport {
  family: IPFamily;
  ok: boolean;
  full: boolean;
  written: { nat: number; filter: number };
  total: { nat: number; filter: number };
}

/** Upstream rewrites everything at least hourly, repairing anything a partial sync could not see. */
const FULL_SYNC_INTERVAL_MS = 3_600_000;

/** Ours to delete on cleanup. kubelet's KUBE-FIREWALL (and its jumps) stay, as upstream leaves them. */
const OWNED_FIXED = new Set([KUBE_PROXY_CANARY, KUBE_SERVICES, KUBE_EXTERNAL_SERVICES, KUBE_FORWARD, KUBE_NODEPORTS, KUBE_POSTROUTING, KUBE_MARK_MASQ, KUBE_PROXY_FIREWALL]);

/** What the kernel holds of ours, read from a dump. */
export function existingFrom(dump: SaveModel): ExistingChains {
  const chains = (t: string) => new Set(dump.get(t)?.chains.keys() ?? []);
  const jumps = new Set<string>();
  for (const j of [...BUILTIN_JUMPS, ...FIREWALL_JUMPS]) {
    if (dump.get(j.table)?.chains.get(j.chain)?.rules.includes(j.words.join(" "))) jumps.add(j.key);
  }
  return { nat: chains("nat"), filter: chains("filter"), jumps, owned: new Map() };
}

export function createIptablesBackend(opts: IptablesBackendOptions): Backend {
  let chosen: IptablesClient | null = null;
  /** The whole dump the detection just read: the rules its caller reads next (one process less per family at start-up). */
  let detectedDump: string | null = null;
  /** The client for the node's iptables variant, decided once (at the first sync or cleanup). */
  const clientFor = async (): Promise<IptablesClient> => {
    if (chosen) return chosen;
    const { variant, dump } = opts.variant === undefined || opts.variant === "auto" ? await detectIptablesVariant(opts.runner, opts.family) : { variant: opts.variant, dump: null };
    detectedDump = dump;
    chosen = createIptablesClient(opts.runner, opts.family, { onLockWait: opts.onLockWait }, variant);
    opts.log?.info("Using iptables", { family: opts.family, variant: await chosen.variant().catch(() => "unknown"), tool: `${toolName(opts.family, variant)}-restore` });
    return chosen;
  };
  /** The node's rules now: the detection's dump once, right after it, else a new `-save`. */
  const readDump = async (client: IptablesClient): Promise<string> => {
    const dump = detectedDump ?? (await client.save());
    detectedDump = null;
    return dump;
  };
  const masqueradeBit = opts.masqueradeBit ?? 14;
  const now = opts.now ?? Date.now;
  const localhost = opts.family === "IPv4" && opts.localhostNodePorts === true;
  /** Packets to 127.0.0.0/8 may be DNATed elsewhere only with route_localnet (upstream sets it too). */
  const enableRouteLocalnet = async () => {
    const r = await opts.runner(["sysctl", "-w", "net.ipv4.conf.all.route_localnet=1"]).catch((e: Error) => ({ exitCode: -1, stderr: e.message }));
    if (r.exitCode !== 0) opts.log?.warn("Cannot set net.ipv4.conf.all.route_localnet=1; NodePorts on 127.0.0.1 will not work", { err: r.stderr.trim() });
  };
  let existing: ExistingChains | null = null;
  /** Node-wide facts of the last applied sync: when they change, every Service's rules may change. */
  let appliedNode = "";
  let lastFullAt = -Infinity;
  return {
    mode: "iptables",
    async sync(state: ProxyState, changed?: ReadonlySet<string> | null): Promise<SyncStats> {
      if (state.family !== opts.family) throw new BackendError("apply", `iptables backend for ${opts.family} got a ${state.family} state`);
      const client = await clientFor();
      if (existing === null) {
        existing = existingFrom(parseSave(await readDump(client)));
        if (localhost) await enableRouteLocalnet();
      }
      const node = JSON.stringify(state.node ?? null);
      const full = changed == null || existing.owned.size === 0 || node !== appliedNode || now() - lastFullAt >= FULL_SYNC_INTERVAL_MS;
      const render = renderSync(state, existing, { masqueradeBit, localhostNodePorts: localhost, dropInvalid: opts.dropInvalid }, full ? null : changed);
      for (const s of render.skipped) opts.log?.warn("ServicePort left out of the rules", { reason: s });
      // The canary in mangle (nat and filter have theirs among the fixed chains): if someone flushes
      // our tables, the watchdog finds it gone and the next sync is full, as upstream's monitor does.
      const text = new RestoreScript("mangle").chain(KUBE_PROXY_CANARY).text() + render.filter.text() + render.nat.text();
      try {
        // First, so that the main restore's jumps find the chain (render-sync.ts says why apart).
        if (render.firewall) await client.restore(render.firewall.text());
        await client.restore(text);
      } catch (e) {
        existing = null; // the kernel's state is unknown now: read it again, and sync in full
        opts.onRestore?.({ family: opts.family, ok: false, full, written: render.rules.written, total: render.rules.total });
        throw e;
      }
      opts.onRestore?.({ family: opts.family, ok: true, full, written: render.rules.written, total: render.rules.total });
      existing = render.after;
      appliedNode = node;
      if (full) lastFullAt = now();
      return { servicePorts: render.servicePorts, endpoints: render.endpoints, scriptBytes: text.length, full };
    },
    async watchdog(): Promise<boolean> {
      if (existing === null || chosen === null) return false;
      const mangle = parseSave(await chosen.save("mangle")).get("mangle");
      if (mangle?.chains.has(KUBE_PROXY_CANARY)) return false;
      opts.log?.warn("The iptables canary chain is gone: our rules were flushed by someone else; the next sync is a full one", { family: opts.family });
      existing = null;
      return true;
    },
    async cleanup(): Promise<void> {
      const client = await clientFor();
      const dump = parseSave(await readDump(client));
      const have = existingFrom(dump);
      const scripts = { nat: new RestoreScript("nat"), filter: new RestoreScript("filter"), mangle: new RestoreScript("mangle") };
      if (dump.get("mangle")?.chains.has(KUBE_PROXY_CANARY)) scripts.mangle.deleteChain(KUBE_PROXY_CANARY);
      for (const j of BUILTIN_JUMPS) if (have.jumps.has(j.key)) scripts[j.table].delete(j.chain, j.words);
      for (const table of ["nat", "filter"] as const) {
        for (const c of table === "nat" ? have.nat : have.filter) {
          if (OWNED_FIXED.has(c) || isPerServiceChain(c)) scripts[table].deleteChain(c);
        }
      }
      const text = [scripts.mangle, scripts.filter, scripts.nat].filter((s) => !s.isEmpty()).map((s) => s.text()).join("");
      if (text) await client.restore(text);
      existing = null;
    },
  };
}
