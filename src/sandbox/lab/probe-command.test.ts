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
      sources: {},
      sourcesByName: {},
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

  test("counts the sources the servers saw, in all and per server", async () => {
    const s = scripted([
      [{ kind: "answer", name: "pod-a", source: "10.244.1.1" }, 1],
      [{ kind: "answer", name: "pod-b", source: "10.244.1.10" }, 1],
      [{ kind: "answer", name: "pod-a", source: "10.244.1.1" }, 1],
      [{ kind: "answer", name: "old" }, 1],
    ]);
    const r = await runProbe({ proto: "tcp", target, count: 4, timeoutMs: 100 }, s.once, s.now);
    expect(r.answers).toEqual({ "pod-a": 2, "pod-b": 1, old: 1 });
    expect(r.sources).toEqual({ "10.244.1.1": 2, "10.244.1.10": 1 });
    expect(r.sourcesByName).toEqual({ "pod-a": { "10.244.1.1": 2 }, "pod-b": { "10.244.1.10": 1 } });
    expect(parseProbeResult(JSON.stringify(r))).toEqual(r);
  });

  test("passes the source address on to every request", async () => {
    const seen: (string | undefined)[] = [];
    const once: ProbeOnceFn = async (_p, _ip, _port, _t, source) => {
      seen.push(source?.text);
      return { kind: "timeout" };
    };
    await runProbe({ proto: "udp", target, count: 2, timeoutMs: 1, source: parseIP("203.0.113.7")! }, once);
    expect(seen).toEqual(["203.0.113.7", "203.0.113.7"]);
  });

  test("no failures leaves firstErrorMs null", async () => {
    const s = scripted([[{ kind: "answer", name: "pod-a" }, 1]]);
    const r = await runProbe({ proto: "udp", target, count: 1, timeoutMs: 100 }, s.once, s.now);
    expect(r.firstErrorMs).toBeNull();
    expect(r.answers).toEqual({ "pod-a": 1 });
  });
});

describe("parseProbeResult", () => {
  test("reads a report without sources (an older probe) as having none", () =>
    expect(parseProbeResult('{"answers":{"pod-a":1},"refused":0,"timeouts":0,"errors":0,"errorCodes":{},"firstErrorMs":null,"elapsedMs":1}')).toMatchObject({ answers: { "pod-a": 1 }, sources: {}, sourcesByName: {} }));
  test("rejects text that is not JSON", () => expect(() => parseProbeResult("oops")).toThrow("not JSON"));
  test("rejects a wrong shape, naming the field", () =>
    expect(() => parseProbeResult('{"answers":{},"refused":-1,"timeouts":0,"errors":0,"errorCodes":{},"firstErrorMs":null,"elapsedMs":0}')).toThrow("refused"));
});

test("runProbeCommand returns 2 on a bad flag without sending anything", async () => {
  expect(await runProbeCommand(["--proto", "icmp", "--target", "10.96.0.10:80", "--count", "1"])).toBe(2);
});
