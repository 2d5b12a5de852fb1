/**
 * Turns a ProxyState into transactions: a full sync (the table replaced whole) or a partial one
 * (only the elements of changed Services, plus group chains that came into use), both from the
 * same per-ServicePort renderer and the same element store, so partial == full by construction
 * and by test. Pure: the backend applies what this returns and then commits it.
 */
import { serviceKeyOf, stateIndexOf, type ProxyState, type ServicePortState } from "../../model/proxy-state.ts";
import { ElementStore, type StoreDiff } from "./element-store.ts";
import { KUBE_PROXY_TABLE, KUBE_PROXY_TABLE_COMMENT, endpointMapName, groupChainName, groupMaps, type GroupId } from "./names.ts";
import { byContainer, type MapObject, type SetObject } from "./objects.ts";
import type { ServiceChain } from "./render-affinity.ts";
import type { RenderContext } from "./render-context.ts";
import { endpointMap, renderGroupChain } from "./render-groups.ts";
import { servicePortElements, type ServicePortElements, type SkippedItem } from "./render-service.ts";
import { renderSkeleton, skeletonChains, skeletonContainers } from "./render-skeleton.ts";
import { Transaction } from "./transaction.ts";

/** The group chains and maps the kernel holds besides the skeleton (the backend's memory of the table). */
export interface PresentGroups {
  chains: Set<string>;
  maps: Map<string, MapObject>;
}

/** A rendered sync: the transaction, the store it leads to, and what the backend must remember. */
export interface SyncRender {
  tx: Transaction;
  store: ElementStore;
  present: PresentGroups;
  /** Groups no longer used: their chains and maps go in a later transaction. */
  unused: GroupId[];
  skipped: SkippedItem[];
}

/** The ServicePorts by Service key, Services in the order of their first ServicePort. */
export function byService(ports: readonly ServicePortState[]): Map<string, ServicePortState[]> {
  const out = new Map<string, ServicePortState[]>();
  for (const sp of ports) {
    const key = serviceKeyOf(sp);
    const list = out.get(key);
    if (list) list.push(sp);
    else out.set(key, [sp]);
  }
  return out;
}

/** Each Service's contributions (one per ServicePort), and the values rendering them skipped. */
function contributionsOf(services: Iterable<[string, readonly ServicePortState[]]>, ctx: RenderContext): { entries: [string, ServicePortElements[]][]; skipped: SkippedItem[] } {
  const skipped: SkippedItem[] = [];
  const entries: [string, ServicePortElements[]][] = [];
  for (const [key, sps] of services) {
    const contributions = sps.map((sp) => servicePortElements(sp, ctx));
    for (const c of contributions) skipped.push(...c.skipped);
    entries.push([key, contributions]);
  }
  return { entries, skipped };
}

/**
 * `groups` (in the order the ServicePorts use them) each under its chain name once, the first
 * seen, sorted by chain name: what the element store's groups() says after a fill (print-full.ts
 * has no store).
 */
export function distinctGroups(groups: Iterable<GroupId>): GroupId[] {
  const byName = new Map<string, GroupId>();
  for (const g of groups) if (!byName.has(groupChainName(g))) byName.set(groupChainName(g), g);
  return [...byName.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, g]) => g);
}

/**
 * A full sync's transaction up to its elements: the table replaced, the skeleton, `groups`
 * (distinct, in chain-name order) and the per-ServicePort objects (only ServicePorts with
 * session affinity have any). Its last operation is never an element: print-full.ts relies on
 * that, the elements print as statements of their own.
 */
export function renderFullHead(ctx: RenderContext, groups: readonly GroupId[], contributions: readonly ServicePortElements[]): { tx: Transaction; present: PresentGroups } {
  const tx = new Transaction({ family: ctx.family, table: KUBE_PROXY_TABLE });
  // `add` first makes the `delete` valid whether or not the table exists; packets see the old
  // table or the new one, never none, and removed services' objects vanish with the old table.
  tx.add({ kind: "table" });
  tx.delete({ kind: "table" });
  tx.add({ kind: "table", comment: KUBE_PROXY_TABLE_COMMENT });
  renderSkeleton(tx, ctx);
  const present: PresentGroups = { chains: new Set(), maps: new Map() };
  for (const g of groups) addGroup(tx, g, ctx, present);
  applyServiceObjects(tx, [], contributions);
  return { tx, present };
}

