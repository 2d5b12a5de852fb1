import { expect, test } from "bun:test";
import { endpointChain, serviceChain, servicePortName } from "./names.ts";

// Names from upstream's iptables proxier tests, so a node's existing chains are taken over as-is.
test("hashes match upstream's", () => {
  const sp = { namespace: "ns1", name: "svc1", portName: "p80", protocol: "TCP" as const };
  expect(serviceChain(sp)).toBe("KUBE-SVC-XPGD46QRK7WJZT7O");
  expect(endpointChain(sp, { ip: "10.180.0.1", port: 80 })).toBe("KUBE-SEP-SXIVWICOYRO3J4NJ");
});

test("unnamed ports and protocols are part of the identity", () => {
  const sp = { namespace: "ns", name: "svc", portName: "", protocol: "UDP" as const };
  expect(servicePortName(sp)).toBe("ns/svc");
  expect(serviceChain(sp)).not.toBe(serviceChain({ ...sp, protocol: "TCP" }));
  expect(serviceChain(sp)).toMatch(/^KUBE-SVC-[A-Z2-7]{16}$/);
});
