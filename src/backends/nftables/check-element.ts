/**
 * Checks one set or map element against its transaction: each key part against the container's
 * key type and as a value (validate.ts), and its value against the map's kind. Split out of
 * transaction.ts like check-fragment.ts: the transaction owns what is defined and which values
 * it has checked already, and this asks it through `ctx`. Throws NftError (invalid-value or
 * undefined-reference).
 */
import { fail, value, type Container } from "./check-fragment.ts";
import { isVerdict, type ElementObject, type NftFamily, type Verdict } from "./objects.ts";
import { checkPort, checkPrefix, checkProto } from "./validate.ts";

/** What an element check asks of its transaction. */
export interface ElementContext {
  family: NftFamily;
  /** The defined set or map of that name, of either kind. */
  container(name: string): Container | undefined;
  /** Checks an address (the transaction may remember the good ones). */
  addr(addr: string, where: string): void;
  comment(comment: string | undefined): void;
  /** Checks a verdict (and the chains it names). */
  verdict(v: Verdict, where: string): void;
}

/** Checks `e`'s container and key (all a delete needs); returns the container. */
export function checkElementKey(e: ElementObject, ctx: ElementContext): Container {
  const c = ctx.container(e.container);
  if (!c) fail("undefined-reference", `set or map ${JSON.stringify(e.container)} is not defined`);
  const where = `element of ${e.container}`;
  if (e.key.length !== c.keyType.length) fail("invalid-value", `${where}: key has ${e.key.length} parts, type has ${c.keyType.length}`);
  for (let i = 0; i < e.key.length; i++) {
    const part = e.key[i]!;
    const asType = part.type === "prefix" && c.interval ? "addr" : part.type;
    if (asType !== c.keyType[i]) fail("invalid-value", `${where}: key part ${i} is ${part.type}, expected ${c.keyType[i]}`);
    if (part.type === "addr") ctx.addr(part.addr, where);
    if (part.type === "prefix") value(checkPrefix(ctx.family, part.cidr), where);
    if (part.type === "index" && !(Number.isInteger(part.index) && part.index >= 0 && part.index < (c.modulus ?? 0))) {
      fail("invalid-value", `${where}: index ${part.index} outside 0..${(c.modulus ?? 0) - 1}`);
    }
    if (part.type === "inet_proto") value(checkProto(part.proto), where);
    if (part.type === "inet_service") value(checkPort(part.port), where);
  }
  return c;
}

/** Checks an element to add: its key, comment, and a value of the kind its map holds. */
export function checkElement(e: ElementObject, ctx: ElementContext): void {
  const c = checkElementKey(e, ctx);
  ctx.comment(e.comment);
  if (c.kind === "map" && !e.value) fail("invalid-value", `element of map ${e.container} needs a value`);
  if (c.kind === "set" && e.value) fail("invalid-value", `element of set ${e.container} cannot have a value`);
  if (!e.value) return;
  const where = `element of ${e.container}`;
  if (isVerdict(e.value)) {
    if (c.valueType !== "verdict") fail("invalid-value", `${where}: a verdict in an endpoint map`);
    ctx.verdict(e.value, where);
  } else {
    if (c.valueType !== "endpoint") fail("invalid-value", `${where}: an endpoint in a verdict map`);
    ctx.addr(e.value.addr, where);
    value(checkPort(e.value.port), where);
  }
}
