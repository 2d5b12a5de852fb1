/**
 * Checks one rule fragment against its transaction: values are parsed-and-printed forms
 * (validate.ts), and every set or map a fragment uses exists with the right key and value types.
 * Split out of transaction.ts, which owns what is defined; this only asks it through `ctx`.
 * Throws NftError (invalid-value or undefined-reference).
 */
import { NftError, type NftErrorKind } from "./nft-error.ts";
import type { KeyType, L4Proto, NftFamily, PacketField, RuleFragment, Verdict } from "./objects.ts";
import { checkAddr, checkIfname, checkMark, checkPort, checkPrefix, checkProto } from "./validate.ts";

/** What a transaction knows of one set or map. */
export interface Container {
  kind: "set" | "map";
  keyType: readonly KeyType[];
  interval: boolean;
  dynamicTimeout: boolean;
  valueType: "verdict" | "endpoint" | null;
  modulus: number | undefined;
  /** Endpoint maps: the protocol of the port in the key. */
  proto?: L4Proto | undefined;
}

/** What a fragment check asks of its transaction. */
export interface FragmentContext {
  family: NftFamily;
  /** The defined set or map, or throws undefined-reference. */
  container(name: string, kind: "set" | "map"): Container;
  /** Checks a verdict (and the chains it names). */
  verdict(v: Verdict, where: string): void;
}

/** The key type a packet field has in a set or map. */
export const FIELD_TYPE: Record<PacketField, KeyType> = { saddr: "addr", daddr: "addr", l4proto: "inet_proto", dport: "inet_service" };

/** Throws the NftError of a failed check (shared by the transaction's checks). */
export function fail(kind: NftErrorKind, message: string): never {
  throw new NftError(kind, message);
}

/** Fails with invalid-value when a validate.ts check said what is wrong. */
export function value(bad: string | null, where: string): void {
  if (bad) fail("invalid-value", `${where}: ${bad}`);
}

export function checkFragment(f: RuleFragment, where: string, ctx: FragmentContext): void {
  if ("match" in f) {
    switch (f.match) {
      case "ct-state":
        if (f.states.length === 0) fail("invalid-value", `${where}: empty ct state`);
        return;
      case "addr":
        return value(checkAddr(ctx.family, f.addr), where);
      case "addr-in-set": {
        const c = ctx.container(f.set, "set");
        if (c.keyType.length !== 1 || c.keyType[0] !== "addr") fail("invalid-value", `${where}: set ${f.set} is not a set of addresses`);
        return;
      }
      case "l4proto":
        return value(checkProto(f.proto), where);
      case "mark-clear":
        return value(checkMark(f.mask), where);
      case "addr-not-in-prefix":
        return value(checkPrefix(ctx.family, f.cidr), where);
      case "iifname-not":
      case "iifname":
        return value(checkIfname(f.name), where);
      case "addr-in-prefix":
        return value(checkPrefix(ctx.family, f.cidr), where);
      case "fib-saddr-local":
      case "fib-daddr-local":
      case "ct-status-dnat":
        return;
      case "key-in-set": {
        const c = ctx.container(f.set, "set");
        if (f.key.map((k) => FIELD_TYPE[k]).join(" . ") !== c.keyType.join(" . ")) fail("invalid-value", `${where}: key ${f.key.join(" . ")} does not match set ${f.set}`);
        return;
      }
    }
  }
  switch (f.stmt) {
    case "vmap": {
      const c = ctx.container(f.map, "map");
      const types = f.key.map((k) => FIELD_TYPE[k]);
      if (types.join(" . ") !== c.keyType.join(" . ")) fail("invalid-value", `${where}: key ${f.key.join(" . ")} does not match map ${f.map}`);
      return;
    }
    case "numgen-vmap":
      if (f.targets.length === 0) fail("invalid-value", `${where}: numgen without targets`);
      for (const t of f.targets) ctx.verdict(t, where);
      return;
    case "mark-or":
    case "mark-xor":
      return value(checkMark(f.value), where);
    case "dnat":
      value(checkAddr(ctx.family, f.addr), where);
      return value(checkPort(f.port), where);
    case "dnat-map": {
      const c = ctx.container(f.map, "map");
      value(checkProto(f.proto), where);
      const want = [...f.key.map((k) => FIELD_TYPE[k]), "index"].join(" . ");
      if (c.valueType !== "endpoint" || c.keyType.join(" . ") !== want) fail("invalid-value", `${where}: map ${f.map} is not an endpoint map keyed ${want}`);
      if (c.proto !== f.proto) fail("invalid-value", `${where}: map ${f.map} holds ${c.proto ?? "unknown"} ports, not ${f.proto}`);
      if (f.modulus !== c.modulus) fail("invalid-value", `${where}: modulus ${f.modulus} differs from map ${f.map}'s ${c.modulus}`);
      return;
    }
    case "masquerade":
    case "reject":
      return;
    case "set-update-saddr": {
      const c = ctx.container(f.set, "set");
      if (!c.dynamicTimeout || c.keyType.join(" . ") !== "addr") fail("invalid-value", `${where}: set ${f.set} is not a dynamic set of addresses`);
      if (!Number.isInteger(f.timeoutSeconds) || f.timeoutSeconds < 1 || f.timeoutSeconds > 86400) fail("invalid-value", `${where}: timeout ${f.timeoutSeconds} not in 1..86400`);
      return;
    }
    case "verdict":
      return ctx.verdict(f.verdict, where);
  }
}