/** Renders every ServicePort of `state` as a table that replaces the old one atomically. Pure. */
export function renderFull(state: ProxyState, ctx: RenderContext): SyncRender {
  const store = new ElementStore();
  const { entries, skipped } = contributionsOf(byService(state.servicePorts), ctx);
  store.fill(entries);
  const { tx, present } = renderFullHead(ctx, store.groups(), entries.flatMap(([, cs]) => cs));
  for (const e of store.elements()) tx.add(e);
  return { tx, store, present, unused: [], skipped };
}

function objectsOf(contributions: readonly ServicePortElements[]): { sets: Map<string, SetObject>; chains: Map<string, ServiceChain> } {
  const sets = new Map<string, SetObject>();
  const chains = new Map<string, ServiceChain>();
  for (const c of contributions) {
    for (const s of c.sets) sets.set(s.name, s);
    for (const ch of c.chains) chains.set(ch.name, ch);
  }
  return { sets, chains };
}

const rulesText = (c: ServiceChain) => JSON.stringify(c.rules);

/**
 * Adds the per-ServicePort sets and chains that are new, rewrites the chains whose rules
 * changed (flush, then add), all before elements refer to them. Returns what to delete once
 * the elements that point at it are gone.
 */
function applyServiceObjects(tx: Transaction, before: readonly ServicePortElements[], after: readonly ServicePortElements[]): { chains: string[]; sets: SetObject[] } {
  const old = objectsOf(before);
  const now = objectsOf(after);
  for (const [name, set] of now.sets) if (!old.sets.has(name)) tx.add(set);
  for (const name of now.chains.keys()) if (!old.chains.has(name)) tx.add({ kind: "chain", name });
  for (const [name, chain] of now.chains) {
    const was = old.chains.get(name);
    if (was && rulesText(was) === rulesText(chain)) continue;
    if (was) tx.flush({ kind: "chain", name });
    for (const fragments of chain.rules) tx.add({ kind: "rule", chain: name, fragments });
  }
  // Chains that point at others go first: external- before service-/local- before endpoint-.
  const rank = (n: string) => (n.startsWith("external-") ? 0 : n.startsWith("endpoint-") ? 2 : 1);
  const chains = [...old.chains.keys()].filter((n) => !now.chains.has(n)).sort((a, b) => rank(a) - rank(b));
  return { chains, sets: [...old.sets.values()].filter((s) => !now.sets.has(s.name)) };
}

/** `present` and the groups that come into use (their maps and chains added to `tx`), as a new PresentGroups. */
function withGroups(tx: Transaction, added: readonly GroupId[], ctx: RenderContext, present: PresentGroups): PresentGroups {
  const next: PresentGroups = { chains: new Set(present.chains), maps: new Map(present.maps) };
  for (const g of added) addGroup(tx, g, ctx, next);
  return next;
}

/**
 * A store diff's elements: deletes before adds (an element whose value changes is deleted and
 * added again), each grouped by container: the script prints a run of one container's elements
 * as one statement, and one statement per element is several times slower for nft
 * (performance.md section 9).
 */
function applyElementDiff(tx: Transaction, diff: StoreDiff): void {
  for (const e of byContainer(diff.deletes)) tx.delete(e);
  for (const e of byContainer(diff.adds)) tx.add(e);
}

function addGroup(tx: Transaction, g: GroupId, ctx: RenderContext, present: PresentGroups): void {
  for (const m of groupMaps(g)) {
    const name = endpointMapName(m);
    if (present.maps.has(name)) continue;
    const obj = endpointMap(m);
    tx.add(obj);
    present.maps.set(name, obj);
  }
  const chain = groupChainName(g);
  if (!present.chains.has(chain)) {
    renderGroupChain(tx, g, ctx);
    present.chains.add(chain);
  }
}

