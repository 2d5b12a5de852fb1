import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import { intFlag, parseFlags, splitFlags } from "./flags.ts";

const spec = { a: "value", b: "value", on: "switch" } as const;

describe("splitFlags", () => {
  const rows: { argv: string[]; want: Record<string, string | true> | string }[] = [
    { argv: [], want: {} },
    { argv: ["--a", "1", "--b=2"], want: { a: "1", b: "2" } },
    { argv: ["--a=x=y"], want: { a: "x=y" } },
    { argv: ["--on", "--a", "--b"], want: { on: true, a: "--b" } },
    { argv: ["--a="], want: { a: "" } },
    { argv: ["a"], want: 'unexpected argument "a"' },
    { argv: ["--zz", "1"], want: "unknown flag --zz" },
    { argv: ["--a", "1", "--a", "2"], want: "flag --a given twice" },
    { argv: ["--a"], want: "flag --a needs a value" },
    { argv: ["--on=yes"], want: 'flag --on takes no value, got "yes"' },
  ];
  for (const { argv, want } of rows) {
    test(JSON.stringify(argv), () => {
      const r = splitFlags(argv, spec);
      expect(r).toEqual(typeof want === "string" ? { ok: false, message: want } : { ok: true, value: want });
    });
  }
});

describe("parseFlags with a schema", () => {
  const schema = v.object({ a: intFlag(1, 10), b: v.optional(v.string(), "dflt") });
  const rows: { argv: string[]; want: { a: number; b: string } | string }[] = [
    { argv: ["--a", "3"], want: { a: 3, b: "dflt" } },
    { argv: ["--a", "10", "--b", "x"], want: { a: 10, b: "x" } },
    { argv: ["--b", "x"], want: "missing flag --a" },
    { argv: ["--a", "0"], want: 'invalid value for --a: "0" (must be an integer 1..10)' },
    { argv: ["--a", "11"], want: 'invalid value for --a: "11" (must be an integer 1..10)' },
    { argv: ["--a", "3.5"], want: 'invalid value for --a: "3.5" (must be an integer 1..10)' },
    { argv: ["--a", "-1"], want: 'invalid value for --a: "-1" (must be an integer 1..10)' },
    { argv: ["--a", ""], want: 'invalid value for --a: "" (must be an integer 1..10)' },
  ];
  for (const { argv, want } of rows) {
    test(JSON.stringify(argv), () => {
      const r = parseFlags(argv, spec, schema);
      expect(r).toEqual(typeof want === "string" ? { ok: false, message: want } : { ok: true, value: want });
    });
  }
});
