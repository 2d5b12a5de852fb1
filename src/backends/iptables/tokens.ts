/**
 * The words an iptables rule is made of. Every word that reaches restore text passes through
 * here: plain words must be made of a safe alphabet, comments are sanitized, and the printed form
 * is the one `iptables-save` prints back, so the fake's dump and the kernel's dump compare equal.
 */

/** Characters a plain (unquoted) iptables-restore word may carry. */
const PLAIN_WORD = /^[A-Za-z0-9_.:/,!=+\-[\]]+$/;

/** A restore word, or throws: callers pass only parsed and re-printed values. */
export function word(w: string): string {
  if (!PLAIN_WORD.test(w)) throw new Error(`iptables: unsafe word ${JSON.stringify(w)}`);
  return w;
}

/**
 * A comment as iptables-save prints it: quoted unless it is one plain word, at most 256 bytes, with
 * anything outside a safe printable set replaced, so no API string can break out of the quotes.
 */
export function comment(text: string): string {
  const clean = text.replace(/[^A-Za-z0-9 _.:/,=+\-@()>]/g, "_").slice(0, 256);
  // iptables-save leaves a comment bare only when it is made of letters, digits, '_' and '-'.
  return /^[A-Za-z0-9_-]+$/.test(clean) ? clean : `"${clean}"`;
}

/** The built-in chains of each table, in the order iptables-save prints them. */
export const BUILTIN_CHAINS: Record<string, readonly string[]> = {
  filter: ["INPUT", "FORWARD", "OUTPUT"],
  nat: ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"],
  mangle: ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"],
};

const ALL_BUILTINS = new Set(Object.values(BUILTIN_CHAINS).flat());

export const isBuiltinChain = (name: string) => ALL_BUILTINS.has(name);

/** Chain names: upper-case kube-proxy names up to the kernel's 28 characters. */
export function chainName(name: string): string {
  if (!/^[A-Z0-9][A-Z0-9_-]{0,27}$/.test(name)) throw new Error(`iptables: bad chain name ${JSON.stringify(name)}`);
  return name;
}

/** A user chain name (never a built-in one, which kube-proxy must not declare or flush). */
export function userChainName(name: string): string {
  if (isBuiltinChain(chainName(name))) throw new Error(`iptables: ${name} is a built-in chain`);
  return name;
}