/** A transaction on the table as the last syncs left it: skeleton, present groups, per-Service objects. */
function transactionOnLoadedTable(ctx: RenderContext, store: ElementStore, present: PresentGroups): Transaction {
  const { sets, maps } = skeletonContainers();
  const own = store.serviceObjects();
  return new Transaction({
    family: ctx.family,
    table: KUBE_PROXY_TABLE,
    existing: { chains: [...skeletonChains(), ...present.chains, ...own.chains], sets: [...sets, ...own.sets], maps: [...maps, ...present.maps.values()] },
  });
}

/**
 * Renders only the Services in `changed` against `store` (which is updated in place: on a
 * failed apply the caller must throw it away and do a full sync). Pure apart from that.
 */
export function renderPartial(state: ProxyState, ctx: RenderContext, changed: ReadonlySet<string>, store: ElementStore, present: PresentGroups): SyncRender {
  const tx = transactionOnLoadedTable(ctx, store, present);
  // Only the changed Services' ports are needed, looked up in the state's index (grouping or
  // walking all of them cost O(cluster) per sync: 10 ms at 30k Services).
  const index = stateIndexOf(state);
  const keys = [...changed].sort();
  const before = keys.flatMap((key) => store.contributionsOf(key));
  const { entries, skipped } = contributionsOf(keys.map((key) => [key, index.portsOf(key)]), ctx);
  const diff = store.setServices(entries);
  const next = withGroups(tx, diff.groupsAdded, ctx, present);
  const stale = applyServiceObjects(tx, before, entries.flatMap(([, cs]) => cs));
  applyElementDiff(tx, diff);
  // Per-ServicePort objects of affinity go at once (upstream deletes affinity sets at once too);
  // nothing points at them any more once the elements above are gone.
  for (const name of stale.chains) tx.delete({ kind: "chain", name });
  for (const set of stale.sets) tx.delete(set);
  return { tx, store, present: next, unused: diff.groupsRemoved, skipped };
}

/**
 * Renders Services the table does not hold yet onto it (a cold-start batch after the first):
 * their elements as adds, the groups that come into use, their per-ServicePort objects. Cheaper
 * than renderPartial for many new Services (no before/after pass over their keys). `store` is
 * updated in place, as in renderPartial.
 */
export function renderAppend(ports: readonly ServicePortState[], ctx: RenderContext, store: ElementStore, present: PresentGroups): SyncRender {
  const tx = transactionOnLoadedTable(ctx, store, present);
  const { entries, skipped } = contributionsOf(byService(ports), ctx);
  const diff = store.append(entries);
  const next = withGroups(tx, diff.groupsAdded, ctx, present);
  applyServiceObjects(tx, [], entries.flatMap(([, cs]) => cs));
  // A key an earlier batch's Service holds can pass to a lower ServicePort id of this one.
  applyElementDiff(tx, diff);
  return { tx, store, present: next, unused: [], skipped };
}

/**
 * The separate, later transaction that deletes group chains and maps nothing uses any more
 * (`candidates` were unused after an earlier sync; `store` says whether they still are).
 * Returns null when there is nothing to delete.
 */
export function renderStaleCleanup(ctx: RenderContext, candidates: readonly GroupId[], store: ElementStore, present: PresentGroups): { tx: Transaction; present: PresentGroups } | null {
  const chains = [...new Set(candidates.filter((g) => !store.usesGroup(g) && present.chains.has(groupChainName(g))).map(groupChainName))];
  const candidateMaps = candidates.flatMap((g) => groupMaps(g).map(endpointMapName));
  const mapNames = [...new Set(candidateMaps.filter((m) => !store.usesMap(m) && present.maps.has(m)))];
  if (chains.length === 0 && mapNames.length === 0) return null;
  const tx = transactionOnLoadedTable(ctx, store, present);
  const next: PresentGroups = { chains: new Set(present.chains), maps: new Map(present.maps) };
  // A chain first: its DNAT rule is what refers to the map.
  for (const c of chains) {
    tx.delete({ kind: "chain", name: c });
    next.chains.delete(c);
  }
  for (const m of mapNames) {
    tx.delete(next.maps.get(m)!);
    next.maps.delete(m);
  }
  return { tx, present: next };
}
