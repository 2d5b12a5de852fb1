/**
 * The behaviour table on the real kernel, for both proxy modes: the compiled proxy runs for the
 * node of a netns lab against the sandbox API server, which holds the table's state as real
 * objects (dual-stack Services, EndpointSlices per family, a Node with an address per family).
 * Each row then sends real TCP or UDP, in IPv4 and IPv6, from the lab place the row names (a pod,
 * the node itself, the client on the node network, or the outside host beyond it) and checks
 * what came back: which pods answered and the source address each saw (the node's pod-link
 * address when masqueraded, the sender's own when not), a fast refusal (reject) or silence (drop)
 * with nothing leaving the node, or, for "pass", the packet leaving the node unchanged (the sink
 * behind the node's default route records what reaches it; a pass to a pod is answered by it,
 * source kept). Rows a backend bug breaks are listed in KNOWN_BUGS and skipped, naming the bug.
 *
 * SCTP rows are skipped: this kernel has no SCTP sockets. The tracers prove them, and the
 * backends' kernel tests load their rules into real nft / iptables-restore.
 *
 * One lab and one proxy per mode; all of a mode's probes run concurrently after one wait for
 * the rules, so the file takes seconds, not minutes. Every namespace is named `kpb-<pid>-<n>-*`
 * and removed in afterAll, also on failure. Skipped without root, ip, nft or iptables-restore.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ProxyMode } from "../../src/backends/backend.ts";
import { realRunner } from "../../src/lib/exec.ts";
import { startSandboxApiServer, type SandboxApiServer } from "../../src/sandbox/apiserver/server.ts";
import { writeKubeconfigFile } from "../../src/sandbox/kubeconfig-file.ts";
import { createLab } from "../../src/sandbox/lab/create-lab.ts";
import type { Lab } from "../../src/sandbox/lab/lab-types.ts";
import type { ProbeResult } from "../../src/sandbox/lab/probe-result.ts";
import { freePort, startProxyProcess, type ProxyProcess } from "../../src/sandbox/proxy-process.ts";
import { nodeRules, waitForNodeRules } from "../../src/sandbox/wait-for-rules.ts";
import { CLUSTER_CIDR, CLUSTER_CIDR6, NODE_NAME } from "../support/addresses.ts";
import { ensureBinary } from "../support/binary.ts";
import { applyBehaviourObjects } from "../support/lab-behaviour-objects.ts";
import { labCommand } from "../support/lab-fixture.ts";
import { startSinkRecorder, type SinkRecorder } from "../support/lab-sink-recorder.ts";
import { behaviourAddresses, behaviourRows, expectationFor, type BehaviourRow, type Family } from "./service-behaviour-rows.ts";

const canRun = process.getuid?.() === 0 && ["ip", "nft", "iptables-restore", "ip6tables-restore"].every((c) => Bun.which(c) !== null);
const FAMILIES: Family[] = ["IPv4", "IPv6"];
const MODES: ProxyMode[] = ["nftables", "iptables"];

/** Requests per row: a two-endpoint row misses one with odds of 2^-23 (each request is a new flow, picked anew). */
const COUNT = { spread: 24, single: 4, reject: 3, silent: 2 } as const;
/**
 * How long a request may take before it counts as a timeout: a lab answer takes milliseconds; a
 * refusal up to one SYN retransmission (see below); silence, when expected, is waited out briefly.
 */
const TIMEOUT_MS = { answer: 1000, refusal: 3000, silent: 600 } as const;
/**
 * How long a refused request may take. IPv4: the ICMP port-unreachable ends a TCP connect at
 * once. IPv6: this kernel (6.18) lets a TCP connect in SYN-SENT ride out the first ICMPv6
 * port-unreachable and gives up only on the one answering the SYN's first retransmission, ~1 s
 * later (shown with plain nft `reject` and python's connect, independent of the proxy); a
 * kernel-made RST is immediate. So IPv6 TCP rejects are "refused after one retransmission",
 * still never a timeout.
 */
const REFUSED_WITHIN_MS = { IPv4: 500, IPv6: 1500 } as const;
const CONCURRENCY = 8;

/**
 * Rows that fail on the kernel because of a backend bug, with the bug. They are skipped (and
 * listed as such) until the bug is fixed; `KPB_RUN_KNOWN_BUGS=1` runs them anyway. Delete an
 * entry once its rows pass.
 */
const KNOWN_BUGS: { mode: ProxyMode; family: Family; rows: (row: BehaviourRow) => boolean; bug: string }[] = [
  // None open. The first one this suite found (iptables IPv6: `--to-destination [ip]:port` refused
  // as an unsafe word, so every IPv6 ServicePort with endpoints was left out) is fixed in 18f0ef2.
];
const RUN_KNOWN_BUGS = process.env.KPB_RUN_KNOWN_BUGS === "1";
const knownBug = (mode: ProxyMode, family: Family, row?: BehaviourRow) =>
  KNOWN_BUGS.find((b) => b.mode === mode && b.family === family && (row === undefined || b.rows(row)));

