import { describe, expect, test } from "bun:test";
import { quoteForSh, realRunner } from "./exec.ts";

describe("realRunner", () => {
  test.each([
    ["plain", ["a", "b-c", "10.0.0.1/24", "x=y,z"]],
    ["spaces, quotes and shell syntax stay single arguments", ["two words", "it's", `"dq"`, "$HOME", "`id`", "a;b|c&d", "*", "", "new\nline", "back\\slash"]],
  ])("%s: argv reaches the program unchanged", async (_name, args) => {
    const out = await realRunner([process.execPath, "-e", "process.stdout.write(JSON.stringify(process.argv.slice(1)))", ...args]);
    expect(out.exitCode).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual(args);
  });

  test("stdin is written whole; a non-zero exit is a value, not a throw", async () => {
    const out = await realRunner(["sh", "-c", "wc -c; echo oops >&2; exit 3"], "x".repeat(100_000));
    expect(out).toEqual({ exitCode: 3, stdout: expect.stringMatching(/^\s*100000\s*$/), stderr: "oops\n" });
  });

  test("quoteForSh leaves safe words bare and single-quotes the rest", () => {
    expect(quoteForSh("nft")).toBe("nft");
    expect(quoteForSh("it's")).toBe(`'it'\\''s'`);
  });
});
