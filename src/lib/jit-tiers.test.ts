import { describe, expect, test } from "bun:test";
import { FTL_VARIABLE, ftlReexec, STARTUP_JIT_POLICY } from "./jit-tiers.ts";

describe("ftlReexec", () => {
  const args = ["--kubeconfig=/etc/kp/kubeconfig", "--v=2", "a b"];
  test.each([
    { name: "compiled, variable unset: exec with it at 0", compiled: true, env: { PATH: "/usr/bin" }, want: { PATH: "/usr/bin", [FTL_VARIABLE]: "0" } },
    { name: "compiled, operator keeps FTL on", compiled: true, env: { [FTL_VARIABLE]: "1" }, want: null },
    { name: "compiled, already exec'd", compiled: true, env: { [FTL_VARIABLE]: "0" }, want: null },
    { name: "an empty value counts as set", compiled: true, env: { [FTL_VARIABLE]: "" }, want: null },
    { name: "from source under bun: never", compiled: false, env: {}, want: null },
  ])("$name", ({ compiled, env, want }) => {
    const plan = ftlReexec("/usr/local/bin/kube-proxy", "kube-proxy", args, env, compiled);
    if (want === null) return expect(plan).toBeNull();
    expect(plan).toEqual({ file: "/usr/local/bin/kube-proxy", argv: ["kube-proxy", ...args], env: want });
  });

  test("the caller's environment object is not changed", () => {
    const env = { HOME: "/root" };
    ftlReexec("/k", "k", [], env, true);
    expect(env).toEqual({ HOME: "/root" });
  });
});

test("the start-up JIT policy is the one the build bakes in", async () => {
  const pkg = await Bun.file(new URL("../../package.json", import.meta.url)).json();
  expect(pkg.scripts.build).toContain(`--compile-jit-policy=${STARTUP_JIT_POLICY}`);
});
