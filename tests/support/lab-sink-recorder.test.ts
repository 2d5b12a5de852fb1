import { expect, test } from "bun:test";
import { sawInListing } from "./lab-sink-recorder.ts";

const listing = `table inet kpb-seen {
	set v4 {
		type ipv4_addr . ipv4_addr . inet_proto . inet_service
		size 65535
		flags dynamic
		elements = { 10.244.1.12 . 10.96.0.10 . tcp . 81,
			     110.0.0.100 . 10.244.1.10 . tcp . 8080 }
	}
}`;

test("a recorded packet is found only as a whole element", () => {
  expect(sawInListing(listing, { src: "10.244.1.12", dst: "10.96.0.10", proto: "tcp", dport: 81 })).toBe(true);
  expect(sawInListing(listing, { src: "10.244.1.12", dst: "10.96.0.10", proto: "tcp", dport: 8 })).toBe(false);
  expect(sawInListing(listing, { src: "10.244.1.12", dst: "10.96.0.10", proto: "udp", dport: 81 })).toBe(false);
  expect(sawInListing(listing, { src: "10.0.0.100", dst: "10.244.1.10", proto: "tcp", dport: 8080 })).toBe(false);
  expect(sawInListing(listing, { src: "110.0.0.100", dst: "10.244.1.10", proto: "tcp", dport: 8080 })).toBe(true);
});
