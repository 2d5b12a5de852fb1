import { expect, test } from "bun:test";
import { parseCIDR } from "./cidr.ts";

test.each([
  ["10.244.0.0/16", "10.244.0.0/16"],
  ["10.244.1.7/16", "10.244.0.0/16"],
  ["0.0.0.0/0", "0.0.0.0/0"],
  ["10.0.0.10/32", "10.0.0.10/32"],
  ["fd00:10:244::/48", "fd00:10:244::/48"],
  ["fd00:10:244:1::5/64", "fd00:10:244:1::/64"],
  ["::/0", "::/0"],
  ["10.0.0.0/33", null],
  ["10.0.0.0", null],
  ["10.0.0.0/8/8", null],
  ["fd00::/129", null],
  ["x/8", null],
] as [string, string | null][])("parseCIDR(%p) = %p", (input, want) => {
  expect(parseCIDR(input)?.text ?? null).toBe(want);
});
