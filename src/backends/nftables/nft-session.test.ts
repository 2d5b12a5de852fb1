import { describe, expect, test } from "bun:test";
import { isBackendError } from "../backend.ts";
import type { LiveProcess, Starter } from "../../lib/exec.ts";
import { asOneLine, includeLine, NftSession, NftSessionUnavailable, splitAnswer } from "./nft-session.ts";

/**
 * A stand-in for `nft -i`: answers each input line the way nft does. Nothing for a line it
 * accepts; "Error: ..." with the line echoed and a caret line for one it refuses (any line with
 * "bad" in it, and every sentinel, which is not nft syntax). Answers come later, in pieces.
 */
/**
 * `dieOnLine`: the first process exits 1 on reading that line. `noise`: said on stderr at
 * start-up. `noCli`: an nft built without its CLI, which says so and exits at once.
 */
function fakeNft(opts: { silent?: boolean; dieOnLine?: number; noise?: string; noCli?: boolean } = {}) {
  const started: { argv: readonly string[]; env?: Record<string, string>; lines: string[]; ended: boolean; killed: boolean }[] = [];
  const start: Starter = (argv, env) => {
    const me = { argv, env, lines: [] as string[], ended: false, killed: false };
    started.push(me);
    const listeners: ((t: string) => void)[] = [];
    let exit!: (code: number) => void;
    const exited = new Promise<number>((r) => (exit = r));
    const say = (text: string) => setTimeout(() => {
      // Split to prove the reader copes with answers that arrive in pieces.
      const mid = Math.floor(text.length / 2);
      for (const l of listeners) l(text.slice(0, mid));
      for (const l of listeners) l(text.slice(mid));
    }, 1);
    if (opts.noCli) setTimeout(() => (listeners.forEach((l) => l("Error: interactive CLI not supported in this build\n")), exit(1)), 1);
    if (opts.noise) setTimeout(() => listeners.forEach((l) => l(opts.noise!)), 0);
    const p: LiveProcess = {
      write(text) {
        if (me.ended || me.killed) return false;
        for (const line of text.split("\n").filter(Boolean)) {
          me.lines.push(line);
          if (started.length === 1 && opts.dieOnLine === me.lines.length) {
            setTimeout(() => exit(1), 1);
            continue;
          }
          if (opts.silent) continue;
          if (line.includes("bad") || line.startsWith("kube-proxy-end-of-transaction-")) say(`Error: syntax error, unexpected newline\n${line}\n${" ".repeat(line.length)}^\n`);
        }
        return true;
      },
      onStderr: (l) => void listeners.push(l),
      exited,
      end: () => ((me.ended = true), exit(0)),
      kill: () => ((me.killed = true), exit(137)),
    };
    return p;
  };
  return { start, started };
}

describe("splitAnswer and asOneLine", () => {
  test.each([
    ["nothing yet", "", null],
    ["the sentinel's error without its caret line", "Error: x\nS-1\n", null],
    ["success: only the sentinel's error", "Error: x\nS-1\n   ^\n", { own: "", rest: "" }],
    ["failure: the transaction's error first", "Error: No such file\nadd element ...\n   ^^^\nError: x\nS-1\n   ^\nmore", { own: "Error: No such file\nadd element ...\n   ^^^", rest: "more" }],
  ])("%s", (_name, stderr, want) => {
    expect(splitAnswer(stderr, "S-1")).toEqual(want);
  });

  test("a script's commands become one line (one nft buffer, so one batch)", () => {
    expect(asOneLine("add table ip t\n\nadd chain ip t c { comment \"x\" ; }\n")).toBe('add table ip t ; add chain ip t c { comment "x" ; }');
  });
});

