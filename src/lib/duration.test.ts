import { expect, test } from "bun:test";
import { formatDuration, parseDuration } from "./duration.ts";

test.each([
  ["30s", 30_000], ["1m0s", 60_000], ["1h30m", 5_400_000], ["500ms", 500], ["0", 0], ["0s", 0],
  ["1.5s", 1500], ["15m0s", 900_000], ["", null], ["10", null], ["-1s", null], ["1x", null], ["s", null],
] as [string, number | null][])("parseDuration(%p) = %p", (input, want) => {
  expect(parseDuration(input)).toBe(want);
});

test.each([[0, "0s"], [500, "500ms"], [30_000, "30s"], [90_000, "1m30s"], [3_600_000, "1h0m0s"]] as [number, string][])(
  "formatDuration(%p) = %p",
  (ms, want) => expect(formatDuration(ms)).toBe(want),
);
