/**
 * The informer's cache and the rules for applying list items and watch events to it: validate each
 * object, keep the last good version when an update is invalid, always honour deletions, and on a
 * relist remove what disappeared. Emits to the handler; does no I/O.
 */
import type * as v from "valibot";
import type { Logger } from "../lib/log.ts";
import { decodeObject, keyOf, resourceVersionOf, trimForCache } from "./decode.ts";

/** Where an informer delivers changes. `remove` gets the last good version of the object. */
export interface InformerHandler<T> {
  upsert(key: string, obj: T): void;
  remove(key: string, obj: T): void;
  /** Called once, after the first complete list has been delivered. */
  synced(): void;
}

/** The last good version of every object, by key. */
export class InformerCache<T> {
  private readonly entries = new Map<string, { rv: string; obj: T }>();
  /** The RV of the invalid version last logged per key, so a relist does not repeat the same line. */
  private readonly logged = new Map<string, string>();

  constructor(
    private readonly schema: v.GenericSchema<unknown, T>,
    private readonly kind: string,
    private readonly handler: InformerHandler<T>,
    private readonly log: Logger,
  ) {}

  /** The keys currently held. */
  keys(): string[] {
    return [...this.entries.keys()].sort();
  }

  /** The last good version under `key`. */
  get(key: string): T | undefined {
    return this.entries.get(key)?.obj;
  }

  /** Applies an ADDED/MODIFIED object or a list item; returns its key (undefined when it has no name). */
  upsert(raw: unknown): string | undefined {
    const key = keyOf(raw);
    if (key === undefined) {
      this.log.error(`Skipping invalid ${this.kind} (unnamed): metadata.name: missing`);
      return undefined;
    }
    const rv = resourceVersionOf(raw);
    const cached = this.entries.get(key);
    if (cached && rv !== "" && cached.rv === rv) return key;
    const d = decodeObject(this.schema, this.kind, raw);
    if (d.ok) {
      // Only what the proxy reads is kept for the object's life in the cache.
      trimForCache(d.value);
      this.logged.delete(key);
      this.entries.set(key, { rv, obj: d.value });
      this.handler.upsert(key, d.value);
    } else if (this.logged.get(key) !== rv || rv === "") {
      // The last good version (if any) stays: a bad update must not take working endpoints away.
      this.logged.set(key, rv);
      this.log.error(d.reason);
    }
    return key;
  }

  /** Applies a DELETED object: removes by name even when the object itself would not validate. */
  remove(raw: unknown): void {
    const key = keyOf(raw);
    if (key === undefined) return;
    this.logged.delete(key);
    this.removeKey(key);
  }

  private removeKey(key: string): void {
    const cached = this.entries.get(key);
    if (!cached) return;
    this.entries.delete(key);
    this.handler.remove(key, cached.obj);
  }

  /** Applies a full list: upserts what changed, removes every cached key the list no longer has. */
  replace(items: unknown[]): void {
    const r = this.beginReplace();
    r.page(items);
    r.end();
  }

  /**
   * A full list applied page by page: each page's objects are upserted as it arrives, and `end()`
   * removes every cached key no page had. `restart()` forgets the keys seen so far (the list
   * started over), so nothing seen only in the abandoned pages survives `end()`.
   */
  beginReplace(): { page(items: unknown[]): void; restart(): void; end(): void } {
    let seen = new Set<string>();
    return {
      page: (items) => {
        for (const raw of items) {
          const key = this.upsert(raw);
          if (key !== undefined) seen.add(key);
        }
      },
      restart: () => void (seen = new Set()),
      end: () => {
        for (const key of [...this.entries.keys()]) if (!seen.has(key)) this.removeKey(key);
        for (const key of [...this.logged.keys()]) if (!seen.has(key)) this.logged.delete(key);
      },
    };
  }
}
