import { expect, test } from "bun:test";
import { LineSplitter } from "./line-splitter.ts";

test("joins lines split across chunks and skips blank lines", () => {
  const s = new LineSplitter();
  expect(s.push('{"a":')).toEqual([]);
  expect(s.push('1}\n\n{"b"')).toEqual(['{"a":1}']);
  expect(s.push(":2}\n{")).toEqual(['{"b":2}']);
  expect(s.flush()).toBe("{");
  expect(s.flush()).toBe("");
});

test("several lines in one chunk", () => {
  expect(new LineSplitter().push("x\ny\r\nz\n")).toEqual(["x", "y", "z"]);
});
