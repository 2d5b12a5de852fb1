import { describe, expect, test } from "bun:test";
import { inNetns, quoteForSh, realRunner, realStarter } from "./exec.ts";

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

describe("realStarter", () => {
  test("a process that stays up: fed through stdin, heard through stderr, ended by closing stdin", async () => {
    const p = realStarter(["sh", "-c", 'while read -r l; do echo "got $l $HOME" >&2; done'], { HOME: "/dev/null" });
    let heard = "";
    p.onStderr((t) => (heard += t));
    expect(p.write("one\n")).toBe(true);
    expect(p.write("two\n")).toBe(true);
    for (let i = 0; i < 200 && !heard.includes("two"); i++) await Bun.sleep(5);
    expect(heard).toBe("got one /dev/null\ngot two /dev/null\n");
    p.end();
    expect(await p.exited).toBe(0);
  });

  test("kill ends it; inNetns puts `ip netns exec NAME` in front of a start too", async () => {
    const p = realStarter(["sleep", "30"]);
    p.kill();
    expect(await p.exited).not.toBe(0);
    const seen: string[][] = [];
    const runner = Object.assign(realRunner.bind(null), { start: (argv: readonly string[]) => (seen.push([...argv]), realStarter(["true"])) });
    await inNetns(runner, "lab-1").start!(["nft", "-i"]).exited;
    expect(seen).toEqual([["ip", "netns", "exec", "lab-1", "nft", "-i"]]);
  });
});