/** What a row's probe got: its report, or why the probe could not run. */
type Outcome = { ok: true; result: ProbeResult } | { ok: false; error: string };

function rowKey(family: Family, row: BehaviourRow): string {
  return `${family}: ${row.name}`;
}

/** Runs `jobs` with at most `limit` at a time. */
async function pool<T>(limit: number, jobs: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, async () => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]!();
    }
  }));
  return out;
}

/** The lab pod an endpoint `ip:port` / `[ip]:port` belongs to. */
function podOf(lab: Lab, endpoint: string): string {
  const ip = endpoint.startsWith("[") ? endpoint.slice(1, endpoint.indexOf("]")) : endpoint.slice(0, endpoint.lastIndexOf(":"));
  const pod = lab.pods.find((p) => p.ip === ip || p.ip6 === ip);
  if (!pod) throw new Error(`endpoint ${endpoint} is no lab pod`);
  return pod.name;
}

function senderNamespace(lab: Lab, row: BehaviourRow): string {
  if (row.sender === "client") return lab.client.ns;
  if (row.sender === "outside") return lab.outside.ns;
  if (row.sender === "node") return lab.node.ns;
  return lab.pod(row.sender).ns;
}

/** How many requests, and how patient, a row's expected fate calls for. */
function probePlan(want: BehaviourRow["want"], row: BehaviourRow, lab: Lab): { count: number; timeoutMs: number } {
  if (want === "reject") return { count: COUNT.reject, timeoutMs: TIMEOUT_MS.refusal };
  if (want === "drop") return { count: COUNT.silent, timeoutMs: TIMEOUT_MS.silent };
  if (want === "pass") return isPodAddress(lab, row.dst) ? { count: COUNT.single, timeoutMs: TIMEOUT_MS.answer } : { count: COUNT.silent, timeoutMs: TIMEOUT_MS.silent };
  return { count: want.length > 1 ? COUNT.spread : COUNT.single, timeoutMs: TIMEOUT_MS.answer };
}

function isPodAddress(lab: Lab, ip: string): boolean {
  return lab.pods.some((p) => p.ip === ip || p.ip6 === ip);
}

