import { describe, expect, test } from "bun:test";
import { canonicalNft } from "./nft-golden.ts";

describe("canonicalNft", () => {
  test("ignores order between objects and indentation", () => {
    const a = "add chain ip t a\nadd chain ip t b\nadd rule ip t a accept\n";
    const b = "  add chain ip t b\n\nadd rule ip t a accept\nadd chain ip t a";
    expect(canonicalNft(a)).toBe(canonicalNft(b));
  });
  test("keeps the order of rules within a chain", () => {
    const a = "add rule ip t a drop\nadd rule ip t a accept\n";
    const b = "add rule ip t a accept\nadd rule ip t a drop\n";
    expect(canonicalNft(a)).not.toBe(canonicalNft(b));
  });
  test("rules of different chains may interleave", () => {
    const a = "add rule ip t a drop\nadd rule ip t b accept\nadd rule ip t a accept\n";
    const b = "add rule ip t b accept\nadd rule ip t a drop\nadd rule ip t a accept\n";
    expect(canonicalNft(a)).toBe(canonicalNft(b));
  });
});
