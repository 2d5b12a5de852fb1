/**
 * A lab leaves nothing behind: not when the test body throws, not when its creation fails
 * half-way, and not when the process that owns it gets SIGTERM (as the demo may). Root only.
 */
import { expect, test } from "bun:test";
import { resolve } from "node:path";
import { realRunner } from "../../src/lib/exec.ts";
import { createLab } from "../../src/sandbox/lab/create-lab.ts";
import { labCommand, namespacesWithPrefix, withLab } from "../support/lab-fixture.ts";

test("the lab is removed even when the test body throws", async () => {
  let prefix = "";
  const run = withLab({ pods: 1 }, async (lab) => {
    prefix = lab.prefix;
    await lab.startEchoServers({ tcpPort: 8080, udpPort: 5353 });
    expect(await namespacesWithPrefix(prefix)).toHaveLength(4);
    throw new Error("boom");
  });
  await expect(run).rejects.toThrow("boom");
  expect(prefix).not.toBe("");
  expect(await namespacesWithPrefix(prefix)).toEqual([]);
}, 30_000);

test("a lab whose creation fails half-way removes what it made", async () => {
  const prefix = `kpb-${process.pid}-broken`;
  const made = createLab({ runner: realRunner, pods: [{ name: "pod-a" }, { name: "Not_A_Label" }], prefix, command: labCommand() });
  await expect(made).rejects.toThrow("bad pod name");
  expect(await namespacesWithPrefix(prefix)).toEqual([]);
}, 30_000);

async function signalledChild(prefix: string, extra: string[]): Promise<number> {
  const child = Bun.spawn([process.execPath, resolve(import.meta.dir, "../support/lab-signal-child.ts"), prefix, ...extra], { stdout: "pipe", stderr: "pipe" });
  try {
    const reader = child.stdout.getReader();
    let out = "";
    while (!out.includes("ready")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`child exited early: ${await new Response(child.stderr).text()}`);
      out += new TextDecoder().decode(value);
    }
    expect((await namespacesWithPrefix(prefix)).length).toBe(4);
    child.kill("SIGTERM");
    return await child.exited;
  } finally {
    child.kill("SIGKILL");
    // Should the child have died without cleaning up, do it here so nothing lingers.
    for (const ns of await namespacesWithPrefix(prefix)) await realRunner(["ip", "netns", "del", ns]);
  }
}

test("SIGTERM to the owning process destroys its lab and exits 143", async () => {
  const prefix = `kpb-${process.pid}-sig`;
  const code = await signalledChild(prefix, []);
  expect(await namespacesWithPrefix(prefix)).toEqual([]);
  expect(code).toBe(143);
}, 30_000);

test("with a SIGTERM handler of its own (as the demo has), the lab is destroyed and that handler decides the exit", async () => {
  const prefix = `kpb-${process.pid}-sig2`;
  const code = await signalledChild(prefix, ["own-handler"]);
  expect(await namespacesWithPrefix(prefix)).toEqual([]);
  expect(code).toBe(7);
}, 30_000);
