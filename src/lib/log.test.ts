import { describe, expect, test } from "bun:test";
import { createLogger, formatLine, REDACTED } from "./log.ts";

const at = new Date(Date.UTC(2025, 10, 29, 15, 4, 5, 123));

function capture(v: number, format: "text" | "json" = "text") {
  const lines: string[] = [];
  return { lines, log: createLogger(v, { write: (l) => lines.push(l) }, "proxier", () => at, format) };
}

describe("log", () => {
  test("klog text line: severity, date, time to microseconds, pid, source, message, fields", () => {
    expect(formatLine("I", at, "proxier", "Synced rules", { servicePorts: 3, family: "IPv4" })).toBe(
      `I1129 15:04:05.123000 ${String(process.pid).padStart(7)} proxier] Synced rules servicePorts=3 family="IPv4"\n`,
    );
  });

  test("-v: info at level N prints only when N <= v; warnings and errors always", () => {
    const { lines, log } = capture(2);
    log.info("zero");
    log.info("two", undefined, 2);
    log.info("four", undefined, 4);
    log.warn("careful");
    log.error("broken");
    expect(lines.map((l) => l[0] + l.split("] ")[1]!.trim())).toEqual(["Izero", "Itwo", "Wcareful", "Ebroken"]);
  });

  test("json: one object per line with ts, caller, msg, v or err, then the fields", () => {
    const { lines, log } = capture(4, "json");
    log.info("Synced rules", { servicePorts: 3 }, 2);
    log.error("Sync failed", { err: new Error("nft: refused"), ipFamily: "IPv4" });
    log.with("informer").warn("watch failed", { delayMs: 800 });
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { ts: at.getTime() / 1000, caller: "proxier", msg: "Synced rules", v: 2, servicePorts: 3 },
      { ts: at.getTime() / 1000, caller: "proxier", msg: "Sync failed", err: "nft: refused", ipFamily: "IPv4" },
      { ts: at.getTime() / 1000, caller: "informer", msg: "watch failed", severity: "warning", delayMs: 800 },
    ]);
  });

  test.each(["text", "json"] as const)("never writes a secret-named field (%s)", (format) => {
    const { lines, log } = capture(10, format);
    log.info("connecting", { token: "s3cr3t", bearerToken: "s3cr3t", password: "s3cr3t", "client-key-data": "s3cr3t", Authorization: "Bearer s3cr3t", server: "https://10.0.0.1" });
    expect(lines.join("")).not.toContain("s3cr3t");
    expect(lines.join("")).toContain(REDACTED);
    expect(lines.join("")).toContain("https://10.0.0.1");
  });
});
