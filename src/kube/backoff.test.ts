import { expect, test } from "bun:test";
import { createBackoff } from "./backoff.ts";

test("doubles up to the cap and resets", () => {
  const b = createBackoff({ random: () => 0.5 });
  expect([b.next(), b.next(), b.next()]).toEqual([500, 1000, 2000]);
  for (let i = 0; i < 10; i++) b.next();
  expect(b.next()).toBe(30_000);
  b.reset();
  expect(b.next()).toBe(500);
});

test("jitter scales the delay within [0.5, 1.5) and never beyond the cap", () => {
  expect(createBackoff({ random: () => 0 }).next()).toBe(250);
  expect(createBackoff({ random: () => 0.999, initialMs: 30_000 }).next()).toBe(30_000);
});
