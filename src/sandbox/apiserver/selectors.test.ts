import { expect, test } from "bun:test";
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from "./selectors.ts";

const rows: [string, Record<string, string> | undefined, boolean][] = [
  ["", undefined, true],
  ["app", { app: "x" }, true],
  ["app", {}, false],
  ["!service.kubernetes.io/headless", {}, true],
  ["!service.kubernetes.io/headless", { "service.kubernetes.io/headless": "" }, false],
  ["!service.kubernetes.io/service-proxy-name,!service.kubernetes.io/headless", { app: "web" }, true],
  ["app=web", { app: "web" }, true],
  ["app==web", { app: "db" }, false],
  ["app!=web", {}, true],
  ["app!=web", { app: "web" }, false],
  ["tier in (a, b),app", { tier: "b", app: "1" }, true],
  ["tier notin (a,b)", { tier: "a" }, false],
];

for (const [sel, labels, want] of rows) {
  test(`label selector ${JSON.stringify(sel)} on ${JSON.stringify(labels)}`, () => {
    expect(matchesLabels(parseLabelSelector(sel), labels)).toBe(want);
  });
}

test("a malformed label selector is a 400 naming the part", () => {
  expect(() => parseLabelSelector("a=b,!")).toThrow(/unable to parse requirement: "!"/);
});

test("field selectors over dotted paths", () => {
  const svc = { metadata: { name: "web" }, spec: { clusterIP: "None" } };
  expect(matchesFields(parseFieldSelector("spec.clusterIP!=None"), svc)).toBe(false);
  expect(matchesFields(parseFieldSelector("metadata.name=web"), svc)).toBe(true);
  expect(matchesFields(parseFieldSelector("metadata.name==db"), svc)).toBe(false);
  expect(() => parseFieldSelector("nonsense")).toThrow();
});
