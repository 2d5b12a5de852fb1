import { describe, expect, test } from "bun:test";
import { FakeClock } from "../../tests/support/fake-clock.ts";
import { BoundedFrequencyRunner } from "./bounded-frequency-runner.ts";

function setup(results: boolean[] = [], durationMs = 0) {
  const clock = new FakeClock(1_000_000);
  const starts: number[] = [];
  const fn = async () => {
    starts.push(clock.now() - 1_000_000);
    if (durationMs > 0) await new Promise<void>((r) => clock.after(durationMs, r));
    return results.shift() ?? true;
  };
  const runner = new BoundedFrequencyRunner(fn, { minIntervalMs: 1000, retryIntervalMs: 30_000, maxIntervalMs: 3_600_000 }, clock);
  return { clock, starts, runner };
}

describe("BoundedFrequencyRunner", () => {
  test("constructing starts nothing", async () => {
    const { clock, starts } = setup();
    await clock.advance(10_000_000);
    expect(starts).toEqual([]);
    expect(clock.pendingTimers()).toBe(0);
  });

  test("first request runs at once; the next waits for the minimum interval", async () => {
    const { clock, starts, runner } = setup();
    runner.start();
    runner.run();
    await clock.advance(0);
    runner.run();
    await clock.advance(999);
    expect(starts).toEqual([0]);
    await clock.advance(1);
    expect(starts).toEqual([0, 1000]);
  });

  test("requests within the minimum interval coalesce into one sync", async () => {
    const { clock, starts, runner } = setup();
    runner.start();
    runner.run();
    await clock.advance(100);
    for (let i = 0; i < 5; i++) runner.run();
    await clock.advance(5000);
    expect(starts).toEqual([0, 1000]);
  });

  test("a request during a slow sync gives exactly one more sync after it", async () => {
    const { clock, starts, runner } = setup([], 3000);
    runner.start();
    runner.run();
    await clock.advance(500);
    runner.run();
    runner.run();
    await clock.advance(10_000);
    expect(starts).toEqual([0, 3000]);
  });

  test("a failure is retried after the retry interval", async () => {
    const { clock, starts, runner } = setup([false, true]);
    runner.start();
    runner.run();
    await clock.advance(29_999);
    expect(starts).toEqual([0]);
    await clock.advance(1);
    expect(starts).toEqual([0, 30_000]);
    await clock.advance(100_000);
    expect(starts).toEqual([0, 30_000]);
  });

  test("syncs at least every max interval without requests", async () => {
    const { clock, starts, runner } = setup();
    runner.start();
    await clock.advance(3_600_000 * 2);
    expect(starts).toEqual([3_600_000, 7_200_000]);
  });

  test("minimum interval 0 syncs on every change", async () => {
    const clock = new FakeClock();
    let n = 0;
    const runner = new BoundedFrequencyRunner(async () => (n++, true), { minIntervalMs: 0, retryIntervalMs: 1000, maxIntervalMs: 3_600_000 }, clock);
    runner.start();
    for (let i = 0; i < 3; i++) {
      runner.run();
      await clock.advance(0);
    }
    expect(n).toBe(3);
  });

  test("syncs never overlap: requests, retries and the max interval all wait for the sync in flight", async () => {
    const clock = new FakeClock(0);
    let active = 0;
    let maxActive = 0;
    const starts: number[] = [];
    const results = [false, true, true, true];
    const runner = new BoundedFrequencyRunner(
      async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        starts.push(clock.now());
        await new Promise<void>((r) => clock.after(5000, r));
        active--;
        return results.shift() ?? true;
      },
      { minIntervalMs: 100, retryIntervalMs: 1000, maxIntervalMs: 2000 },
      clock,
    );
    runner.start();
    runner.run();
    for (let t = 0; t < 30; t++) {
      await clock.advance(700);
      runner.run();
    }
    expect(maxActive).toBe(1);
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(5000);
    expect(starts.length).toBeGreaterThanOrEqual(4);
  });

  test("a request after a failure does not wait for the retry interval", async () => {
    const { clock, starts, runner } = setup([false, true]);
    runner.start();
    runner.run();
    await clock.advance(2000);
    runner.run();
    await clock.advance(0);
    expect(starts).toEqual([0, 2000]);
  });

  test("stop cancels what is scheduled", async () => {
    const { clock, starts, runner } = setup();
    runner.start();
    runner.run();
    await clock.advance(0);
    runner.run();
    await runner.stop();
    await clock.advance(10_000_000);
    expect(starts).toEqual([0]);
  });
});
