import { describe, expect, test } from "bun:test";
import {
  BASE_LENGTH_MAX,
  endpointChainBase,
  endpointChainName,
  groupChainName,
  groupMaps,
  hash8,
  kBucket,
  parseGroupName,
  serviceChainName,
  servicePortChainBase,
  servicePortComment,
  servicePortMaps,
  type ServicePortNameParts,
} from "./names.ts";
import { checkName, NFT_NAME_LENGTH_MAX } from "./validate.ts";

const sp = (namespace: string, name: string, portName: string, protocol: ServicePortNameParts["protocol"] = "TCP") => ({
  namespace,
  name,
  portName,
  protocol,
});

describe("group chains: K buckets", () => {
  test.each([
    [1, 1, 1],
    [2, 2, 3],
    [3, 2, 3],
    [4, 4, 7],
    [7, 4, 7],
    [8, 8, 15],
    [15, 8, 15],
    [16, 16, 31],
    [31, 16, 31],
    [32, 32, 47],
    [1000, 992, 1007],
  ])("K=%i is in bucket %i-%i, and the chain name parses back to the bucket", (k, lo, hi) => {
    expect(kBucket(k)).toEqual({ lo, hi });
    const name = groupChainName({ kind: "cluster", proto: "tcp", k });
    expect(name).toBe(`group-cluster-tcp-${lo}to${hi}`);
    expect(parseGroupName(name)).toEqual({ kind: "cluster", proto: "tcp", k: lo });
    // The chain DNATs through one map per K of the bucket; a ServicePort's elements go to its own K's map only.
    expect(groupMaps({ kind: "nodeport", proto: "udp", k }).map((m) => m.k)).toEqual(Array.from({ length: hi - lo + 1 }, (_, i) => lo + i));
    expect(servicePortMaps({ kind: "nodeport", proto: "udp", k }).map((m) => m.k)).toEqual([k]);
  });

  test("the -local kinds keep a chain per exact K and KL", () => {
    const g = { kind: "external-local", proto: "sctp", k: 10, kl: 3 } as const;
    expect(groupChainName(g)).toBe("group-external-local-sctp-10-3");
    expect(parseGroupName("group-external-local-sctp-10-3")).toEqual(g);
    expect(groupMaps(g).map((m) => [m.local, m.k])).toEqual([[false, 10], [true, 3]]);
  });
});

describe("hash8", () => {
  test("is 8 characters of the upper-case base32 alphabet", () => {
    for (const s of ["", "a", "ns1/svc1/tcp/p80"]) expect(hash8(s)).toMatch(/^[A-Z2-7]{8}$/);
  });
  test("known value: base32 of SHA-256(\"\") starts with 4OYMIQUY", () => {
    // SHA-256("") = e3b0c442 98...; base32 of e3 b0 c4 42 98 = 4OYMIQUY.
    expect(hash8("")).toBe("4OYMIQUY");
  });
});

describe("chain names (upstream's scheme, so names equal upstream's)", () => {
  const rows: { name: string; got: string; want: string }[] = [
    { name: "service, named port", got: serviceChainName(sp("ns1", "svc1", "p80")), want: "service-ULMVA6XW-ns1/svc1/tcp/p80" },
    {
      name: "endpoint, IPv4",
      got: endpointChainName(sp("ns1", "svc1", "p80"), { ip: "10.180.0.1", port: 80 }),
      want: "endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80",
    },
    {
      name: "service, unnamed port keeps the trailing slash",
      got: servicePortChainBase(sp("ns2", "svc2", "", "UDP")),
      want: `${hash8("ns2/svc2/udp/")}-ns2/svc2/udp/`,
    },
    {
      name: "sctp is lower case",
      got: servicePortChainBase(sp("ns", "s", "x", "SCTP")),
      want: `${hash8("ns/s/sctp/x")}-ns/s/sctp/x`,
    },
    {
      name: "endpoint, IPv6 colons become dots",
      got: endpointChainBase(sp("ns", "s", "p"), { ip: "fd00:10::1", port: 8080 }),
      want: `${hash8("ns/s/tcp/p__fd00.10..1/8080")}-ns/s/tcp/p__fd00.10..1/8080`,
    },
    {
      name: "endpoint, IPv6 is printed canonically first",
      got: endpointChainBase(sp("ns", "s", "p"), { ip: "FD00:10:0:0:0:0:0:1", port: 8080 }),
      want: `${hash8("ns/s/tcp/p__fd00.10..1/8080")}-ns/s/tcp/p__fd00.10..1/8080`,
    },
  ];
  for (const r of rows) test(r.name, () => expect(r.got).toBe(r.want));
});

