/**
 * Label and field selectors, as the API server accepts them in `labelSelector` and
 * `fieldSelector`. Labels: `k`, `!k`, `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, joined
 * by commas. Fields: `path=v`, `path==v`, `path!=v` over a dotted path (`metadata.name`,
 * `spec.clusterIP`); a missing field reads as "".
 */
import { StatusError } from "./status.ts";

/** One parsed requirement; `values` is empty for exists / not-exists. */
export interface Requirement {
  key: string;
  op: "exists" | "notexists" | "eq" | "neq" | "in" | "notin";
  values: string[];
}

/** Splits on commas that are not inside parentheses (set-based values contain commas). */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of s) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out.map((p) => p.trim()).filter((p) => p !== "");
}

const KEY = /^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$/;

function bad(selector: string, part: string): StatusError {
  return new StatusError(400, "BadRequest", `unable to parse requirement: ${JSON.stringify(part)} in selector ${JSON.stringify(selector)}`);
}

/** Parses a label selector; throws a 400 StatusError naming the bad part. Empty means everything. */
export function parseLabelSelector(selector: string): Requirement[] {
  return splitTop(selector).map((part) => {
    const set = /^(\S+)\s+(in|notin)\s+\((.*)\)$/.exec(part);
    if (set) {
      const [, key = "", op, list = ""] = set;
      if (!KEY.test(key)) throw bad(selector, part);
      return { key, op: op as "in" | "notin", values: list.split(",").map((x) => x.trim()) };
    }
    if (part.startsWith("!")) {
      const key = part.slice(1).trim();
      if (!KEY.test(key)) throw bad(selector, part);
      return { key, op: "notexists", values: [] };
    }
    const m = /^([^=!]+)(==|=|!=)(.*)$/.exec(part);
    if (!m) {
      if (!KEY.test(part)) throw bad(selector, part);
      return { key: part, op: "exists", values: [] };
    }
    const [, key = "", op, value = ""] = m;
    if (!KEY.test(key.trim())) throw bad(selector, part);
    return { key: key.trim(), op: op === "!=" ? "neq" : "eq", values: [value.trim()] };
  });
}

/** Parses a field selector (equality only, as the API server allows); throws a 400 StatusError. */
export function parseFieldSelector(selector: string): Requirement[] {
  return splitTop(selector).map((part) => {
    const m = /^([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (!m) throw bad(selector, part);
    const [, key = "", op, value = ""] = m;
    return { key, op: op === "!=" ? "neq" : "eq", values: [value] };
  });
}

/** True when the labels satisfy every requirement. A `!=` or `notin` also matches a missing key, as upstream does. */
export function matchesLabels(reqs: Requirement[], labels: Record<string, string> | undefined): boolean {
  return reqs.every((r) => {
    const has = labels !== undefined && Object.hasOwn(labels, r.key);
    const value = has ? labels[r.key] : undefined;
    switch (r.op) {
      case "exists": return has;
      case "notexists": return !has;
      case "eq": return has && value === r.values[0];
      case "neq": return !has || value !== r.values[0];
      case "in": return has && r.values.includes(value as string);
      case "notin": return !has || !r.values.includes(value as string);
    }
  });
}

function fieldValue(obj: unknown, path: string): string {
  let cur: unknown = obj;
  for (const p of path.split(".")) {
    if (cur === null || typeof cur !== "object") return "";
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur === undefined || cur === null ? "" : String(cur);
}

/** True when the object's fields satisfy every requirement. */
export function matchesFields(reqs: Requirement[], obj: unknown): boolean {
  return reqs.every((r) => (fieldValue(obj, r.key) === r.values[0]) === (r.op === "eq"));
}
