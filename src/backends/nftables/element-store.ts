/**
 * The applied state of one table's per-Service part, kept in memory so that a sync never lists
 * the kernel: each Service's contributions, which of them own which element (element-claims.ts:
 * the lowest ServicePort id wins a key two claim), and which endpoint groups are in use.
 */
import { byContainer, isVerdict, type ElementObject } from "./objects.ts";
import { ClaimTable, elementId } from "./element-claims.ts";
import { endpointMapName, groupChainName, groupMaps, parseGroupName, type GroupId } from "./names.ts";
import { diffRuns, elementsOfRuns, type EndpointRun } from "./endpoint-runs.ts";
import type { ServicePortElements } from "./render-service.ts";

/** Everything of an element that, when it changes, needs a delete and an add. */
function elementText(e: ElementObject): string {
  const v = e.value === undefined ? "" : isVerdict(e.value) ? JSON.stringify(e.value) : `${e.value.addr} ${e.value.port}`;
  return `${elementId(e)} = ${v} # ${e.comment ?? ""}`;
}

/** One ServicePort's contribution as held, with its element ids (computed once: building them was an eighth of a full render). */
interface Held {
  c: ServicePortElements;
  ids: string[];
}

/** What changed in the store: element deletes and adds, and groups that came into or out of use. */
export interface StoreDiff {
  deletes: ElementObject[];
  adds: ElementObject[];
  groupsAdded: GroupId[];
  groupsRemoved: GroupId[];
}

/** The element store; plain data inside, no effects. */
export class ElementStore {
  /** service key -> the ServicePorts' contributions. */
  #byService = new Map<string, Held[]>();
  #claims = new ClaimTable();
  /** dispatch element -> the endpoint runs behind it (they enter the table with it). */
  #runsOf = new Map<ElementObject, EndpointRun[]>();
  /** group chain name -> group and how many ServicePorts use it. */
  #groups = new Map<string, { group: GroupId; uses: number }>();
  /** Services that have per-ServicePort chains or sets (only those with session affinity). */
  #withObjects = new Set<string>();
  /** counts() kept up to date by #replace: a partial sync must not walk every Service. */
  #servicePorts = 0;
  #endpoints = 0;

  /** Fills an empty store (a full sync): the same result as setServices, without computing a diff. */
  fill(entries: Iterable<[string, readonly ServicePortElements[]]>): void {
    for (const [key, contributions] of entries) this.#replace(key, contributions);
  }