describe("sanitizing: anything but a DNS name makes the name hash-only", () => {
  const unsafe: [string, ServicePortNameParts][] = [
    ["space in name", sp("ns", "a b", "p")],
    ["upper case", sp("NS", "svc", "p")],
    ["slash", sp("ns", "a/b", "p")],
    ["quote", sp("ns", 'x"', "p")],
    ["semicolon", sp("ns", "x;flush ruleset", "p")],
    ["newline in port name", sp("ns", "svc", "p\nadd")],
    ["empty namespace", sp("", "svc", "p")],
    ["leading dash", sp("ns", "-svc", "p")],
    ["64 characters", sp("ns", "a".repeat(64), "p")],
    ["unknown protocol", { ...sp("ns", "svc", "p"), protocol: "ICMP" as ServicePortNameParts["protocol"] }],
  ];
  for (const [name, parts] of unsafe) {
    test(name, () => {
      const base = servicePortChainBase(parts);
      expect(base).toMatch(/^[A-Z2-7]{8}$/);
      expect(checkName(`service-${base}`)).toBeNull();
      expect(servicePortComment(parts)).toBeUndefined();
    });
  }
  test("hash-only names of different inputs differ even when their joined text is equal", () => {
    expect(servicePortChainBase(sp("a/b", "c", "p"))).not.toBe(servicePortChainBase(sp("a", "b/c", "p")));
  });
  test("an unparsable endpoint IP makes the endpoint name hash-only", () => {
    expect(endpointChainBase(sp("ns", "s", "p"), { ip: "10.0.0.1; drop", port: 80 })).toMatch(/^[A-Z2-7]{8}$/);
    expect(endpointChainBase(sp("ns", "s", "p"), { ip: "10.0.0.1", port: 0 })).toMatch(/^[A-Z2-7]{8}$/);
  });
  test("dots are allowed (DNS subdomain style)", () => {
    expect(servicePortChainBase(sp("ns", "a.b", "p"))).toBe(`${hash8("ns/a.b/tcp/p")}-ns/a.b/tcp/p`);
  });
});

describe("truncation", () => {
  const longest = sp("n".repeat(63), "s".repeat(63), "p".repeat(63), "SCTP");
  test("the longest service base (205) is not truncated", () => {
    expect(servicePortChainBase(longest)).toHaveLength(205);
  });
  test("the longest endpoint base is cut to 240 with '...' and stays a valid, distinct name", () => {
    const a = endpointChainName(longest, { ip: "fd00:1111:2222:3333:4444:5555:6666:7777", port: 65535 });
    const b = endpointChainName(longest, { ip: "fd00:1111:2222:3333:4444:5555:6666:7778", port: 65535 });
    expect(a.length).toBe("endpoint-".length + BASE_LENGTH_MAX);
    expect(a.endsWith("...")).toBe(true);
    expect(a).not.toBe(b);
    expect(a.length).toBeLessThanOrEqual(NFT_NAME_LENGTH_MAX);
    expect(checkName(a)).toBeNull();
  });
});

describe("servicePortComment", () => {
  test("ns/svc:port, or ns/svc for an unnamed port", () => {
    expect(servicePortComment(sp("ns", "svc", "http"))).toBe("ns/svc:http");
    expect(servicePortComment(sp("ns", "svc", ""))).toBe("ns/svc");
  });
});
