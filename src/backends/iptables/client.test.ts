import { expect, test } from "bun:test";
import { scriptedRunner } from "../../lib/exec.ts";
import { isBackendError } from "../backend.ts";
import { createIptablesClient } from "./client.ts";

const RESTORE = ["iptables-restore", "--noflush", "-w", "5"];
const LOCKED = { exitCode: 4, stderr: "Another app is currently holding the xtables lock. Stopped waiting after 5s." };

test("a held xtables lock is retried with jittered pauses, and the wait is reported", async () => {
  const runner = scriptedRunner([{ argv: RESTORE, result: LOCKED }, { argv: RESTORE, result: LOCKED }, { argv: RESTORE }]);
  const pauses: number[] = [];
  let waited = 0;
  const client = createIptablesClient(runner, "IPv4", { sleep: async (ms) => void pauses.push(ms), random: () => 0.5, onLockWait: (ms) => (waited = ms) });
  await client.restore("*nat\nCOMMIT\n");
  expect(pauses).toEqual([300, 300]);
  expect(waited).toBe(600);
  expect(runner.calls).toHaveLength(3);
});

test("after the last attempt the lock failure is a BackendError", async () => {
  const runner = scriptedRunner([{ argv: RESTORE, result: LOCKED }, { argv: RESTORE, result: LOCKED }]);
  const client = createIptablesClient(runner, "IPv4", { attempts: 1, sleep: async () => {} });
  const err = await client.restore("*nat\nCOMMIT\n").catch((e) => e);
  expect(isBackendError(err, "apply")).toBe(true);
  expect((err as Error).message).toContain("xtables lock");
});

test("any other failure is not retried", async () => {
  const runner = scriptedRunner([{ argv: ["ip6tables-restore", "--noflush", "-w", "5"], result: { exitCode: 2, stderr: "line 2: bad" } }]);
  const err = await createIptablesClient(runner, "IPv6", { sleep: async () => {} }).restore("x").catch((e) => e);
  expect((err as Error).message).toContain("exit 2");
  expect(runner.calls).toHaveLength(1);
});
