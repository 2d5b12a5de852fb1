import { expect, test } from "bun:test";
import { type FaultSpec, parseDuration, parseFaultSpec, startFaultSchedule } from "./fault-schedule.ts";
import { SandboxFaults } from "./faults.ts";

const rows: [string, FaultSpec | string][] = [
  ["drop-watches@10s", { name: "drop-watches", everyMs: 10_000 }],
  ["malformed@1.5s", { name: "malformed", everyMs: 1500 }],
  ["error-500@2m", { name: "error-500", count: 1, everyMs: 120_000 }],
  ["error-500=3@30s", { name: "error-500", count: 3, everyMs: 30_000 }],
  ["error-429=5@20s", { name: "error-429", retryAfterSeconds: 5, everyMs: 20_000 }],
  ["delay=200ms", { name: "delay", ms: 200 }],
  ["expire=4@1m", { name: "expire", count: 4, everyMs: 60_000 }],
  ["restart=2s@1h", { name: "restart", downMs: 2000, everyMs: 3_600_000 }],
  ["restart@5m", { name: "restart", downMs: 1000, everyMs: 300_000 }],
  ["explode@1s", "unknown fault"],
  ["drop-watches", "drop-watches needs @EVERY"],
  ["drop-watches=2@1s", "takes no =ARG"],
  ["error-500=0@1s", "positive whole number"],
  ["delay=fast", "delay needs =DURATION"],
  ["delay=1s@2s", "no @EVERY"],
  ["expire@soon", "needs @EVERY"],
];
for (const [text, want] of rows) {
  test(`--fault ${text}`, () => {
    const got = parseFaultSpec(text);
    if (typeof want === "string") expect((got as { error: string }).error).toContain(want);
    else expect(got).toEqual(want);
  });
}

test("durations", () => {
  expect([parseDuration("250ms"), parseDuration("2s"), parseDuration("1m"), parseDuration("5"), parseDuration("-1s")]).toEqual([250, 2000, 60_000, undefined, undefined]);
});

test("the schedule applies constant faults at once, fires periodic ones on their timer, and stops", async () => {
  const calls: string[] = [];
  const faults = new SandboxFaults();
  const target = {
    faults,
    dropWatches: () => (calls.push("drop"), 1),
    sendMalformed: () => (calls.push("malformed"), 1),
    compact: () => void calls.push("compact"),
    restart: async (ms?: number) => void calls.push(`restart ${ms}`),
  };
  const timers: { fn: () => void; ms: number }[] = [];
  const cancelled: unknown[] = [];
  const specs = ["delay=50ms", "drop-watches@1s", "expire=2@1m", "restart=3s@1h"].map((t) => parseFaultSpec(t) as FaultSpec);
  const stop = startFaultSchedule(target, specs, () => {}, { every: (fn, ms) => (timers.push({ fn, ms }), timers.length), cancel: (t) => void cancelled.push(t) });
  expect(faults.delayMs).toBe(50);
  expect(timers.map((t) => t.ms)).toEqual([1000, 60_000, 3_600_000]);
  for (const t of timers) t.fn();
  await Bun.sleep(0);
  expect(calls).toEqual(["drop", "compact", "restart 3000"]);
  expect(faults.take("watch", new URLSearchParams("resourceVersion=5"))?.status).toBe(410);
  stop();
  expect(cancelled).toEqual([1, 2, 3]);
});