  /**
   * Replaces the contributions of each given Service (empty = the Service is gone) and returns
   * the net change of the whole batch.
   */
  setServices(entries: Iterable<[string, readonly ServicePortElements[]]>): StoreDiff {
    const list = [...entries];
    const touched = new Set<string>();
    for (const [key, contributions] of list) {
      for (const h of this.#byService.get(key) ?? []) for (const id of h.ids) touched.add(id);
      for (const c of contributions) for (const e of c.elements) touched.add(elementId(e));
    }
    const before = new Map([...touched].map((id) => [id, this.#claims.effective(id)]));
    // Runs are looked up by their anchor, and replacing a contribution forgets its anchors' runs.
    const runsBefore = new Map([...before].map(([id, was]) => [id, was && this.#runsOf.get(was)]));
    const groupsBefore = new Set(this.#groups.keys());
    for (const [key, contributions] of list) this.#replace(key, contributions);

    const diff: StoreDiff = { deletes: [], adds: [], groupsAdded: [], groupsRemoved: [] };
    for (const [id, was] of before) {
      const now = this.#claims.effective(id);
      const [wasRuns, nowRuns] = [runsBefore.get(id), now && this.#runsOf.get(now)];
      if (was && now && elementText(was) === elementText(now)) {
        if (was !== now) diffRuns(wasRuns, nowRuns, diff.deletes, diff.adds);
        continue;
      }
      if (was) diff.deletes.push(was, ...elementsOfRuns(wasRuns));
      if (now) diff.adds.push(now, ...elementsOfRuns(nowRuns));
    }
    for (const [name, { group }] of this.#groups) if (!groupsBefore.has(name)) diff.groupsAdded.push(group);
    for (const name of groupsBefore) if (!this.#groups.has(name)) diff.groupsRemoved.push(parseGroupName(name));
    return diff;
  }

  /**
   * Adds Services the store does not hold yet (the cold-start batches) and returns the net
   * change, like setServices but without its before/after pass over every touched key: a key
   * nobody held is an add; only a key already held can change owner (then the old element is
   * deleted, unless it was itself added in this call).
   */
  append(entries: Iterable<[string, readonly ServicePortElements[]]>): StoreDiff {
    const diff: StoreDiff = { deletes: [], adds: [], groupsAdded: [], groupsRemoved: [] };
    const added = new Map<string, ElementObject>();
    const seenGroups = new Set<string>();
    for (const [key, contributions] of entries) {
      if (this.#byService.has(key)) throw new Error(`ElementStore.append: ${key} is held already`);
      for (const c of contributions) {
        for (const g of c.groups) {
          const name = groupChainName(g);
          if (!this.#groups.has(name) && !seenGroups.has(name)) (seenGroups.add(name), diff.groupsAdded.push(g));
        }
      }
      this.#replace(key, contributions, (id, claimedBefore, wasEffective) => {
        if (!claimedBefore) return void added.set(id, this.#claims.effective(id)!);
        const now = this.#claims.effective(id)!;
        if (now === wasEffective) return;
        if (!added.has(id) && wasEffective) diff.deletes.push(wasEffective, ...elementsOfRuns(this.#runsOf.get(wasEffective)));
        added.set(id, now);
      });
    }
    for (const e of added.values()) diff.adds.push(e, ...elementsOfRuns(this.#runsOf.get(e)));
    return diff;
  }

  #replace(key: string, contributions: readonly ServicePortElements[], onClaim?: (id: string, claimedBefore: boolean, wasEffective: ElementObject | undefined) => void): void {
    const old = this.#byService.get(key) ?? [];
    for (const { c, ids } of old) {
      for (const run of c.runs) this.#runsOf.delete(run.anchor);
      for (const id of ids) this.#claims.unclaim(id, c.owner);
      for (const g of c.groups) {
        const name = groupChainName(g);
        const entry = this.#groups.get(name);
        if (entry && --entry.uses === 0) this.#groups.delete(name);
      }
    }
    const held: Held[] = [];
    for (const c of contributions) {
      for (const run of c.runs) {
        const list = this.#runsOf.get(run.anchor);
        if (list) list.push(run);
        else this.#runsOf.set(run.anchor, [run]);
      }
      const ids = c.elements.map(elementId);
      held.push({ c, ids });
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i]!;
        if (!onClaim) {
          this.#claims.claim(id, c.owner, c.elements[i]!);
          continue;
        }
        const claimedBefore = this.#claims.has(id);
        const was = claimedBefore ? this.#claims.effective(id) : undefined;
        this.#claims.claim(id, c.owner, c.elements[i]!);
        onClaim(id, claimedBefore, was);
      }
      for (const g of c.groups) {
        const name = groupChainName(g);
        const entry = this.#groups.get(name);
        if (entry) entry.uses++;
        else this.#groups.set(name, { group: g, uses: 1 });
      }
    }
    for (const { c } of old) if (c.rendered) (this.#servicePorts--, (this.#endpoints -= c.endpoints));
    for (const c of contributions) if (c.rendered) (this.#servicePorts++, (this.#endpoints += c.endpoints));
    if (contributions.some((c) => c.chains.length > 0 || c.sets.length > 0)) this.#withObjects.add(key);
    else this.#withObjects.delete(key);
    if (contributions.length > 0) this.#byService.set(key, held);
    else this.#byService.delete(key);
  }

  /**
   * Every effective element, grouped by container (containers in order of first use), each in
   * the order the Services were filled: the same store contents give the same list. No sort of
   * every id (a tenth of a full sync's render at 10k Services).
   */
  elements(): ElementObject[] {
    const held: ElementObject[] = [];
    for (const list of this.#byService.values()) {
      for (const { c, ids } of list) {
        for (let i = 0; i < ids.length; i++) {
          const e = c.elements[i]!;
          // The element the key resolves to, once: a lower owner's (or a later duplicate) wins.
          if (this.#claims.contested && this.#claims.effective(ids[i]!) !== e) continue;
          held.push(e);
          const runs = this.#runsOf.get(e);
          if (runs) for (const r of elementsOfRuns(runs)) held.push(r);
        }
      }
    }
    return byContainer(held);
  }

  /** The groups in use, sorted by chain name. */
  groups(): GroupId[] {
    return [...this.#groups.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, g]) => g.group);
  }

  /** True when group `g`'s chain is in use. */
  usesGroup(g: GroupId): boolean {
    return this.#groups.has(groupChainName(g));
  }

  /** True when the endpoint map named `map` is in use by any group. */
  usesMap(map: string): boolean {
    for (const { group } of this.#groups.values()) if (groupMaps(group).some((m) => endpointMapName(m) === map)) return true;
    return false;
  }

  /** The current contributions of the Service `key` (empty when it has none). */
  contributionsOf(key: string): readonly ServicePortElements[] {
    return (this.#byService.get(key) ?? []).map((h) => h.c);
  }

  /** Every per-ServicePort chain and set name held now (for the transaction's view of the table). */
  serviceObjects(): { chains: string[]; sets: ServicePortElements["sets"] } {
    const chains: string[] = [];
    const sets: ServicePortElements["sets"] = [];
    // Only the Services known to have any: a partial sync calls this, and walking every Service cost milliseconds at 30k.
    for (const key of this.#withObjects) {
      for (const { c } of this.#byService.get(key)!) {
        for (const ch of c.chains) chains.push(ch.name);
        for (const set of c.sets) sets.push(set);
      }
    }
    return { chains, sets };
  }

  /** The ServicePort and endpoint counts, for stats. */
  counts(): { servicePorts: number; endpoints: number } {
    return { servicePorts: this.#servicePorts, endpoints: this.#endpoints };
  }
}
