import { describe, expect, test } from "bun:test";
import { parseIP } from "../../lib/ip.ts";
import { runProbe, runProbeCommand, type ProbeOnceFn } from "./probe-command.ts";
import { formatProbeSummary, parseProbeResult, type ProbeOutcome } from "./probe-result.ts";

/** A scripted request function with a fake clock: each outcome takes `ms`. */
function scripted(outcomes: [ProbeOutcome, number][]) {
  let now = 0;
  const once: ProbeOnceFn = async () => {
    const next = outcomes.shift();
    if (!next) throw new Error("unexpected request");
    now += next[1];
    return next[0];
  };
  return { once, now: () => now };
}

const target = { ip: parseIP("10.96.0.10")!, port: 80 };

describe("runProbe", () => {
  test("tallies answers and failures and times the first failure", async () => {
    const s = scripted([
      [{ kind: "answer", name: "pod-a" }, 2],
      [{ kind: "answer", name: "pod-b" }, 2],
      [{ kind: "refused" }, 1],
      [{ kind: "answer", name: "pod-a" }, 2],
      [{ kind: "timeout" }, 100],
      [{ kind: "error", code: "EHOSTUNREACH" }, 3],
    ]);
    const r = await runProbe({ proto: "tcp", target, count: 6, timeoutMs: 100 }, s.once, s.now);
    expect(r).toEqual({
      answers: { "pod-a": 2, "pod-b": 1 },
      refused: 1,
      timeouts: 1,
      errors: 1,
      errorCodes: { EHOSTUNREACH: 1 },
      firstErrorMs: 5,
      elapsedMs: 110,
    });
    expect(formatProbeSummary(r)).toBe("pod-a=2 pod-b=1 refused=1 timeouts=1 errors=1 (EHOSTUNREACH:1)");
    expect(parseProbeResult(JSON.stringify(r))).toEqual(r);
  });

  test("no failures leaves firstErrorMs null", async () => {
    const s = scripted([[{ kind: "answer", name: "pod-a" }, 1]]);
    const r = await runProbe({ proto: "udp", target, count: 1, timeoutMs: 100 }, s.once, s.now);
    expect(r.firstErrorMs).toBeNull();
    expect(r.answers).toEqual({ "pod-a": 1 });
  });
});

describe("parseProbeResult", () => {
  test("rejects text that is not JSON", () => expect(() => parseProbeResult("oops")).toThrow("not JSON"));
  test("rejects a wrong shape, naming the field", () =>
    expect(() => parseProbeResult('{"answers":{},"refused":-1,"timeouts":0,"errors":0,"errorCodes":{},"firstErrorMs":null,"elapsedMs":0}')).toThrow("refused"));
});

test("runProbeCommand returns 2 on a bad flag without sending anything", async () => {
  expect(await runProbeCommand(["--proto", "icmp", "--target", "10.96.0.10:80", "--count", "1"])).toBe(2);
});
