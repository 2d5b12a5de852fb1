/**
 * What `/status` reports: the proxy's own account of itself, gathered as plain data from hooks
 * (the informers' connection, the proxier's syncs, objects skipped for bad input) and read by
 * the status app. Recording is cheap and does no I/O; `report(now)` builds the answer.
 */
import type { IPFamily } from "../lib/ip.ts";

/** One sync attempt of one family, as the proxier reports it. */
export interface SyncRecord {
  family: IPFamily;
  /** Unix ms when the sync finished. */
  at: number;
  durationMs: number;
  ok: boolean;
  /** Whole table rewritten (true), only changed services (false), unknown (null). */
  full: boolean | null;
  error: string | null;
  services: number;
  servicePorts: number;
  endpoints: number;
}

export type ApiConnectionState = "connecting" | "watching" | "polling" | "reconnecting";

export interface ApiConnection {
  mode: "watch" | "poll";
  state: ApiConnectionState;
  /** Unix ms since when `state` holds. */
  since: number;
  lastError: string | null;
}

export interface SkippedObject {
  kind: string;
  key: string;
  reason: string;
  since: number;
}

export interface StatusInfo {
  mode: string;
  version: string;
  runtime: string;
  node: string;
  startedAt: number;
}

/** The mutable collector behind /status and /readyz. */
export class StatusBoard {
  private readonly lastSync = new Map<IPFamily, SyncRecord>();
  private readonly lastSuccess = new Map<IPFamily, SyncRecord>();
  private readonly skippedObjects = new Map<string, SkippedObject>();
  private api: ApiConnection;

  constructor(
    readonly info: StatusInfo,
    apiMode: "watch" | "poll",
    /** The families the proxy programs: ready waits for each one's first sync (they sync side by side). */
    private readonly families: readonly IPFamily[] = ["IPv4"],
  ) {
    this.api = { mode: apiMode, state: "connecting", since: info.startedAt, lastError: null };
  }

  /** Ready (upstream has no /readyz; ours): every family's first sync has finished and one succeeded. */
  ready(): boolean {
    // Every family's first sync has finished (they run side by side), and one succeeded: a node
    // that cannot program one family (no IPv6 in its kernel) still becomes ready with the other.
    return this.lastSuccess.size > 0 && this.families.every((f) => this.lastSync.has(f));
  }

  recordSync(r: SyncRecord): void {
    this.lastSync.set(r.family, r);
    if (r.ok) this.lastSuccess.set(r.family, r);
  }

  /** The API server answered: the connection is up (watching or polling). */
  apiReachable(now: number): void {
    const state = this.api.mode === "poll" ? "polling" : "watching";
    if (this.api.state !== state) this.api = { ...this.api, state, since: now };
  }

  /** A request failed or a watch broke: reconnecting since the first failure in a row. */
  apiFailed(now: number, error: string): void {
    this.api = this.api.state === "reconnecting" ? { ...this.api, lastError: error } : { ...this.api, state: "reconnecting", since: now, lastError: error };
  }

  apiConnection(): ApiConnection {
    return this.api;
  }

  skipped(kind: string, key: string, reason: string, now: number): void {
    const id = `${kind} ${key}`;
    const prev = this.skippedObjects.get(id);
    this.skippedObjects.set(id, { kind, key, reason, since: prev?.reason === reason ? prev.since : now });
  }

  /** The object is good again or gone. */
  unskipped(kind: string, key: string): void {
    this.skippedObjects.delete(`${kind} ${key}`);
  }

  report(now: number): StatusReport {
    const iso = (ms: number) => new Date(ms).toISOString();
    const families = [...this.lastSync.keys()].sort();
    return {
      mode: this.info.mode,
      version: this.info.version,
      runtime: this.info.runtime,
      node: this.info.node,
      startedAt: iso(this.info.startedAt),
      currentTime: iso(now),
      ready: this.ready(),
      api: { mode: this.api.mode, state: this.api.state, since: iso(this.api.since), forSeconds: Math.max(0, Math.round((now - this.api.since) / 1000)), lastError: this.api.lastError },
      lastSync: Object.fromEntries(families.map((f) => {
        const r = this.lastSync.get(f)!;
        return [f, { time: iso(r.at), durationSeconds: r.durationMs / 1000, kind: r.full === null ? "unknown" : r.full ? "full" : "partial", result: r.ok ? "success" : "failure", error: r.error }];
      })),
      programmed: Object.fromEntries(families.filter((f) => this.lastSuccess.has(f)).map((f) => {
        const r = this.lastSuccess.get(f)!;
        return [f, { services: r.services, servicePorts: r.servicePorts, endpoints: r.endpoints, since: iso(r.at) }];
      })),
      skipped: [...this.skippedObjects.values()].sort((a, b) => (a.kind + a.key < b.kind + b.key ? -1 : 1)).map((s) => ({ ...s, since: iso(s.since) })),
    };
  }
}

export interface StatusReport {
  mode: string;
  version: string;
  runtime: string;
  node: string;
  startedAt: string;
  currentTime: string;
  ready: boolean;
  api: { mode: string; state: ApiConnectionState; since: string; forSeconds: number; lastError: string | null };
  lastSync: Record<string, { time: string; durationSeconds: number; kind: "full" | "partial" | "unknown"; result: "success" | "failure"; error: string | null }>;
  programmed: Record<string, { services: number; servicePorts: number; endpoints: number; since: string }>;
  skipped: { kind: string; key: string; reason: string; since: string }[];
}

/** The plain-text summary for a terminal (`curl .../status?format=text`). */
export function statusText(r: StatusReport): string {
  const lines = [
    `kube-proxy-bun ${r.version} (${r.runtime}), mode ${r.mode}, node ${r.node}, started ${r.startedAt}`,
    `ready:      ${r.ready ? "yes" : "no (no successful sync yet)"}`,
    `API server: ${r.api.state} (${r.api.mode} mode) since ${r.api.since}, ${r.api.forSeconds}s${r.api.lastError ? `; last error: ${r.api.lastError}` : ""}`,
  ];
  const families = Object.keys(r.lastSync);
  if (families.length === 0) lines.push("last sync:  none yet");
  for (const f of families) {
    const s = r.lastSync[f]!;
    lines.push(`last sync:  ${f} ${s.result} at ${s.time}, ${s.kind}, ${(s.durationSeconds * 1000).toFixed(1)} ms${s.error ? `: ${s.error}` : ""}`);
    const p = r.programmed[f];
    if (p) lines.push(`programmed: ${f} ${p.services} services, ${p.servicePorts} service ports, ${p.endpoints} endpoints`);
  }
  lines.push(`skipped:    ${r.skipped.length} object${r.skipped.length === 1 ? "" : "s"} with bad input`);
  for (const s of r.skipped) lines.push(`  ${s.kind} ${s.key} (since ${s.since}): ${s.reason}`);
  return lines.join("\n") + "\n";
}
