import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync, statSync } from "node:fs";
import { isBackendError } from "../backend.ts";
import { scriptedRunner, type LiveProcess } from "../../lib/exec.ts";
import { createNftClient } from "./client.ts";
import { Transaction } from "./transaction.ts";

const tx = () => new Transaction({ family: "ip", table: "kube-proxy" }).add({ kind: "table" }).add({ kind: "chain", name: "a" });

describe("createNftClient", () => {
  test("apply runs nft -f - once with the whole script on stdin", async () => {
    const t = tx();
    const runner = scriptedRunner([{ argv: ["nft", "-f", "-"], stdin: t.toScript() }]);
    const r = await createNftClient(runner).apply(t);
    expect(runner.calls).toHaveLength(1);
    expect(r.scriptBytes).toBe(Buffer.byteLength(t.toScript()));
  });

  test("viaFile: nft -f FILE gets the script from a private file that is gone afterwards", async () => {
    const t = tx();
    let seen: { file: string; text: string; mode: number } | null = null;
    const r = await createNftClient(async (argv, stdin) => {
      expect(argv.slice(0, 2)).toEqual(["nft", "-f"]);
      expect(stdin).toBeUndefined();
      const file = argv[2]!;
      seen = { file, text: readFileSync(file, "utf8"), mode: statSync(file).mode & 0o777 };
      return { exitCode: 0, stdout: "", stderr: "" };
    }).apply(t, { viaFile: true });
    expect(seen!.text).toBe(t.toScript());
    expect(seen!.mode).toBe(0o600);
    expect(existsSync(seen!.file)).toBe(false);
    expect(r.scriptBytes).toBe(Buffer.byteLength(t.toScript()));
  });

  test("viaFile without a writable temporary directory falls back to stdin", async () => {
    const t = tx();
    const before = process.env.TMPDIR;
    process.env.TMPDIR = "/proc/no-such-dir";
    try {
      const runner = scriptedRunner([{ argv: ["nft", "-f", "-"], stdin: t.toScript() }]);
      await createNftClient(runner).apply(t, { viaFile: true });
      expect(runner.calls).toHaveLength(1);
    } finally {
      if (before === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = before;
    }
  });

  test("hasTable: nft -c create table answers false (exit 0), true (File exists), or throws", async () => {
    const argv = ["nft", "-c", "create", "table", "ip", "kube-proxy"];
    expect(await createNftClient(scriptedRunner([{ argv }])).hasTable("ip")).toBe(false);
    expect(await createNftClient(scriptedRunner([{ argv, result: { exitCode: 1, stderr: "Error: Could not process rule: File exists\n" } }])).hasTable("ip")).toBe(true);
    const err = await createNftClient(scriptedRunner([{ argv, result: { exitCode: 1, stderr: "Error: Operation not permitted\n" } }])).hasTable("ip").catch((e) => e);
    expect(isBackendError(err, "apply")).toBe(true);
  });

  test("a non-zero exit is BackendError(apply) carrying nft's stderr", async () => {
    const runner = scriptedRunner([{ argv: ["nft", "-f", "-"], result: { exitCode: 1, stderr: "Error: No such file or directory\n" } }]);
    const err = await createNftClient(runner).apply(tx()).catch((e) => e);
    expect(isBackendError(err, "apply")).toBe(true);
    expect(String(err.message)).toContain("No such file or directory");
  });

  test("a transaction with a sticky error never runs nft", async () => {
    const runner = scriptedRunner([]);
    const bad = tx().add({ kind: "rule", chain: "missing", fragments: [{ stmt: "reject" }] });
    const err = await createNftClient(runner).apply(bad).catch((e) => e);
    expect(isBackendError(err, "apply")).toBe(true);
    expect(String(err.message)).toContain("undefined-reference");
    expect(runner.calls).toHaveLength(0);
  });

  test("a runner that cannot start nft becomes BackendError", async () => {
    const err = await createNftClient(async () => {
      throw new Error("spawn nft ENOENT");
    })
      .apply(tx())
      .catch((e) => e);
    expect(isBackendError(err, "apply")).toBe(true);
  });

  test("deleteTable adds then deletes in one transaction, so a missing table is fine", async () => {
    const runner = scriptedRunner([{ argv: ["nft", "-f", "-"], stdin: "add table ip6 kube-proxy\ndelete table ip6 kube-proxy\n" }]);
    await createNftClient(runner).deleteTable("ip6");
    expect(runner.calls).toHaveLength(1);
  });

  test("listTable returns nft's listing", async () => {
    const runner = scriptedRunner([{ argv: ["nft", "list", "table", "ip", "kube-proxy"], result: { stdout: "table ip kube-proxy {\n}\n" } }]);
    expect(await createNftClient(runner).listTable("ip")).toBe("table ip kube-proxy {\n}\n");
  });

  test("where nft -i cannot run (an nft without its CLI), transactions go to nft -f, and that is said once", async () => {
    const t = tx();
    const runner = scriptedRunner([{ argv: ["nft", "-f", "-"], stdin: t.toScript() }, { argv: ["nft", "-f", "-"], stdin: t.toScript() }]);
    let starts = 0;
    const noCli = (): LiveProcess => {
      starts++;
      let exit!: (code: number) => void;
      const exited = new Promise<number>((r) => (exit = r));
      const listeners: ((t: string) => void)[] = [];
      setTimeout(() => (listeners.forEach((l) => l("Error: interactive CLI not supported in this build\n")), exit(1)), 1);
      return { write: () => true, onStderr: (l) => void listeners.push(l), exited, end: () => {}, kill: () => {} };
    };
    const said: string[] = [];
    const client = createNftClient(Object.assign(runner, { start: noCli }), { onSessionUnavailable: (why) => said.push(why) });
    await client.apply(t);
    await client.apply(t);
    expect(runner.calls).toHaveLength(2);
    expect(starts).toBe(1);
    expect(said).toHaveLength(1);
    expect(said[0]).toContain("interactive CLI not supported");
  });

  test("with nft -i: each transaction is an include of a private file, there while nft reads it and gone afterwards; without a writable temporary directory a small one goes inline", async () => {
    const t = tx();
    const lines: string[] = [];
    const seen: { text: string; mode: number }[] = [];
    const start = (): LiveProcess => {
      const listeners: ((t: string) => void)[] = [];
      return {
        write(text) {
          for (const line of text.split("\n").filter(Boolean)) {
            lines.push(line);
            const inc = /^include "(.*)"$/.exec(line);
            if (inc) seen.push({ text: readFileSync(inc[1]!, "utf8"), mode: statSync(inc[1]!).mode & 0o777 });
            if (line.startsWith("kube-proxy-end-of-transaction-")) setTimeout(() => listeners.forEach((l) => l(`Error: syntax error\n${line}\n^\n`)), 1);
          }
          return true;
        },
        onStderr: (l) => void listeners.push(l),
        exited: new Promise<number>(() => {}),
        end: () => {},
        kill: () => {},
      };
    };
    const runner = Object.assign(scriptedRunner([]), { start });
    const client = createNftClient(runner);
    await client.apply(t);
    await client.apply(t);
    expect(seen).toEqual([{ text: t.toScript(), mode: 0o600 }, { text: t.toScript(), mode: 0o600 }]);
    const files = lines.filter((l) => l.startsWith("include")).map((l) => /"(.*)"/.exec(l)![1]!);
    expect(files.some((f) => existsSync(f))).toBe(false);
    const before = process.env.TMPDIR;
    process.env.TMPDIR = "/proc/no-such-dir";
    try {
      await client.apply(t);
    } finally {
      if (before === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = before;
    }
    expect(lines.filter((l) => !l.startsWith("kube-proxy-end-of-transaction-")).at(-1)).toBe(t.toScript().trim().split("\n").join(" ; "));
    expect(runner.calls).toHaveLength(0);
    client.close();
  });
});