describe("NftSession", () => {
  test("one process serves transactions in order; HOME points where no history can be written", async () => {
    const nft = fakeNft();
    const s = new NftSession(nft.start);
    await Promise.all([s.run("add table ip a\nadd chain ip a c\n"), s.run("add table ip b\n")]);
    expect(nft.started).toHaveLength(1);
    expect(nft.started[0]!.argv).toEqual(["nft", "-i"]);
    expect(nft.started[0]!.env).toEqual({ HOME: "/dev/null" });
    const lines = nft.started[0]!.lines;
    // A new process first answers a sentinel alone.
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^kube-proxy-end-of-transaction-\w+-1$/);
    expect(lines[1]).toBe("add table ip a ; add chain ip a c");
    expect(lines[2]).toMatch(/^kube-proxy-end-of-transaction-\w+-2$/);
    expect(lines[3]).toBe("add table ip b");
    expect(lines[4]).toMatch(/^kube-proxy-end-of-transaction-\w+-3$/);
  });

  test("nft's refusal becomes BackendError(apply) with nft's words; the next transaction gets a new process", async () => {
    const nft = fakeNft();
    const s = new NftSession(nft.start);
    const err = await s.run("add element ip t bad { 1.2.3.4 }").catch((e) => e);
    expect(isBackendError(err, "apply")).toBe(true);
    expect(err.message).toContain("add element ip t bad { 1.2.3.4 }");
    expect(err.message).not.toContain("kube-proxy-end-of-transaction");
    expect(nft.started[0]!.killed).toBe(true);
    await s.run("add table ip ok");
    expect(nft.started).toHaveLength(2);
  });

  test("a process that dies mid-transaction fails it; the next one starts another", async () => {
    const nft = fakeNft({ dieOnLine: 2 });
    const s = new NftSession(nft.start);
    const err = await s.run("add table ip t").catch((e) => e);
    expect(isBackendError(err, "apply")).toBe(true);
    expect(err.message).toMatch(/nft -i exited 1/);
    await s.run("add table ip t");
    expect(nft.started).toHaveLength(2);
  });

  test("no answer within the timeout: the process is killed and the transaction fails", async () => {
    const nft = fakeNft({ silent: true });
    const s = new NftSession(nft.start, { timeoutMs: 20 });
    const err = await s.run("add table ip t").catch((e) => e);
    expect(isBackendError(err, "apply")).toBe(true);
    expect(err.message).toContain("no answer in 20 ms");
    expect(nft.started[0]!.killed).toBe(true);
  });

  test("the process is replaced after maxCommands transactions (its history grows); close ends it", async () => {
    const nft = fakeNft();
    const s = new NftSession(nft.start, { maxCommands: 2 });
    for (let i = 0; i < 5; i++) await s.run(`add table ip t${i}`);
    expect(nft.started.map((p) => p.lines.length)).toEqual([5, 5, 3]);
    expect(nft.started.slice(0, 2).every((p) => p.ended)).toBe(true);
    s.close();
    expect(nft.started[2]!.ended).toBe(true);
  });

  test("what nft says at start-up is not taken for the first transaction's answer", async () => {
    const nft = fakeNft({ noise: "Warning: something about the terminal\n" });
    await new NftSession(nft.start).run("add table ip t");
    expect(nft.started).toHaveLength(1);
  });

  test("an nft without its CLI: NftSessionUnavailable, and no transaction was sent", async () => {
    const nft = fakeNft({ noCli: true });
    const err = await new NftSession(nft.start).run("add table ip t").catch((e) => e);
    expect(err).toBeInstanceOf(NftSessionUnavailable);
    expect(isBackendError(err, "apply")).toBe(true);
    expect(err.message).toContain("interactive CLI not supported");
    expect(nft.started[0]!.lines.some((l) => l.includes("add table"))).toBe(false);
  });

  test("a program that cannot be started at all is NftSessionUnavailable too", async () => {
    const err = await new NftSession(() => {
      throw new Error("ENOENT: nft");
    }).run("add table ip t").catch((e) => e);
    expect(err).toBeInstanceOf(NftSessionUnavailable);
    expect(err.message).toContain("ENOENT");
  });

  test("runFile sends one include line; a path nft's quotes cannot hold as it is never reaches nft", async () => {
    const nft = fakeNft();
    const s = new NftSession(nft.start);
    await s.runFile("/tmp/kube-proxy-nft-Ab1_x/batch.nft");
    expect(nft.started[0]!.lines.filter((l) => !l.startsWith("kube-proxy-end-of-transaction-"))).toEqual(['include "/tmp/kube-proxy-nft-Ab1_x/batch.nft"']);
    for (const bad of ['/tmp/a"b.nft', "/tmp/a b.nft", "relative.nft", "/tmp/../etc/x.nft", "/tmp/x.nft\nflush ruleset"]) {
      expect(includeLine(bad)).toBeNull();
      expect(isBackendError(await s.runFile(bad).catch((e) => e), "apply")).toBe(true);
    }
    expect(nft.started[0]!.lines.filter((l) => l.startsWith("include"))).toHaveLength(1);
    s.close();
  });

  test("closeIfIdle ends the process only when no transaction is queued or running", async () => {
    const nft = fakeNft();
    const s = new NftSession(nft.start);
    const first = s.run("add table ip t");
    s.closeIfIdle();
    await first;
    expect(nft.started[0]!.ended).toBe(false);
    s.closeIfIdle();
    expect(nft.started[0]!.ended).toBe(true);
  });
});
