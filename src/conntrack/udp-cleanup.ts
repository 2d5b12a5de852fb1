/**
 * Deletes stale UDP conntrack flows after a sync (see stale-flows.ts): one `conntrack -L` of the
 * UDP table, then one `conntrack -D` per (service address, port, stale reply source). Runs
 * through the Runner seam, so it acts in whatever namespace the proxy's rules live in.
 */
import type { Runner } from "../lib/exec.ts";
import type { IPFamily } from "../lib/ip.ts";
import type { ProxyState } from "../model/proxy-state.ts";
import { parseFlows } from "./flow.ts";
import { staleUdpFlows } from "./stale-flows.ts";

export interface UdpCleanupResult {
  /** Flows deleted. */
  deleted: number;
  /** Flows deleted per Service (`namespace/name`), for the log. */
  byService?: Record<string, number>;
}

const familyArg = (f: IPFamily) => (f === "IPv4" ? "ipv4" : "ipv6");

/** Lists and deletes; throws an Error naming the conntrack command and its stderr when one fails. */
export async function cleanStaleUdpFlows(runner: Runner, state: ProxyState): Promise<UdpCleanupResult> {
  if (!state.servicePorts.some((sp) => sp.protocol === "UDP")) return { deleted: 0 };
  const listed = await runner(["conntrack", "-L", "-f", familyArg(state.family), "-p", "udp"]);
  if (listed.exitCode !== 0) throw new Error(`conntrack -L failed: ${listed.stderr.trim()}`);
  let deleted = 0;
  const byService: Record<string, number> = {};
  for (const f of staleUdpFlows(state, parseFlows(listed.stdout))) {
    const dst = f.dst === null ? [] : ["--orig-dst", f.dst];
    const r = await runner(["conntrack", "-D", "-f", familyArg(state.family), "-p", "udp", ...dst, "--orig-port-dst", String(f.dport), "--reply-src", f.replySrc]);
    // conntrack exits 1 when the flows are already gone: not an error here.
    const n = Number(/(\d+) flow entries have been deleted/.exec(r.stderr)?.[1] ?? 0);
    if (r.exitCode !== 0 && n === 0 && !/0 flow entries/.test(r.stderr)) throw new Error(`conntrack -D failed: ${r.stderr.trim()}`);
    deleted += n;
    if (n > 0) byService[f.service] = (byService[f.service] ?? 0) + n;
  }
  return { deleted, byService };
}
