/**
 * The applied state of one table's per-Service part, kept in memory so that a sync never lists
 * the kernel: which ServicePort owns which element, and which endpoint groups are in use. A key
 * claimed by two ServicePorts (two Services with the same address, protocol and port) goes to
 * the lowest ServicePort id, in full and partial syncs alike, so both always agree.
 */
import { isVerdict, partText, type ElementObject } from "./objects.ts";
import { endpointMapName, groupChainName, groupMaps, parseGroupName, type GroupId } from "./names.ts";
import { diffRuns, elementsOfRuns, type EndpointRun } from "./endpoint-runs.ts";
import type { ServicePortElements } from "./render-service.ts";

/** Identity of an element: its container and key. */
export function elementId(e: ElementObject): string {
  // Each container has one key type, so the parts' printed values identify the key.
  let id = e.container;
  for (const p of e.key) id += ` ${partText(p)}`;
  return id;
}

/**
 * The ServicePorts that claim one element id. Nearly every key has one claimant, so that case
 * is one small object instead of a Map per element (the Maps were most of the store's memory
 * and a sixth of a full sync's render at 10k Services, bun run bench B1/B4).
 */
interface Claims {
  owner: string;
  element: ElementObject;
  /** Further claimants, owner -> element; absent while there is one. */
  more?: Map<string, ElementObject>;
}

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
  /** element id -> its claimants (owner = ServicePort id). */
  #owners = new Map<string, Claims>();
  /** dispatch element -> the endpoint runs behind it (they enter the table with it). */
  #runsOf = new Map<ElementObject, EndpointRun[]>();
  /** group chain name -> group and how many ServicePorts use it. */
  #groups = new Map<string, { group: GroupId; uses: number }>();
  /** Services that have per-ServicePort chains or sets (only those with session affinity). */
  #withObjects = new Set<string>();
  /** counts() kept up to date by #replace: a partial sync must not walk every Service. */
  #servicePorts = 0;
  #endpoints = 0;
  /**
   * Set (for good) once a key was claimed twice; until then every held element is the one its
   * key resolves to, and elements() skips the lookup per element (a tenth of a full render).
   */
  #contested = false;

  /** The element a key currently resolves to: the lowest owner's. */
  #effective(id: string): ElementObject | undefined {
    const claims = this.#owners.get(id);
    if (!claims) return undefined;
    if (!claims.more) return claims.element;
    let best = claims.owner;
    let element = claims.element;
    for (const [o, e] of claims.more) if (o < best) (best = o), (element = e);
    return element;
  }

  #claim(id: string, owner: string, e: ElementObject): void {
    const claims = this.#owners.get(id);
    if (!claims) {
      this.#owners.set(id, { owner, element: e });
      return;
    }
    this.#contested = true;
    if (claims.owner === owner) claims.element = e;
    else (claims.more ??= new Map()).set(owner, e);
  }

  #unclaim(id: string, owner: string): void {
    const claims = this.#owners.get(id);
    if (!claims) return;
    if (claims.owner !== owner) {
      claims.more?.delete(owner);
    } else if (!claims.more || claims.more.size === 0) {
      this.#owners.delete(id);
      return;
    } else {
      // Promote another claimant to the inline slot.
      const [o, e] = claims.more.entries().next().value!;
      claims.more.delete(o);
      claims.owner = o;
      claims.element = e;
    }
    if (claims.more?.size === 0) delete claims.more;
  }

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
    const before = new Map([...touched].map((id) => [id, this.#effective(id)]));
    // Runs are looked up by their anchor, and replacing a contribution forgets its anchors' runs.
    const runsBefore = new Map([...before].map(([id, was]) => [id, was && this.#runsOf.get(was)]));
    const groupsBefore = new Set(this.#groups.keys());
    for (const [key, contributions] of list) this.#replace(key, contributions);

    const diff: StoreDiff = { deletes: [], adds: [], groupsAdded: [], groupsRemoved: [] };
    for (const [id, was] of before) {
      const now = this.#effective(id);
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
        if (!claimedBefore) return void added.set(id, this.#owners.get(id)!.element);
        const now = this.#effective(id)!;
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
      for (const id of ids) this.#unclaim(id, c.owner);
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
          this.#claim(id, c.owner, c.elements[i]!);
          continue;
        }
        const claimedBefore = this.#owners.has(id);
        const was = claimedBefore ? this.#effective(id) : undefined;
        this.#claim(id, c.owner, c.elements[i]!);
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
          if (this.#contested && this.#effective(ids[i]!) !== e) continue;
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

/** `elements` grouped by container (containers in order of first use), each group in its given order. */
export function byContainer(elements: readonly ElementObject[]): ElementObject[] {
  const groups = new Map<string, ElementObject[]>();
  for (const e of elements) {
    const list = groups.get(e.container);
    if (list) list.push(e);
    else groups.set(e.container, [e]);
  }
  const all: ElementObject[] = [];
  for (const list of groups.values()) for (const e of list) all.push(e);
  return all;
}
