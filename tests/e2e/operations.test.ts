/**
 * The compiled binary as an operator meets it, in a netns lab against the sandbox API server:
 * its status endpoints and a Prometheus-parsable scrape; an API server outage longer than
 * 2 x sync-period (traffic keeps flowing, /healthz stays 200 while nothing is pending, turns 503
 * with upstream's body only once a requested sync is late, and recovers); and SIGTERM (prompt,
 * rules left in place) followed by a restart that takes the rules over without a gap.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SandboxApiServer } from "../../src/sandbox/apiserver/server.ts";
import type { Lab } from "../../src/sandbox/lab/lab-types.ts";
import { startNodeLab, type NodeLab } from "../../src/sandbox/node-lab.ts";
import { clusterIPService, endpointSlice, type ServicePortSpec } from "../../src/sandbox/objects.ts";
import { freePort, startProxyProcess, type ProxyProcess } from "../../src/sandbox/proxy-process.ts";
import { waitForNodeRules } from "../../src/sandbox/wait-for-rules.ts";
import { DNS_CLUSTER_IP, NODE_NAME } from "../support/addresses.ts";
import { ensureBinary } from "../support/binary.ts";

const PORTS: ServicePortSpec[] = [{ name: "http", protocol: "TCP", port: 80, targetPort: 8080 }];
const VIP = DNS_CLUSTER_IP;
const SYNC_PERIOD_MS = 1000;

let server: SandboxApiServer;
let nodeLab: NodeLab;
let lab: Lab;
let proxy: ProxyProcess;
let command: string[];
const ports = { healthz: freePort(), metrics: freePort() };
const dir = mkdtempSync(join(tmpdir(), "kpb-ops-"));
const failFlag = join(dir, "nft-fail");

function setPods(names: string[]): void {
  server.apply("endpointslices", endpointSlice("demo", "web", lab.pods.filter((p) => names.includes(p.name)).map((p) => ({ name: p.name, ip: p.ip, nodeName: NODE_NAME })), PORTS));
}

const probe = (count = 30) => lab.probe(lab.client.ns, { proto: "tcp", ip: VIP, port: 80, count, timeoutMs: 1000 });
const base = () => `http://127.0.0.1:${ports.metrics}`;
const healthz = async () => {
  const res = await fetch(proxy.healthzUrl);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

async function until<T>(what: string, timeoutMs: number, get: () => Promise<T>, ok: (x: T) => boolean): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await get().catch(() => undefined as T);
    if (last !== undefined && ok(last)) return last;
    await Bun.sleep(50);
  }
  throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}\n${proxy.log()}`);
}

function start(): ProxyProcess {
  return startProxyProcess({
    command,
    kubeconfig: nodeLab.kubeconfig,
    nodeName: NODE_NAME,
    netns: lab.node.ns,
    healthzPort: ports.healthz,
    metricsPort: ports.metrics,
    extraFlags: [`--sync-period=${SYNC_PERIOD_MS}ms`, "--min-sync-period=100ms", "-v=2"],
  });
}

beforeAll(async () => {
  const binary = await ensureBinary();
  // nft as the proxy sees it (one-off `nft -f` and the long-lived `nft -i` alike): the real one,
  // unless the test has armed an injected failure.
  mkdirSync(join(dir, "bin"));
  const realNft = Bun.which("nft", { PATH: `${process.env.PATH}:/usr/sbin:/sbin` })!;
  writeFileSync(join(dir, "bin/nft"), `#!/bin/sh\nif [ -e '${failFlag}' ]; then echo 'injected failure' >&2; exit 1; fi\nexec '${realNft}' "$@"\n`);
  chmodSync(join(dir, "bin/nft"), 0o755);
  command = ["env", `PATH=${join(dir, "bin")}:${process.env.PATH}:/usr/sbin:/sbin`, binary];

  nodeLab = await startNodeLab({ pods: 3, command: [binary] });
  ({ server, lab } = nodeLab);
  server.apply("services", clusterIPService("demo", "web", VIP, PORTS));
  setPods(["pod-a", "pod-b", "pod-c"]);
  proxy = start();
  await proxy.waitHealthy(20_000);
  await waitForNodeRules(lab, "three endpoints", (t) => lab.pods.every((p) => t.includes(p.ip)));
});

afterAll(async () => {
  rmSync(failFlag, { force: true });
  await proxy?.stop();
  await nodeLab?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe("status endpoints of the running binary", () => {
  test("/readyz, /status (JSON and text), /configz, /proxyMode", async () => {
    expect((await fetch(`http://127.0.0.1:${ports.healthz}/readyz`)).status).toBe(200);
    const status = (await (await fetch(`${base()}/status`)).json()) as Record<string, any>;
    expect(status).toMatchObject({ mode: "nftables", node: NODE_NAME, ready: true, api: { mode: "watch", state: "watching" }, lastSync: { IPv4: { result: "success" } }, programmed: { IPv4: { services: 1, servicePorts: 1, endpoints: 3 } } });
    const text = await (await fetch(`${base()}/status`, { headers: { Accept: "text/plain" } })).text();
    expect(text).toContain("programmed: IPv4 1 services, 1 service ports, 3 endpoints");
    const configz = (await (await fetch(`${base()}/configz`)).json()) as Record<string, any>;
    expect(configz["kubeproxy.config.k8s.io"]).toMatchObject({ mode: "nftables", hostnameOverride: NODE_NAME, nftables: { syncPeriod: "1s", minSyncPeriod: "100ms" } });
    expect(await (await fetch(`${base()}/proxyMode`)).text()).toBe("nftables");
  });

  test("a scrape is accepted by Prometheus' parser (promtool), when installed", async () => {
    const text = await (await fetch(`${base()}/metrics`)).text();
    expect(text).toMatch(/^kubeproxy_sync_proxy_rules_last_timestamp_seconds\{ip_family="IPv4"\} \d/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
    const promtool = Bun.which("promtool");
    if (!promtool) return;
    const p = Bun.spawn([promtool, "check", "metrics"], { stdin: new TextEncoder().encode(text), stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    // 3 = lint findings only (upstream's own gauge name ending in _total); 1 would be a parse error.
    expect(code).not.toBe(1);
    expect((out + err).split("\n").filter((l) => l && !l.includes("no_local_endpoints_total"))).toEqual([]);
  });
});

describe("API server outage longer than 2 x sync-period", () => {
  test("traffic flows; /healthz 503 only once a requested sync is late; recovery", async () => {
    const back = server.restart(4 * SYNC_PERIOD_MS);
    await Bun.sleep(2.5 * SYNC_PERIOD_MS);
    // Down for more than 2 x sync-period, but nothing is pending: healthy, as upstream.
    expect((await healthz()).status).toBe(200);
    expect((await fetch(proxy.healthzUrl.replace("/healthz", "/livez"))).status).toBe(200);
    const during = await probe();
    expect(Object.keys(during.answers).sort()).toEqual(["pod-a", "pod-b", "pod-c"]);
    expect((await (await fetch(`${base()}/status`)).json()) as Record<string, any>).toMatchObject({ api: { state: "reconnecting" } });

    // While the server is away: the node's nft starts failing and a change waits on the server.
    writeFileSync(failFlag, "");
    // The long-lived `nft -i` that small transactions go through started before the failure was
    // armed: it dies here, as a crashed nft would, and its replacement meets the injected failure.
    Bun.spawnSync(["pkill", "-P", String(proxy.pid), "-x", "nft"]);
    setPods(["pod-a", "pod-b"]);
    await back;
    const late = await until("/healthz 503", 20_000, healthz, (h) => h.status === 503);
    expect(Object.keys(late.body)).toEqual(["lastUpdated", "currentTime", "nodeEligible", "healthy", "status"]);
    expect(late.body).toMatchObject({ nodeEligible: true, healthy: false, status: { IPv4: { healthy: false } } });
    expect((await fetch(proxy.healthzUrl.replace("/healthz", "/livez"))).status).toBe(503);
    const status = (await (await fetch(`${base()}/status`)).json()) as Record<string, any>;
    expect(status).toMatchObject({ api: { state: "watching" }, lastSync: { IPv4: { result: "failure" } } });
    expect(status.lastSync.IPv4.error).toContain("injected failure");
    // The last applied rules still carry traffic, pod-c included.
    expect(Object.keys((await probe()).answers).sort()).toEqual(["pod-a", "pod-b", "pod-c"]);

    rmSync(failFlag);
    await until("/healthz 200 again", 10_000, healthz, (h) => h.status === 200);
    await waitForNodeRules(lab, "pod-c gone", (t) => !t.includes(lab.pod("pod-c").ip) && t.includes(lab.pod("pod-b").ip));
    expect(Object.keys((await probe()).answers).sort()).toEqual(["pod-a", "pod-b"]);
  }, 45_000);
});

describe("signals", () => {
  test("SIGTERM stops promptly and leaves the rules; a restart takes them over with no gap in traffic", async () => {
    const before = (await lab.exec(lab.node.ns, ["nft", "list", "table", "ip", "kube-proxy"])).stdout;
    const t0 = Date.now();
    await proxy.stop();
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(proxy.log()).toContain("Shutting down; the rules stay in place");
    expect((await lab.exec(lab.node.ns, ["nft", "list", "table", "ip", "kube-proxy"])).stdout).toBe(before);
    // Traffic with no proxy running, and across the new one's start and first (full) sync.
    const probing = lab.probe(lab.client.ns, { proto: "tcp", ip: VIP, port: 80, count: 1000, timeoutMs: 1000 });
    proxy = start();
    await proxy.waitHealthy(20_000);
    await proxy.waitSyncedAfter(t0 / 1000, 20_000);
    const r = await probing;
    expect(r.refused + r.timeouts + r.errors).toBe(0);
    expect(Object.keys(r.answers).sort()).toEqual(["pod-a", "pod-b"]);
  }, 30_000);
});
