/**
 * The shape of a network-namespace lab: a node (where the proxy's rules go), a client outside
 * the cluster (which also speaks for an outside host further away), routed pods, and a sink
 * behind the node's default route. Built by `createLab`.
 */
import type { Logger } from "../../lib/log.ts";
import type { RunResult, Runner } from "../../lib/exec.ts";
import type { BackgroundChild } from "./background-child.ts";
import type { ProbeResult } from "./probe-result.ts";

/** One pod: its name (what its echo server answers), namespace and addresses. */
export interface LabPod {
  name: string;
  ns: string;
  ip: string;
  ip6: string;
  /** Its number in the address plan (`podIP(index)`); never reused within a lab. */
  index: number;
}

/** What to build. */
export interface LabOptions {
  /** Runs every `ip`/`sysctl` command (`realRunner` for a real lab). */
  runner: Runner;
  /** How many pods (named pod-a, pod-b, ...), or their names. */
  pods: number | { name: string }[];
  log?: Logger;
  /** The namespace name prefix; default `kpb-<pid>-<n>`, unique per lab. */
  prefix?: string;
  /** The argv prefix that runs this program (for `sandbox echo`/`sandbox probe`); default `selfCommand()`. */
  command?: string[];
}

/** A probe request, sent from inside one of the lab's namespaces. */
export interface LabProbeOptions {
  proto: "tcp" | "udp";
  ip: string;
  port: number;
  count: number;
  /** Per request; default 1000. */
  timeoutMs?: number;
  /** The address to send from, one of the namespace's own (e.g. `lab.outside.ip` in the client); default: by route. */
  source?: string;
}

/** A live lab. Every method that touches the world may reject; `destroy` never does. */
export interface Lab {
  prefix: string;
  node: { ns: string; ip: string; ip6: string };
  client: { ns: string; ip: string; ip6: string };
  /** A host beyond the node network: extra addresses of the client namespace, routed by the node through the client. */
  outside: { ns: string; ip: string; ip6: string };
  sink: { ns: string };
  /** The live pods, in creation order. */
  readonly pods: readonly LabPod[];
  /** Every namespace the lab made and still holds. */
  namespaces(): string[];
  /** The pod named `name`; throws when there is none. */
  pod(name: string): LabPod;
  /** A Runner whose commands run inside `ns` (one of the lab's); throws for any other namespace. */
  runnerIn(ns: string): Runner;
  /** Runs `argv` inside `ns` and returns how it ended; rejects for a namespace that is not the lab's. */
  exec(ns: string, argv: readonly string[], stdin?: string): Promise<RunResult>;
  /** Adds a pod (its echo server too, once servers were started). Rejects on a taken or bad name. */
  addPod(name: string): Promise<LabPod>;
  /** Stops a pod's children and deletes its namespace (its veth and the node's route go with it). */
  removePod(name: string): Promise<void>;
  /** Starts `sandbox echo` in every pod (or the named ones) and waits until each listens. */
  startEchoServers(opts: { tcpPort: number; udpPort: number; pods?: string[] }): Promise<void>;
  /** Starts a long-running child inside `ns`; it is stopped by `destroy` (or by the caller). */
  spawn(ns: string, argv: readonly string[]): BackgroundChild;
  /** Runs `sandbox probe` inside `ns` and returns its parsed report. Rejects when the probe fails to run. */
  probe(ns: string, opts: LabProbeOptions): Promise<ProbeResult>;
  /** Stops every child and deletes every namespace. Idempotent, never rejects. */
  destroy(): Promise<void>;
}
