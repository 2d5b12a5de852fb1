/**
 * Names of a lab's namespaces. Every name starts with the lab's prefix, unique per process and
 * lab (`kpb-<pid>-<n>`), so parallel test files and leftovers of other runs never collide, and
 * `ip netns list | grep <prefix>` finds everything a lab made.
 */

let counter = 0;

/** A fresh prefix for one lab in this process: `kpb-<pid>-<n>`. */
export function nextLabPrefix(): string {
  return `kpb-${process.pid}-${counter++}`;
}

/** The names `ip netns` accepts and `inNetns` allows. */
const NS_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** A pod name: a DNS label, short enough to fit the namespace name limit. */
const POD_NAME = /^[a-z0-9]([-a-z0-9]{0,28}[a-z0-9])?$/;

/** Throws when `prefix` cannot start a namespace name (letters, digits, '.', '_', '-'; at most 24). */
export function checkPrefix(prefix: string): void {
  if (!/^[A-Za-z0-9_.-]{1,24}$/.test(prefix)) throw new Error(`lab: bad prefix ${JSON.stringify(prefix)}`);
}

/** Names of the fixed namespaces, which a pod may not take. */
const RESERVED = new Set(["node", "client", "sink"]);

/** Throws when `name` is not a usable pod name (a DNS label of at most 30 characters, not node/client/sink). */
export function checkPodName(name: string): void {
  if (!POD_NAME.test(name)) throw new Error(`lab: bad pod name ${JSON.stringify(name)} (want a DNS label of at most 30 characters)`);
  if (RESERVED.has(name)) throw new Error(`lab: pod name ${JSON.stringify(name)} is reserved for a fixed namespace`);
}

/** The fixed namespaces of a lab. */
export function labNamespaces(prefix: string): { node: string; client: string; sink: string } {
  return { node: `${prefix}-node`, client: `${prefix}-client`, sink: `${prefix}-sink` };
}

/** The namespace of pod `name` (`<prefix>-pod-a` for pod-a). */
export function podNamespace(prefix: string, name: string): string {
  const ns = `${prefix}-${name}`;
  if (!NS_NAME.test(ns)) throw new Error(`lab: namespace name ${JSON.stringify(ns)} is not usable`);
  return ns;
}

/** The node's end of pod number `index`'s veth (interface names are at most 15 characters). */
export function podLinkName(index: number): string {
  return `pod${index}`;
}
