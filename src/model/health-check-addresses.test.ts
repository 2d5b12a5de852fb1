import { expect, test } from "bun:test";
import { healthCheckAddresses } from "./health-check-addresses.ts";
import { DEFAULT_NODE_FACTS, type NodeFacts } from "./proxy-state.ts";

const f = (matchAll: boolean, cidrs: string[]): NodeFacts => ({ ...DEFAULT_NODE_FACTS, nodePorts: { matchAll, cidrs } });
const host = ["127.0.0.1", "10.0.0.10", "10.0.1.5", "fd00:10::10", "::1", "fe80::1%eth0"];

test.each([
  ["match-all in one family: everywhere", [f(true, []), f(false, ["fd00:10::10/128"])], ["::"]],
  ["primary of both families: the node IPs", [f(false, ["10.0.0.10/32"]), f(false, ["fd00:10::10/128"])], ["10.0.0.10", "fd00:10::10"]],
  ["a range: every host address inside it", [f(false, ["10.0.0.0/16"])], ["10.0.0.10", "10.0.1.5"]],
  ["nothing accepts NodePorts: nowhere", [f(false, [])], []],
] as const)("%s", (_n, facts, want) => {
  expect(healthCheckAddresses(facts, host)).toEqual([...want]);
});
