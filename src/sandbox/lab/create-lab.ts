/**
 * Builds a network-namespace lab (see `topology.ts` for its wiring and `lab-types.ts` for its
 * API) and tears it down again. Every address, route and rule lives in namespaces the lab made,
 * and everything it made is removed by `destroy`, which also runs on SIGINT/SIGTERM and at exit.
 */
import { inNetns, type Runner } from "../../lib/exec.ts";
import type { Logger } from "../../lib/log.ts";
import { selfCommand } from "../../lib/self-command.ts";
import { CLIENT_IP, CLIENT_IP6, NODE_IP, NODE_IP6, OUTSIDE_IP, OUTSIDE_IP6, defaultPodName, podIP, podIP6 } from "./address-plan.ts";
import { spawnInNetns, type BackgroundChild } from "./background-child.ts";
import { registerForCleanup } from "./cleanup-registry.ts";
import { parseReadyLine } from "./echo-command.ts";
import { checkPodName, checkPrefix, labNamespaces, nextLabPrefix, podLinkName, podNamespace } from "./lab-names.ts";
import type { Lab, LabOptions, LabPod, LabProbeOptions } from "./lab-types.ts";
import { formatTarget, DEFAULT_PROBE_TIMEOUT_MS } from "./probe-flags.ts";
import { parseProbeResult } from "./probe-result.ts";
import { baseSteps, podSteps, type LabStep } from "./topology.ts";

const READY_TIMEOUT_MS = 15_000;

/**
 * Creates the node, client and sink namespaces and the asked-for pods. Rejects when a command
 * fails (root is needed), after removing whatever it had already made.
 */
