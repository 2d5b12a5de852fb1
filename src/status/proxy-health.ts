/**
 * Upstream's proxy health, as pure data: a family is unhealthy when a sync was requested and has
 * not been applied within the health timeout (2 x sync-period). /healthz also wants this node
 * eligible: its Node object known, not being deleted, not tainted ToBeDeletedByClusterAutoscaler.
 */
import type { IPFamily } from "../lib/ip.ts";
import type { Node } from "../kube/schemas/node.ts";

export interface FamilyHealth {
  lastUpdated: number | null;
  /** When the oldest not-yet-applied sync request was made. */
  pendingSince: number | null;
}

export interface HealthState {
  families: Partial<Record<IPFamily, FamilyHealth>>;
  node: Node | null;
}

export const initialHealth = (): HealthState => ({ families: {}, node: null });

/** A sync was requested at `now` (the first pending request is the one that counts). */
export function queued(s: HealthState, family: IPFamily, now: number): HealthState {
  const f = s.families[family] ?? { lastUpdated: null, pendingSince: null };
  return { ...s, families: { ...s.families, [family]: { ...f, pendingSince: f.pendingSince ?? now } } };
}

/** A sync was applied at `now`: the family is up to date. */
export function updated(s: HealthState, family: IPFamily, now: number): HealthState {
  return { ...s, families: { ...s.families, [family]: { lastUpdated: now, pendingSince: null } } };
}

export function withNode(s: HealthState, node: Node | null): HealthState {
  return { ...s, node };
}

const TAINT_TO_BE_DELETED = "ToBeDeletedByClusterAutoscaler";

export function nodeEligible(node: Node | null): boolean {
  if (!node || node.metadata.deletionTimestamp) return false;
  return !(node.spec?.taints ?? []).some((t) => t.key === TAINT_TO_BE_DELETED);
}

const familyHealthy = (f: FamilyHealth, now: number, timeoutMs: number) => f.pendingSince === null || now - f.pendingSince < timeoutMs;

export interface HealthReport {
  status: 200 | 503;
  body: Record<string, unknown>;
}

const iso = (ms: number | null) => new Date(ms ?? 0).toISOString();

/** The /healthz (withNode = true) or /livez (false) answer, keys in upstream's order. */
export function healthReport(s: HealthState, now: number, timeoutMs: number, checkNode: boolean): HealthReport {
  const entries = Object.entries(s.families) as [IPFamily, FamilyHealth][];
  const healthy = entries.every(([, f]) => familyHealthy(f, now, timeoutMs));
  const eligible = nodeEligible(s.node);
  const ok = healthy && (!checkNode || eligible);
  const lastUpdated = entries.reduce<number | null>((m, [, f]) => (f.lastUpdated !== null && (m === null || f.lastUpdated > m) ? f.lastUpdated : m), null);
  const body: Record<string, unknown> = { lastUpdated: iso(ok ? now : lastUpdated), currentTime: iso(now) };
  if (checkNode) body.nodeEligible = eligible;
  body.healthy = healthy;
  if (entries.length > 0) {
    body.status = Object.fromEntries(entries.map(([fam, f]) => [fam, { lastUpdated: iso(f.lastUpdated), healthy: familyHealthy(f, now, timeoutMs) }]));
  }
  return { status: ok ? 200 : 503, body };
}
