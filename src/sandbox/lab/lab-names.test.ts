import { describe, expect, test } from "bun:test";
import { checkPodName, checkPrefix, labNamespaces, nextLabPrefix, podLinkName, podNamespace } from "./lab-names.ts";

describe("lab names", () => {
  test("prefixes are unique per call and carry the pid", () => {
    const a = nextLabPrefix();
    const b = nextLabPrefix();
    expect(a).not.toBe(b);
    expect(a).toStartWith(`kpb-${process.pid}-`);
  });
  test("namespaces", () => {
    expect(labNamespaces("kpb-1-0")).toEqual({ node: "kpb-1-0-node", client: "kpb-1-0-client", sink: "kpb-1-0-sink" });
    expect(podNamespace("kpb-1-0", "pod-a")).toBe("kpb-1-0-pod-a");
    expect(podLinkName(239)).toBe("pod239");
  });
  const pods: [string, boolean][] = [["pod-a", true], ["web-0", true], ["a", true], ["Pod", false], ["-a", false], ["a-", false], ["a_b", false], ["x".repeat(31), false], ["node", false], ["sink", false]];
  for (const [name, ok] of pods) {
    test(`pod name ${name}`, () => (ok ? expect(() => checkPodName(name)).not.toThrow() : expect(() => checkPodName(name)).toThrow()));
  }
  test("bad prefixes", () => {
    expect(() => checkPrefix("a b")).toThrow();
    expect(() => checkPrefix("x".repeat(25))).toThrow();
    expect(() => checkPrefix("kpb-1-0")).not.toThrow();
  });
});