for (const mode of MODES) {
  describe.skipIf(!canRun)(`Service behaviour on the real kernel (${mode} mode)`, () => {
    let server: SandboxApiServer | undefined;
    let lab: Lab | undefined;
    let proxy: ProxyProcess | undefined;
    let dir: string | undefined;
    const outcomes = new Map<string, Outcome>();
    let sink: SinkRecorder | undefined;
    let sinkSeen = "";

    beforeAll(async () => {
      const binary = await ensureBinary();
      dir = mkdtempSync(join(tmpdir(), "kpb-kernel-"));
      server = await startSandboxApiServer({});
      writeKubeconfigFile(join(dir, "kubeconfig"), server.url, server.token);
      lab = await createLab({ runner: realRunner, pods: 3, command: labCommand() });
      const l = lab;
      await lab.startEchoServers({ tcpPort: 8080, udpPort: 5353 });
      sink = await startSinkRecorder(l);
      applyBehaviourObjects(server, l);
      proxy = startProxyProcess({
        command: [binary], kubeconfig: join(dir, "kubeconfig"), nodeName: NODE_NAME, netns: l.node.ns, healthzPort: freePort(), metricsPort: freePort(),
        extraFlags: [`--proxy-mode=${mode}`, `--cluster-cidr=${CLUSTER_CIDR},${CLUSTER_CIDR6}`, "--nodeport-addresses=primary", "--min-sync-period=100ms", "-v=2"],
      });
      await proxy.waitHealthy(20_000);
      // The kernel's rules are what packets meet: wait until every family holds the whole state
      // (only the Service without endpoints where a known bug leaves the others out).
      for (const family of FAMILIES) {
        const a = behaviourAddresses(family);
        const whole = [a.sender["pod-a"], a.sender["pod-b"], a.lbIP, a.externalIP, a.emptyExternalIP, a.emptyVIP];
        await waitForNodeRules(l, `the Service without endpoints (${family})`, (t) => t.includes(a.emptyVIP), 15_000, mode, family).catch((e: Error) => {
          throw new Error(`${e.message}\n${proxy!.log()}`);
        });
        if (knownBug(mode, family) && !RUN_KNOWN_BUGS) continue;
        try {
          await waitForNodeRules(l, `the behaviour state (${family})`, (t) => whole.every((w) => t.includes(w)), knownBug(mode, family) ? 2000 : 15_000, mode, family);
        } catch (e) {
          // Under a known bug, let the rows run and fail one by one, with this in their context.
          if (!knownBug(mode, family)) throw new Error(`${(e as Error).message}\n${proxy.log()}`);
        }
      }

      const jobs = FAMILIES.flatMap((family) =>
        behaviourRows(family).filter((row) => row.proto !== "sctp" && (RUN_KNOWN_BUGS || !knownBug(mode, family, row))).map((row) => async () => {
          const { want } = expectationFor(row, mode);
          const plan = probePlan(want, row, l);
          try {
            const result = await l.probe(senderNamespace(l, row), { proto: row.proto as "tcp" | "udp", ip: row.dst, port: row.dport, source: row.src, ...plan });
            outcomes.set(rowKey(family, row), { ok: true, result });
          } catch (e) {
            outcomes.set(rowKey(family, row), { ok: false, error: (e as Error).message });
          }
        }));
      await pool(CONCURRENCY, jobs);
      sinkSeen = await sink.seen();
    }, 90_000);

    afterAll(async () => {
      try {
        await proxy?.stop();
      } finally {
        await lab?.destroy();
        await server?.stop();
        if (dir) rmSync(dir, { recursive: true, force: true });
      }
    }, 30_000);

    /** What to show when a row fails: the probe's report, the proxy's rules of the family, the sink's record. */
    const context = async (family: Family, r: unknown) =>
      `probe: ${JSON.stringify(r)}\nrules (${family}):\n${lab ? await nodeRules(lab, mode, family) : "(no lab)"}\nsink saw:\n${sinkSeen}\nproxy warnings:\n${proxy?.log().split("\n").filter((l) => l.startsWith("W") || l.startsWith("E")).join("\n")}`;

    for (const family of FAMILIES) {
      const a = behaviourAddresses(family);
      for (const row of behaviourRows(family)) {
        const name = `${family} ${row.proto} from ${row.sender}: ${row.name}`;
        if (row.proto === "sctp") {
          // This kernel has no SCTP sockets (machine-facts.md): the tracers and the rule-loading tests cover SCTP.
          test.skip(`${name} (SCTP: no SCTP sockets on this kernel)`, () => {});
          continue;
        }
        const bug = knownBug(mode, family, row);
        (bug && !RUN_KNOWN_BUGS ? test.skip : test)(bug ? `${name} [known bug: ${bug.bug}]` : name, async () => {
          const l = lab!;
          expect(row.src).toBe(a.sender[row.sender]);
          const outcome = outcomes.get(rowKey(family, row));
          if (!outcome) throw new Error("the row was not probed (beforeAll failed?)");
          if (!outcome.ok) throw new Error(outcome.error);
          const r = outcome.result;
          const { want, masq, masqByEndpoint } = expectationFor(row, mode);
          const failed = r.refused + r.timeouts + r.errors;
          const check = async (ok: boolean, what: string) => {
            if (!ok) throw new Error(`${what}\n${await context(family, r)}`);
          };

          const sinkSaw = sink!.saw(sinkSeen, row);
          if (want === "reject") {
            await check(r.refused === COUNT.reject && Object.keys(r.answers).length === 0, `expected every request refused, got ${JSON.stringify(r)}`);
            // Refused by the node, not waited out, and never sent on.
            await check(r.elapsedMs < COUNT.reject * REFUSED_WITHIN_MS[family], `expected refusals within ${REFUSED_WITHIN_MS[family]} ms each, took ${r.elapsedMs} ms in all`);
            await check(!sinkSaw, "a rejected packet went on past the node");
            return;
          }
          if (want === "drop") {
            await check(r.timeouts === COUNT.silent && Object.keys(r.answers).length === 0 && r.refused === 0, `expected silence (dropped), got ${JSON.stringify(r)}`);
            await check(!sinkSaw, "a dropped packet went on past the node");
            return;
          }
          if (want === "pass" && !isPodAddress(l, row.dst)) {
            // Left alone: nothing answers, nothing refuses, and the packet leaves by the node's
            // default route with its source and destination as sent.
            await check(Object.keys(r.answers).length === 0 && r.refused === 0, `expected no answer and no refusal, got ${JSON.stringify(r)}`);
            await check(sinkSaw, `expected the sink to see ${row.src} -> ${row.dst}:${row.dport} unchanged`);
            return;
          }

          const endpoints = want === "pass" ? [a.ep(row.dst, row.dport)] : want;
          const pods = endpoints.map((e) => podOf(l, e)).sort();
          await check(failed === 0, `expected every request answered, got ${JSON.stringify(r)}`);
          await check(JSON.stringify(Object.keys(r.answers).sort()) === JSON.stringify(pods), `expected answers from ${pods.join(", ")}, got ${JSON.stringify(r.answers)}`);
          const sourceFor = (endpoint: string) => {
            const m = masqByEndpoint?.[endpoint] ?? masq ?? false;
            return m ? a.podGateway : row.src;
          };
          const wantSeen = Object.fromEntries(endpoints.map((e) => [podOf(l, e), sourceFor(e)]));
          const gotSeen = Object.fromEntries(Object.entries(r.sourcesByName).map(([pod, srcs]) => [pod, Object.keys(srcs).sort().join(",")]));
          await check(JSON.stringify(gotSeen, Object.keys(gotSeen).sort()) === JSON.stringify(wantSeen, Object.keys(wantSeen).sort()),
            `expected each pod to see source ${JSON.stringify(wantSeen)} (${a.podGateway} = masqueraded), got ${JSON.stringify(r.sourcesByName)}`);
        });
      }
    }
  });
}
