/**
 * The long-lived `nft -i` (nft-session.ts) against the real kernel, in a namespace of its own:
 * each transaction (a line, or an included file) is one atomic batch, nft's refusal comes back
 * with its words, and the client sends every transaction this way. Skipped without root, `ip`, `nft`.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { isBackendError } from "../../src/backends/backend.ts";
import { createNftClient } from "../../src/backends/nftables/client.ts";
import { NftSession, SESSION_MAX_BYTES } from "../../src/backends/nftables/nft-session.ts";
import { Transaction } from "../../src/backends/nftables/transaction.ts";
import type { Runner } from "../../src/lib/exec.ts";
import { canUseNetns, createTestNetns, type TestNetns } from "../support/nft-netns.ts";

const usable = await canUseNetns();
let ns: TestNetns;

beforeEach(async () => {
  if (usable) ns = await createTestNetns();
});
afterEach(async () => {
  await ns?.dispose();
});

const list = async () => (await ns.runner(["nft", "list", "table", "ip", "t"])).stdout;
const historyFile = join(homedir(), ".nft.history");
const historyStamp = () => (existsSync(historyFile) ? statSync(historyFile).mtimeMs : null);

describe.skipIf(!usable)("nft -i session on the kernel", () => {
  test("transactions in a row; a refused one changes nothing (one line is one batch) and says why", async () => {
    const history = historyStamp();
    const s = new NftSession(ns.runner.start!);
    await s.run("add table ip t\nadd set ip t s { type ipv4_addr ; }\n");
    await s.run("add element ip t s { 10.0.0.1 }\n");
    expect(await list()).toContain("elements = { 10.0.0.1 }");
    // The first command is valid, the second is not: neither may land.
    const err = await s.run("add element ip t s { 10.0.0.2 }\nadd element ip t missing { 10.0.0.3 }\n").catch((e) => e);
    expect(isBackendError(err, "apply")).toBe(true);
    expect(err.message).toContain("missing");
    expect(await list()).not.toContain("10.0.0.2");
    // A new process picks up where the refused one left off.
    await s.run("add element ip t s { 10.0.0.4 }\n");
    expect(await list()).toContain("10.0.0.4");
    s.close();
    // HOME=/dev/null: nft found no history file to read or write.
    expect(historyStamp()).toBe(history);
  });

  test("a line just under the client's limit is read whole", async () => {
    const s = new NftSession(ns.runner.start!);
    await s.run("add table ip t\nadd set ip t s { type ipv4_addr ; }\n");
    const els: string[] = [];
    for (let i = 0; els.join(", ").length < SESSION_MAX_BYTES - 200; i++) els.push(`10.1.${i >> 8}.${i & 255}`);
    await s.run(`add element ip t s { ${els.join(", ")} }\n`);
    expect(await list()).toContain(els.at(-1)!);
    s.close();
  });

  test("an included file is one batch too: a refused one changes nothing and says why", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kpb-include-"));
    try {
      const s = new NftSession(ns.runner.start!);
      await s.run("add table ip t\nadd set ip t s { type ipv4_addr ; }\n");
      writeFileSync(join(dir, "good.nft"), "add element ip t s { 10.0.0.1 }\nadd element ip t s { 10.0.0.2 }\n");
      await s.runFile(join(dir, "good.nft"));
      writeFileSync(join(dir, "bad.nft"), "add element ip t s { 10.0.0.3 }\nadd element ip t missing { 10.0.0.4 }\n");
      const err = await s.runFile(join(dir, "bad.nft")).catch((e) => e);
      expect(isBackendError(err, "apply")).toBe(true);
      expect(err.message).toContain("missing");
      const listed = await list();
      expect(listed).toContain("10.0.0.2");
      expect(listed).not.toContain("10.0.0.3");
      s.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the client: transactions, small or large, go to the one nft -i as an include of a private file that is gone afterwards; a cold-start batch (viaFile) to nft -f", async () => {
    const calls: string[] = [];
    const recording: Runner = Object.assign((argv: readonly string[], stdin?: string) => (calls.push(argv.slice(0, 2).join(" ")), ns.runner(argv, stdin)), {
      start: (argv: readonly string[], env?: Record<string, string>) => (calls.push(argv.join(" ")), ns.runner.start!(argv, env)),
    });
    const client = createNftClient(recording);
    const before = readdirSync(tmpdir()).filter((f) => f.startsWith("kube-proxy-nft-")).length;
    const small = new Transaction({ family: "ip", table: "t" }).add({ kind: "table" }).add({ kind: "set", name: "s", keyType: ["addr"] });
    await client.apply(small);
    const large = new Transaction({ family: "ip", table: "t" }).add({ kind: "table" }).add({ kind: "set", name: "s", keyType: ["addr"] });
    for (let i = 0; i < 1000; i++) large.add({ kind: "element", container: "s", key: [{ type: "addr", addr: `10.2.${i >> 8}.${i & 255}` }] });
    expect(large.toScript().length).toBeGreaterThan(SESSION_MAX_BYTES);
    await client.apply(large);
    const third = new Transaction({ family: "ip", table: "t" }).add({ kind: "table" }).add({ kind: "set", name: "s", keyType: ["addr"] });
    await client.apply(third.add({ kind: "element", container: "s", key: [{ type: "addr", addr: "10.3.0.1" }] }), { viaFile: true });
    expect(calls).toEqual(["nft -i", "nft -f"]);
    const listed = await list();
    expect(listed).toContain("10.2.3.231");
    expect(listed).toContain("10.3.0.1");
    expect(readdirSync(tmpdir()).filter((f) => f.startsWith("kube-proxy-nft-")).length).toBe(before);
    client.close();
  });
});
