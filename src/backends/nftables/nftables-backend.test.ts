import { describe, expect, test } from "bun:test";
import { isBackendError } from "../backend.ts";
import { scriptedRunner } from "../../lib/exec.ts";
import { memoryLogger } from "../../lib/log.ts";
import type { ProxyState } from "../../model/proxy-state.ts";
import { createNftablesBackend } from "./nftables-backend.ts";

const state: ProxyState = {
  family: "IPv4",
  servicePorts: [
    {
      id: "ns1/svc1:p80/TCP",
      namespace: "ns1",
      name: "svc1",
      portName: "p80",
      protocol: "TCP",
      clusterIP: "172.30.0.41",
      port: 80,
      endpoints: [{ ip: "10.180.0.1", port: 80 }],
    },
    { id: "ns1/bad:/TCP", namespace: "ns1", name: "bad", portName: "", protocol: "TCP", clusterIP: "not-an-ip", port: 80, endpoints: [] },
  ],
};

describe("createNftablesBackend", () => {
  test("mode is nftables and the constructor runs nothing", () => {
    const runner = scriptedRunner([]);
    expect(createNftablesBackend({ runner }).mode).toBe("nftables");
    expect(runner.calls).toHaveLength(0);
  });

  test("sync applies one full transaction and reports stats; skipped values are logged", async () => {
    const runner = scriptedRunner([
      { argv: ["nft", "-f", "-"], stdin: (s) => s.startsWith("add table ip kube-proxy\ndelete table ip kube-proxy\n") && s.includes("172.30.0.41 . 80 . 0 : 10.180.0.1 . 80") },
    ]);
    const log = memoryLogger();
    const stats = await createNftablesBackend({ runner, log }).sync(state);
    expect(stats.servicePorts).toBe(1);
    expect(stats.endpoints).toBe(1);
    expect(stats.scriptBytes).toBe(Buffer.byteLength(runner.calls[0]?.stdin ?? ""));
    expect(log.lines.some((l) => l.includes("ns1/bad:/TCP"))).toBe(true);
  });

  test("an IPv6 state renders table ip6 kube-proxy", async () => {
    const runner = scriptedRunner([{ argv: ["nft", "-f", "-"], stdin: (s) => s.startsWith("add table ip6 kube-proxy\n") }]);
    await createNftablesBackend({ runner }).sync({ family: "IPv6", servicePorts: [] });
  });

  test("sync fails with BackendError(apply) when nft refuses", async () => {
    const runner = scriptedRunner([{ argv: ["nft", "-f", "-"], result: { exitCode: 1, stderr: "Error: Could not process rule" } }]);
    const err = await createNftablesBackend({ runner }).sync(state).catch((e) => e);
    expect(isBackendError(err, "apply")).toBe(true);
  });

  test("cleanup deletes both families' tables, tolerating their absence", async () => {
    const runner = scriptedRunner([
      { argv: ["nft", "-f", "-"], stdin: "add table ip kube-proxy\ndelete table ip kube-proxy\n" },
      { argv: ["nft", "-f", "-"], stdin: "add table ip6 kube-proxy\ndelete table ip6 kube-proxy\n" },
    ]);
    await createNftablesBackend({ runner }).cleanup();
    expect(runner.calls).toHaveLength(2);
  });

  test("cleanup tries the second family when the first fails, then reports the failure", async () => {
    const runner = scriptedRunner([
      { argv: ["nft", "-f", "-"], result: { exitCode: 1, stderr: "Error: boom" } },
      { argv: ["nft", "-f", "-"] },
    ]);
    const err = await createNftablesBackend({ runner }).cleanup().catch((e) => e);
    expect(runner.calls).toHaveLength(2);
    expect(isBackendError(err, "apply")).toBe(true);
    expect(String(err.message)).toContain("ip: ");
  });
});
