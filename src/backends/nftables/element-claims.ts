/**
 * Which ServicePorts claim each element key, and which claim wins: two Services with the same
 * address, protocol and port both render that key, and the lowest ServicePort id gets it, in
 * full and partial syncs alike (element-store.ts keeps the rest of the applied state).
 */
import { partText, type ElementObject } from "./objects.ts";

/** Identity of an element: its container and key. */
export function elementId(e: ElementObject): string {
  // Each container has one key type, so the parts' printed values identify the key. The same
  // text as elementIdOf, without an array per element (a full sync makes over 100k of these).
  let id = e.container;
  for (const p of e.key) id += ` ${partText(p)}`;
  return id;
}

/** elementId of an element of `container` whose key parts print as `parts` (print-simple-port.ts). */
export function elementIdOf(container: string, ...parts: (string | number)[]): string {
  let id = container;
  for (const p of parts) id += ` ${p}`;
  return id;
}

/**
 * The ServicePorts that claim one element id. Nearly every key has one claimant, so that case
 * is one small object instead of a Map per element (the Maps were most of the store's memory
 * and a sixth of a full sync's render at 10k Services, bun run bench B1/B4).
 */
interface Claims<E> {
  owner: string;
  element: E;
  /** Further claimants, owner -> element; absent while there is one. */
  more?: Map<string, E>;
}

/**
 * element id -> its claimants (owner = ServicePort id). Plain data, no effects. What is claimed
 * is the element itself (the element store), or its printed record (print-full.ts).
 */
export class ClaimTable<E = ElementObject> {
  #owners = new Map<string, Claims<E>>();
  #contested = false;

  /**
   * True (for good) once a key was claimed twice; until then every claimed element is the one
   * its key resolves to, and callers can skip the lookup per element (a tenth of a full render).
   */
  get contested(): boolean {
    return this.#contested;
  }

  has(id: string): boolean {
    return this.#owners.has(id);
  }

  /** The element a key currently resolves to: the lowest owner's. */
  effective(id: string): E | undefined {
    const claims = this.#owners.get(id);
    if (!claims) return undefined;
    if (!claims.more) return claims.element;
    let best = claims.owner;
    let element = claims.element;
    for (const [o, e] of claims.more) if (o < best) (best = o), (element = e);
    return element;
  }

  claim(id: string, owner: string, e: E): void {
    const claims = this.#owners.get(id);
    if (!claims) {
      this.#owners.set(id, { owner, element: e });
      return;
    }
    this.#contested = true;
    if (claims.owner === owner) claims.element = e;
    else (claims.more ??= new Map()).set(owner, e);
  }

  unclaim(id: string, owner: string): void {
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
}
