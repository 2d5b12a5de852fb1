/** The compiled binary's command line: version, help, and clear errors for bad flags and kubeconfigs. */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runBinary } from "../support/binary.ts";

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
});
