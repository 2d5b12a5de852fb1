/**
 * The proxy's cache of Services and EndpointSlices, indexed so that a Service's slices are found
 * by the Service's key. Every write returns the key of the Service it affects, which the change
 * tracker records.
 */
import { SERVICE_NAME_LABEL, type EndpointSlice } from "../kube/schemas/endpoint-slice.ts";
import type { Service } from "../kube/schemas/service.ts";
import type { ClusterView } from "./build-state.ts";
import { SERVICE_PROXY_NAME_LABEL, serviceKey } from "./service-ports.ts";

export class ClusterCache implements ClusterView {
  private readonly serviceByKey = new Map<string, Service>();
  /** service key -> slice key -> slice */
  private readonly slicesByService = new Map<string, Map<string, EndpointSlice>>();
  private readonly serviceOfSlice = new Map<string, string>();

  services(): Iterable<Service> {
    return this.serviceByKey.values();
  }

  slicesOf(key: string): Iterable<EndpointSlice> {
    return this.slicesByService.get(key)?.values() ?? [];
  }

  service(key: string): Service | undefined {
    return this.serviceByKey.get(key);
  }

  upsertService(svc: Service): string {
    const key = serviceKey(svc.metadata.namespace, svc.metadata.name);
    this.serviceByKey.set(key, svc);
    return key;
  }

  removeService(namespace: string, name: string): string {
    const key = serviceKey(namespace, name);
    this.serviceByKey.delete(key);
    return key;
  }

  /** Returns the affected Service keys: a slice whose service label changed affects two. Slices without the label are ignored. */
  upsertSlice(slice: EndpointSlice): string[] {
    const sliceKey = serviceKey(slice.metadata.namespace, slice.metadata.name);
    const affected = this.removeSliceByKey(sliceKey);
    const owner = slice.metadata.labels?.[SERVICE_NAME_LABEL];
    // Slices of another service proxy are not ours, as upstream's informer selector says.
    if (!owner || slice.metadata.labels?.[SERVICE_PROXY_NAME_LABEL] !== undefined) return affected;
    const key = serviceKey(slice.metadata.namespace, owner);
    let slices = this.slicesByService.get(key);
    if (!slices) this.slicesByService.set(key, (slices = new Map()));
    slices.set(sliceKey, slice);
    this.serviceOfSlice.set(sliceKey, key);
    return affected.includes(key) ? affected : [...affected, key];
  }

  removeSlice(namespace: string, name: string): string[] {
    return this.removeSliceByKey(serviceKey(namespace, name));
  }

  private removeSliceByKey(sliceKey: string): string[] {
    const owner = this.serviceOfSlice.get(sliceKey);
    if (owner === undefined) return [];
    this.serviceOfSlice.delete(sliceKey);
    const slices = this.slicesByService.get(owner);
    slices?.delete(sliceKey);
    if (slices?.size === 0) this.slicesByService.delete(owner);
    return [owner];
  }
}
