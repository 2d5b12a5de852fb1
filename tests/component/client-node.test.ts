/**
 * `@kubernetes/client-node` (a test dependency only) as a second, independent client of the
 * sandbox: its typed API creates, replaces and deletes, and its informer (list + watch) follows
 * along, including through a dropped watch.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import * as k8s from "@kubernetes/client-node";
import { type SandboxApiServer, startSandboxApiServer } from "../../src/sandbox/apiserver/server.ts";
import { waitFor } from "./wait-for.ts";

let server: SandboxApiServer;
let kc: k8s.KubeConfig;
beforeAll(async () => {
  server = await startSandboxApiServer({ bookmarkIntervalMs: 200 });
  server.apply("services", { metadata: { name: "seed", namespace: "default" }, spec: { clusterIP: "10.96.0.9", ports: [{ port: 80 }] } });
  kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    // client-node refuses plain http unless TLS verification is off, although there is no TLS to verify.
    clusters: [{ name: "sandbox", server: server.url, skipTLSVerify: true }],
    users: [{ name: "sandbox", token: server.token }],
    contexts: [{ name: "sandbox", cluster: "sandbox", user: "sandbox" }],
    currentContext: "sandbox",
  });
});
afterAll(() => server.stop());

test("client-node's API and informer round-trip Services and EndpointSlices", async () => {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const discovery = kc.makeApiClient(k8s.DiscoveryV1Api);
  const informer = k8s.makeInformer(kc, "/api/v1/services", () => core.listServiceForAllNamespaces());
  const seen: string[] = [];
  informer.on("add", (o) => void seen.push(`add ${o.metadata?.name}`));
  informer.on("update", (o) => void seen.push(`update ${o.metadata?.name} ${o.spec?.ports?.[0]?.port}`));
  informer.on("delete", (o) => void seen.push(`delete ${o.metadata?.name}`));
  informer.on("error", (e) => void seen.push(`error ${String(e)}`));
  await informer.start();
  try {
    await waitFor(() => seen.includes("add seed"), `the listed Service (saw ${seen.join("; ")})`);
    const created = await core.createNamespacedService({ namespace: "default", body: { metadata: { name: "web" }, spec: { clusterIP: "10.96.0.10", ports: [{ port: 80 }] } } });
    expect(created.metadata?.resourceVersion).toBe(server.get("services", "default", "web")?.metadata.resourceVersion);
    await waitFor(() => seen.includes("add web"), "add through the watch");
    server.dropWatches();
    await core.replaceNamespacedService({ name: "web", namespace: "default", body: { ...created, spec: { ...created.spec, ports: [{ port: 8080 }] } } });
    await waitFor(() => seen.includes("update web 8080"), "update after a dropped watch");
    const read = await core.readNamespacedService({ name: "web", namespace: "default" });
    expect(read.spec?.ports?.[0]?.port).toBe(8080);
    await core.deleteNamespacedService({ name: "web", namespace: "default" });
    await waitFor(() => seen.includes("delete web"), "delete through the watch");
    expect(informer.list().map((s) => s.metadata?.name)).toEqual(["seed"]);
    expect(informer.list()[0]?.metadata?.resourceVersion).toBe(server.get("services", "default", "seed")?.metadata.resourceVersion);

    const slice = await discovery.createNamespacedEndpointSlice({ namespace: "default", body: { metadata: { name: "web-1", labels: { "kubernetes.io/service-name": "web" } }, addressType: "IPv4", endpoints: [{ addresses: ["10.0.0.1"] }] } });
    expect(slice.metadata?.name).toBe("web-1");
    const slices = await discovery.listEndpointSliceForAllNamespaces({ labelSelector: "kubernetes.io/service-name=web" });
    expect(slices.items.map((s) => s.endpoints?.[0]?.addresses[0])).toEqual(["10.0.0.1"]);
    await discovery.deleteNamespacedEndpointSlice({ name: "web-1", namespace: "default" });
    expect(server.list("endpointslices")).toEqual([]);
  } finally {
    await informer.stop();
  }
});
