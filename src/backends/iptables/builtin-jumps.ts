/**
 * The rules kube-proxy puts at the top of built-in chains to reach its own chains, as upstream
 * does (same comments, so a node switching from upstream keeps a single copy of each). They are
 * inserted only when missing, since a --noflush restore never flushes built-in chains.
 */
import { KUBE_EXTERNAL_SERVICES, KUBE_FIREWALL, KUBE_FORWARD, KUBE_NODEPORTS, KUBE_POSTROUTING, KUBE_PROXY_FIREWALL, KUBE_SERVICES } from "./names.ts";
import { commentWords } from "./rule-words.ts";

export interface BuiltinJump {
  table: "nat" | "filter";
  chain: string;
  words: string[];
  /** `table chain words`: identifies the rule in an iptables-save dump. */
  key: string;
}

const NEW = ["-m", "conntrack", "--ctstate", "NEW"];

function jump(table: BuiltinJump["table"], chain: string, words: string[]): BuiltinJump {
  return { table, chain, words, key: `${table} ${chain} ${words.join(" ")}` };
}

/** In insertion order; each is inserted at position 1, as upstream's EnsureRule(Prepend) does. */
export const BUILTIN_JUMPS: readonly BuiltinJump[] = [
  jump("filter", "INPUT", [...NEW, ...commentWords("kubernetes load balancer firewall"), "-j", KUBE_PROXY_FIREWALL]),
  jump("filter", "INPUT", [...commentWords("kubernetes health check service ports"), "-j", KUBE_NODEPORTS]),
  jump("filter", "INPUT", [...NEW, ...commentWords("kubernetes externally-visible service portals"), "-j", KUBE_EXTERNAL_SERVICES]),
  jump("filter", "FORWARD", [...NEW, ...commentWords("kubernetes load balancer firewall"), "-j", KUBE_PROXY_FIREWALL]),
  jump("filter", "FORWARD", [...commentWords("kubernetes forwarding rules"), "-j", KUBE_FORWARD]),
  jump("filter", "FORWARD", [...NEW, ...commentWords("kubernetes service portals"), "-j", KUBE_SERVICES]),
  jump("filter", "FORWARD", [...NEW, ...commentWords("kubernetes externally-visible service portals"), "-j", KUBE_EXTERNAL_SERVICES]),
  jump("filter", "OUTPUT", [...NEW, ...commentWords("kubernetes load balancer firewall"), "-j", KUBE_PROXY_FIREWALL]),
  jump("filter", "OUTPUT", [...NEW, ...commentWords("kubernetes service portals"), "-j", KUBE_SERVICES]),
  jump("nat", "OUTPUT", [...commentWords("kubernetes service portals"), "-j", KUBE_SERVICES]),
  jump("nat", "PREROUTING", [...commentWords("kubernetes service portals"), "-j", KUBE_SERVICES]),
  jump("nat", "POSTROUTING", [...commentWords("kubernetes postrouting rules"), "-j", KUBE_POSTROUTING]),
];

/** kubelet's KUBE-FIREWALL, hooked from INPUT and OUTPUT; ensured only with localhost NodePorts. */
export const FIREWALL_JUMPS: readonly BuiltinJump[] = [
  jump("filter", "INPUT", ["-j", KUBE_FIREWALL]),
  jump("filter", "OUTPUT", ["-j", KUBE_FIREWALL]),
];
