import { describe, expect, test } from "bun:test";
import { isBackendError } from "../backend.ts";
import { scriptedRunner } from "../../lib/exec.ts";
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
});
