/**
 * Every command-line flag the proxy accepts, with upstream kube-proxy's names, defaults and help.
 * A flag's value schema (valibot) turns its text into a typed value or an issue that names why.
 */
import * as v from "valibot";
import { parseCIDR } from "../lib/cidr.ts";
import { parseDuration } from "../lib/duration.ts";
import { parseBindAddress } from "./bind-address.ts";

const Duration = v.pipe(
  v.string(),
  v.check((s) => parseDuration(s) !== null, "must be a duration such as 30s, 1m0s or 500ms"),
  v.transform((s) => parseDuration(s)!),
);

const bindAddress = (defaultPort: number) =>
  v.pipe(
    v.string(),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      try {
        return parseBindAddress(dataset.value, defaultPort);
      } catch (e) {
        addIssue({ message: `must be IP[:port] or empty: ${(e as Error).message}` });
        return NEVER;
      }
    }),
  );

const Verbosity = v.pipe(
  v.string(),
  v.regex(/^\d+$/, "must be a whole number"),
  v.transform(Number),
  v.maxValue(10, "must be 0-10"),
);

const CIDRList = v.pipe(
  v.string(),
  v.transform((s) => (s.trim() === "" ? [] : s.split(",").map((x) => x.trim()))),
  v.check((list) => list.every((c) => parseCIDR(c) !== null), "must be comma-separated CIDRs"),
  v.check((list) => new Set(list.map((c) => parseCIDR(c)!.family)).size === list.length, "at most one CIDR per IP family"),
  v.transform((list) => list.map((c) => parseCIDR(c)!.text)),
);

const NodePortAddresses = v.pipe(
  v.string(),
  v.transform((s) => (s.trim() === "" ? [] : s.split(",").map((x) => x.trim()))),
  v.check((list) => list.every((c) => c === "primary" || c === "all" || parseCIDR(c) !== null), "must be comma-separated CIDRs or the keywords 'primary' and 'all'"),
  v.transform((list) => list.map((c) => (c === "primary" || c === "all" ? c : parseCIDR(c)!.text))),
);

const MasqueradeBit = v.pipe(v.string(), v.regex(/^\d+$/, "must be a whole number"), v.transform(Number), v.maxValue(31, "must be 0-31"));

const InterfaceName = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_.@-]{0,15}$/, "must be an interface name (at most 15 letters, digits, '_', '.', '@', '-')"));

const NetnsName = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_.-]{0,64}$/, "must be a network namespace name"));

export interface FlagSpec {
  /** Long name without dashes, as upstream spells it. */
  name: string;
  /** Boolean flags take no value (`--flag` or `--flag=true|false`). */
  boolean?: boolean;
  default: string;
  help: string;
  schema: v.GenericSchema<string, unknown>;
  hidden?: boolean;
}

export const FLAGS: FlagSpec[] = [
  { name: "kubeconfig", default: "", help: "Path to a kubeconfig file with authorization and API server location.", schema: v.string() },
  { name: "master", default: "", help: "The address of the Kubernetes API server (overrides any value in kubeconfig).", schema: v.pipe(v.string(), v.check((s) => s === "" || URL.canParse(s), "must be a URL such as https://10.0.0.1:6443")) },
  { name: "hostname-override", default: "", help: "If non-empty, will be used as the name of the Node that kube-proxy is running on.", schema: v.string() },
  { name: "proxy-mode", default: "nftables", help: "Which proxy mode to use: 'nftables' (default here) or 'iptables'.", schema: v.picklist(["nftables", "iptables"], "must be 'nftables' or 'iptables'") },
  { name: "healthz-bind-address", default: "0.0.0.0:10256", help: "The IP address and port for the health check server to serve on; empty disables it.", schema: bindAddress(10256) },
  { name: "metrics-bind-address", default: "127.0.0.1:10249", help: "The IP address and port for the metrics server to serve on; empty disables it.", schema: bindAddress(10249) },
  { name: "sync-period", default: "30s", help: "How often rules are resynced at most, and the retry interval after a failure (e.g. '5s', '1m', '2h22m').", schema: Duration },
  { name: "min-sync-period", default: "1s", help: "The minimum time between rule syncs; 0 syncs on every change.", schema: Duration },
  { name: "iptables-sync-period", default: "", help: "Upstream's older name for --sync-period.", schema: v.union([v.literal(""), Duration]) },
  { name: "iptables-min-sync-period", default: "", help: "Upstream's older name for --min-sync-period.", schema: v.union([v.literal(""), Duration]) },
  { name: "cleanup", boolean: true, default: "false", help: "Remove the rules of every proxy mode (nftables tables and iptables chains) and exit.", schema: v.string() },
  { name: "nodeport-addresses", default: "", help: "Addresses that accept NodePort traffic: comma-separated CIDRs and/or 'primary' (the node's IPs) or 'all'; empty means 'primary' in nftables mode.", schema: NodePortAddresses },
  { name: "masquerade-all", boolean: true, default: "false", help: "SNAT all traffic sent to Service ClusterIPs.", schema: v.string() },
  { name: "iptables-masquerade-bit", default: "14", help: "The fwmark bit (0-31) that marks packets to masquerade (both modes).", schema: MasqueradeBit },
  { name: "cluster-cidr", default: "", help: "The pod CIDRs (one per family, comma-separated); traffic from outside them to a ClusterIP is masqueraded.", schema: CIDRList },
  { name: "detect-local-mode", default: "ClusterCIDR", help: "How pod traffic is told apart: ClusterCIDR, NodeCIDR, BridgeInterface or InterfaceNamePrefix.", schema: v.picklist(["ClusterCIDR", "NodeCIDR", "BridgeInterface", "InterfaceNamePrefix"], "must be ClusterCIDR, NodeCIDR, BridgeInterface or InterfaceNamePrefix") },
  { name: "pod-bridge-interface", default: "", help: "The bridge pods are attached to (for --detect-local-mode=BridgeInterface).", schema: InterfaceName },
  { name: "pod-interface-name-prefix", default: "", help: "The prefix of pods' interface names (for --detect-local-mode=InterfaceNamePrefix).", schema: InterfaceName },
  { name: "v", default: "0", help: "Log verbosity (0-10).", schema: Verbosity },
  { name: "sandbox-netns", default: "", help: "Sandbox only: apply rules inside this network namespace (a lab node) instead of the proxy's own.", schema: NetnsName, hidden: true },
  { name: "help", boolean: true, default: "false", help: "Print this help and exit.", schema: v.string() },
  { name: "version", boolean: true, default: "false", help: "Print the version and exit.", schema: v.string() },
];
