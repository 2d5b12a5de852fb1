/**
 * Which Services changed since the last sync, split as upstream counts them (Service changes and
 * endpoint changes), so the runner knows a sync is due and metrics show what is pending.
 */
export class ChangeTracker {
  private services = new Set<string>();
  private endpoints = new Set<string>();

  serviceChanged(key: string): void {
    this.services.add(key);
  }

  endpointsChanged(keys: Iterable<string>): void {
    for (const k of keys) this.endpoints.add(k);
  }

  pending(): { services: number; endpoints: number } {
    return { services: this.services.size, endpoints: this.endpoints.size };
  }

  /** The changed Service keys; the tracker is empty afterwards. */
  take(): Set<string> {
    const all = new Set([...this.services, ...this.endpoints]);
    this.services = new Set();
    this.endpoints = new Set();
    return all;
  }
}
