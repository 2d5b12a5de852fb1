/** The compiled binary's command line: version, help, and clear errors for bad flags and kubeconfigs. */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBinary, runBinary } from "../support/binary.ts";

const dir = mkdtempSync(join(tmpdir(), "kpb-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("kube-proxy command line", () => {
  test("--version and --help", async () => {
    const v = await runBinary(["--version"]);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^kube-proxy-bun v\d+\.\d+\.\d+\n$/);
    const h = await runBinary(["--help"]);
    expect(h.code).toBe(0);
    for (const flag of ["--kubeconfig", "--master", "--hostname-override", "--proxy-mode", "--healthz-bind-address", "--metrics-bind-address", "--sync-period", "--min-sync-period", "--v"]) {
      expect(h.stdout).toContain(flag);
    }
    expect(h.stdout).toContain("demo");
  });

  test.each([
    [["--bogus"], "unknown flag: --bogus"],
    [["--sync-period", "fast"], 'invalid argument "fast" for "--sync-period" flag'],
    [["--healthz-bind-address", "nowhere:80"], 'invalid argument "nowhere:80" for "--healthz-bind-address" flag'],
    [["--proxy-mode", "ipvs"], 'invalid argument "ipvs" for "--proxy-mode" flag'],
  ])("bad flag %p exits 2 naming the flag and value", async (args, message) => {
    const r = await runBinary(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  test.each([
    ["missing file", null, "cannot read: ENOENT"],
    ["broken YAML", "apiVersion: v1\nclusters: [\n", "kubeconfig"],
    ["context naming an unknown cluster", "apiVersion: v1\nkind: Config\ncurrent-context: c\ncontexts:\n- name: c\n  context: {cluster: nope, user: u}\nclusters: []\nusers:\n- name: u\n  user: {token: t}\n", "nope"],
  ] as [string, string | null, string][])("a broken kubeconfig (%s) names the file and what is wrong", async (_name, content, detail) => {
    const path = join(dir, `kubeconfig-${Math.random().toString(36).slice(2)}`);
    if (content !== null) writeFileSync(path, content);
    const r = await runBinary([`--kubeconfig=${path}`, "--healthz-bind-address=", "--metrics-bind-address="]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(path);
    expect(r.stderr.toLowerCase()).toContain(detail.toLowerCase());
  });

  // lib/jit-tiers.ts: the binary execs itself once with FTL off, keeping its PID and arguments;
  // an operator's own setting is kept. Seen from /proc while a long-lived subcommand listens.
  test.each([
    ["unset: the binary turns FTL off", undefined, "0"],
    ["set by the operator: kept", "1", "1"],
  ] as [string, string | undefined, string][])("JIT tiers: BUN_JSC_useFTLJIT %s", async (_name, given, want) => {
    const env: Record<string, string | undefined> = { ...process.env, BUN_JSC_useFTLJIT: given };
    const args = ["sandbox", "echo", "--name", "jit", "--tcp", "0", "--udp", "0", "--host", "127.0.0.1"];
    const p = Bun.spawn([await ensureBinary(), ...args], { stdout: "pipe", stderr: "pipe", env });
    try {
      const reader = p.stdout.getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      expect(first).toMatch(/^ready tcp=\d+ udp=\d+/);
      const environ = (await Bun.file(`/proc/${p.pid}/environ`).text()).split("\0");
      expect(environ.filter((e) => e.startsWith("BUN_JSC_useFTLJIT="))).toEqual([`BUN_JSC_useFTLJIT=${want}`]);
      const cmdline = (await Bun.file(`/proc/${p.pid}/cmdline`).text()).split("\0").slice(1, -1);
      expect(cmdline).toEqual(args);
    } finally {
      p.kill();
      await p.exited;
    }
  });
});
