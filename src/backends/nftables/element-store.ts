/**
 * The applied state of one table's per-Service part, kept in memory so that a sync never lists
 * the kernel: which ServicePort owns which element, and which endpoint groups are in use. A key
 * claimed by two ServicePorts (two Services with the same address, protocol and port) goes to
 * the lowest ServicePort id, in full and partial syncs alike, so both always agree.
 */
import { isVerdict, type ElementObject } from "./objects.ts";
import { endpointMapName, groupChainName, groupMaps, type GroupId } from "./names.ts";
import type { ServicePortElements } from "./render-service.ts";

/** Identity of an element: its container and key. */
export function elementId(e: ElementObject): string {
  // Each container has one key type, so the parts' printed values identify the key.
  let id = e.container;
  for (const p of e.key) id += ` ${p.type === "addr" ? p.addr : p.type === "prefix" ? p.cidr : p.type === "inet_proto" ? p.proto : p.type === "inet_service" ? p.port : p.index}`;
  return id;
}

/** Everything of an element that, when it changes, needs a delete and an add. */
function elementText(e: ElementObject): string {
  const v = e.value === undefined ? "" : isVerdict(e.value) ? JSON.stringify(e.value) : `${e.value.addr} ${e.value.port}`;
  return `${elementId(e)} = ${v} # ${e.comment ?? ""}`;
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
  #byService = new Map<string, ServicePortElements[]>();
  /** element id -> owner (ServicePort id) -> element. */
  #owners = new Map<string, Map<string, ElementObject>>();
  /** group chain name -> group and how many ServicePorts use it. */
  #groups = new Map<string, { group: GroupId; uses: number }>();

  /** The element a key currently resolves to: the lowest owner's. */
  #effective(id: string): ElementObject | undefined {
    const owners = this.#owners.get(id);
    if (!owners || owners.size === 0) return undefined;
    let best: string | undefined;
    for (const o of owners.keys()) if (best === undefined || o < best) best = o;
    return owners.get(best!);
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
      for (const c of [...(this.#byService.get(key) ?? []), ...contributions]) for (const e of c.elements) touched.add(elementId(e));
    }
    const before = new Map([...touched].map((id) => [id, this.#effective(id)]));
    const groupsBefore = new Set(this.#groups.keys());
    for (const [key, contributions] of list) this.#replace(key, contributions);

    const diff: StoreDiff = { deletes: [], adds: [], groupsAdded: [], groupsRemoved: [] };
    for (const [id, was] of before) {
      const now = this.#effective(id);
      if (was && now && elementText(was) === elementText(now)) continue;
      if (was) diff.deletes.push(was);
      if (now) diff.adds.push(now);
    }
    for (const [name, { group }] of this.#groups) if (!groupsBefore.has(name)) diff.groupsAdded.push(group);
    for (const name of groupsBefore) if (!this.#groups.has(name)) diff.groupsRemoved.push(parseGroupName(name));
    return diff;
  }

  #replace(key: string, contributions: readonly ServicePortElements[]): void {
    const old = this.#byService.get(key) ?? [];
    for (const c of old) {
      for (const e of c.elements) {
        const owners = this.#owners.get(elementId(e));
        owners?.delete(c.owner);
        if (owners?.size === 0) this.#owners.delete(elementId(e));
      }
      for (const g of c.groups) {
        const name = groupChainName(g);
        const entry = this.#groups.get(name);
        if (entry && --entry.uses === 0) this.#groups.delete(name);
      }
    }
    for (const c of contributions) {
      for (const e of c.elements) {
        const id = elementId(e);
        let owners = this.#owners.get(id);
        if (!owners) this.#owners.set(id, (owners = new Map()));
        owners.set(c.owner, e);
      }
      for (const g of c.groups) {
        const name = groupChainName(g);
        const entry = this.#groups.get(name);
        if (entry) entry.uses++;
        else this.#groups.set(name, { group: g, uses: 1 });
      }
    }
    if (contributions.length > 0) this.#byService.set(key, [...contributions]);
    else this.#byService.delete(key);
  }

  /** Every effective element, in a stable order. */
  elements(): ElementObject[] {
    const out: ElementObject[] = [];
    for (const id of [...this.#owners.keys()].sort()) {
      const e = this.#effective(id);
      if (e) out.push(e);
    }
    return out;
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
    return this.#byService.get(key) ?? [];
  }

  /** Every per-ServicePort chain and set name held now (for the transaction's view of the table). */
  serviceObjects(): { chains: string[]; sets: ServicePortElements["sets"] } {
    const chains: string[] = [];
    const sets: ServicePortElements["sets"] = [];
    // A plain loop: a partial sync calls this over every Service, and most have no chains or sets.
    for (const list of this.#byService.values()) {
      for (const c of list) {
        for (const ch of c.chains) chains.push(ch.name);
        for (const set of c.sets) sets.push(set);
      }
    }
    return { chains, sets };
  }

  /** The ServicePort and endpoint counts, for stats. */
  counts(): { servicePorts: number; endpoints: number } {
    let servicePorts = 0;
    let endpoints = 0;
    for (const list of this.#byService.values()) {
      for (const c of list) {
        if (!c.rendered) continue;
        servicePorts++;
        endpoints += c.endpoints;
      }
    }
    return { servicePorts, endpoints };
  }
}

/** Inverse of groupChainName. */
export function parseGroupName(name: string): GroupId {
  const [, kind, proto, k, kl] = /^group-(cluster|external-local|nodeport-local|external|nodeport)-(tcp|udp|sctp)-(\d+)(?:-(\d+))?$/.exec(name) ?? [];
  if (!kind || !proto || !k) throw new Error(`not a group chain name: ${name}`);
  const g: GroupId = { kind: kind as GroupId["kind"], proto: proto as GroupId["proto"], k: Number(k) };
  return kl === undefined ? g : { ...g, kl: Number(kl) };
}