export async function createLab(opts: LabOptions): Promise<Lab> {
  const prefix = opts.prefix ?? nextLabPrefix();
  checkPrefix(prefix);
  const runner = opts.runner;
  const log: Logger | undefined = opts.log?.with("lab");
  const command = opts.command ?? selfCommand();
  const base = labNamespaces(prefix);
  const created = new Set<string>();
  const pods: LabPod[] = [];
  const children = new Map<string, BackgroundChild[]>();
  let nextIndex = 0;
  let echoPorts: { tcpPort: number; udpPort: number } | null = null;
  let destroying: Promise<void> | null = null;

  const run = async (step: LabStep) => {
    if (destroying) throw new Error(`lab ${prefix}: destroyed`);
    const r = step.ns === null ? await runner(step.argv) : await inNetns(runner, step.ns)(step.argv);
    if (r.exitCode !== 0) throw new Error(`lab ${prefix}: ${step.argv.join(" ")}${step.ns ? ` (in ${step.ns})` : ""} failed (${r.exitCode}): ${r.stderr.trim()}`);
    if (step.argv[1] === "netns" && step.argv[2] === "add") created.add(step.argv[3]!);
  };
  const runAll = async (steps: LabStep[]) => {
    for (const s of steps) await run(s);
  };
  const ownNs = (ns: string) => {
    if (!created.has(ns)) throw new Error(`lab ${prefix}: ${JSON.stringify(ns)} is not one of this lab's namespaces`);
    return ns;
  };
  const track = (ns: string, child: BackgroundChild) => {
    children.set(ns, [...(children.get(ns) ?? []), child]);
    return child;
  };
  const stopChildren = async (ns: string) => {
    await Promise.all((children.get(ns) ?? []).map((c) => c.stop()));
    children.delete(ns);
  };
  const deleteNs = async (ns: string) => {
    const r = await runner(["ip", "netns", "del", ns]).catch((e: unknown) => ({ exitCode: -1, stderr: String(e) }));
    if (r.exitCode === 0) created.delete(ns);
    else log?.warn("cannot delete namespace", { ns, stderr: r.stderr.trim() });
  };

  const startEcho = async (pod: LabPod, ports: { tcpPort: number; udpPort: number }) => {
    const argv = [...command, "sandbox", "echo", "--name", pod.name, "--tcp", String(ports.tcpPort), "--udp", String(ports.udpPort)];
    const child = track(pod.ns, spawnInNetns(pod.ns, argv));
    const line = await child.waitForLine(/^ready /, READY_TIMEOUT_MS);
    log?.info("echo server ready", { pod: pod.name, ...parseReadyLine(line) }, 2);
  };

  const addPod = async (name: string): Promise<LabPod> => {
    checkPodName(name);
    if (pods.some((p) => p.name === name)) throw new Error(`lab ${prefix}: pod ${name} exists already`);
    const index = nextIndex++;
    const pod: LabPod = { name, ns: podNamespace(prefix, name), ip: podIP(index), ip6: podIP6(index), index };
    await runAll(podSteps(base.node, { ns: pod.ns, link: podLinkName(index), ip: pod.ip, ip6: pod.ip6 }));
    pods.push(pod);
    log?.info("pod added", { pod: name, ns: pod.ns, ip: pod.ip }, 2);
    if (echoPorts) await startEcho(pod, echoPorts);
    return pod;
  };

  const destroyNow = async () => {
    await Promise.all([...children.keys()].map(stopChildren));
    // Pods first: deleting a pod namespace also removes its veth from the node.
    const fixed = new Set(Object.values(base));
    const order = [...created].sort((a, b) => Number(fixed.has(a)) - Number(fixed.has(b)));
    for (const ns of order) await deleteNs(ns);
    pods.length = 0;
    log?.info("lab destroyed", { prefix, left: [...created] }, 1);
  };

  const lab: Lab = {
    prefix,
    node: { ns: base.node, ip: NODE_IP, ip6: NODE_IP6 },
    client: { ns: base.client, ip: CLIENT_IP, ip6: CLIENT_IP6 },
    outside: { ns: base.client, ip: OUTSIDE_IP, ip6: OUTSIDE_IP6 },
    sink: { ns: base.sink },
    pods,
    namespaces: () => [...created],
    pod: (name) => {
      const p = pods.find((x) => x.name === name);
      if (!p) throw new Error(`lab ${prefix}: no pod ${name}`);
      return p;
    },
    runnerIn: (ns): Runner => inNetns(runner, ownNs(ns)),
    exec: async (ns, argv, stdin) => inNetns(runner, ownNs(ns))(argv, stdin),
    addPod,
    removePod: async (name) => {
      const pod = lab.pod(name);
      await stopChildren(pod.ns);
      pods.splice(pods.indexOf(pod), 1);
      await deleteNs(pod.ns);
      log?.info("pod removed", { pod: name }, 2);
    },
    startEchoServers: async ({ tcpPort, udpPort, pods: names }) => {
      const chosen = names ? names.map((n) => lab.pod(n)) : [...pods];
      if (!names) echoPorts = { tcpPort, udpPort };
      await Promise.all(chosen.map((p) => startEcho(p, { tcpPort, udpPort })));
    },
    spawn: (ns, argv) => track(ns, spawnInNetns(ownNs(ns), argv)),
    probe: async (ns, p: LabProbeOptions) => {
      const timeoutMs = p.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
      const argv = [...command, "sandbox", "probe", "--proto", p.proto, "--target", formatTarget(p.ip, p.port),
        "--count", String(p.count), "--timeout-ms", String(timeoutMs), ...(p.source ? ["--source", p.source] : []), "--json"];
      const r = await inNetns(runner, ownNs(ns))(argv);
      if (r.exitCode !== 0) throw new Error(`lab ${prefix}: probe in ${ns} exited ${r.exitCode}: ${r.stderr.trim()}`);
      return parseProbeResult(r.stdout.trim().split("\n").at(-1) ?? "");
    },
    destroy: () => {
      destroying ??= destroyNow().catch((e: unknown) => log?.error("lab destroy failed", { prefix, error: e })).finally(unregister);
      return destroying;
    },
  };

  const unregister = registerForCleanup({
    destroy: () => lab.destroy(),
    destroySync: () => {
      // At process exit nothing can be awaited, so this is the one place that starts processes
      // without the Runner: a blocking `ip netns del` per namespace, after killing the children.
      for (const list of children.values()) for (const c of list) c.killNow();
      for (const ns of created) Bun.spawnSync(["ip", "netns", "del", ns], { stdout: "ignore", stderr: "ignore" });
      created.clear();
    },
  });

  try {
    await runAll(baseSteps(base));
    const wanted = typeof opts.pods === "number" ? Array.from({ length: opts.pods }, (_, i) => ({ name: defaultPodName(i) })) : opts.pods;
    for (const { name } of wanted) await addPod(name);
    log?.info("lab ready", { prefix, pods: pods.length }, 1);
    return lab;
  } catch (e) {
    await lab.destroy();
    throw e;
  }
}
