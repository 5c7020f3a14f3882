import { describe, expect, test } from "bun:test";
import { canonicalIp, cidrsOverlap, defaultPools, eui64, formatCidr, formatIp, parseCidr, parseIp, poolsSize } from "./ipam.ts";

describe("ipam arithmetic", () => {
  test("parses and formats IPv4 and IPv6", () => {
    expect(parseIp("10.0.0.1")).toEqual({ version: 4, value: 0x0a000001n });
    expect(parseIp("10.0.0.256")).toBeNull();
    expect(parseIp("10.0.0")).toBeNull();
    expect(canonicalIp("FD00:0:0:0::1")).toBe("fd00::1");
    expect(canonicalIp("2001:db8:0:0:1:0:0:1")).toBe("2001:db8::1:0:0:1");
    expect(canonicalIp("::")).toBe("::");
    expect(canonicalIp("::ffff:1.2.3.4")).toBe("::ffff:102:304");
    expect(parseIp("1::2::3")).toBeNull();
    expect(formatIp(0xac180401n, 4)).toBe("172.24.4.1");
  });

  test("CIDRs: normalized network, invalid ones refused, overlap", () => {
    const c = parseCidr("10.0.0.0/26")!;
    expect(formatCidr(c)).toBe("10.0.0.0/26");
    expect(formatCidr(parseCidr("10.0.0.77/24")!)).toBe("10.0.0.0/24");
    expect(parseCidr("10.0.0.0/33")).toBeNull();
    expect(parseCidr("10.300.0.0/24")).toBeNull();
    expect(parseCidr("10.0.0.0")).toBeNull();
    expect(cidrsOverlap(parseCidr("10.0.0.0/24")!, parseCidr("10.0.0.128/25")!)).toBe(true);
    expect(cidrsOverlap(parseCidr("10.0.0.0/25")!, parseCidr("10.0.0.128/25")!)).toBe(false);
    expect(cidrsOverlap(parseCidr("10.0.0.0/8")!, parseCidr("fd00::/8")!)).toBe(false);
  });

  test("default pools skip network, broadcast and gateway", () => {
    const c = parseCidr("10.0.0.0/29")!;
    const pools = defaultPools(c, 0x0a000001n);
    expect(pools.map((p) => [formatIp(p.start, 4), formatIp(p.end, 4)])).toEqual([["10.0.0.2", "10.0.0.6"]]);
    const mid = defaultPools(c, 0x0a000004n);
    expect(mid.map((p) => [formatIp(p.start, 4), formatIp(p.end, 4)])).toEqual([["10.0.0.1", "10.0.0.3"], ["10.0.0.5", "10.0.0.6"]]);
    expect(poolsSize(defaultPools(parseCidr("10.0.0.0/24")!, null))).toBe(254n);
    expect(poolsSize(defaultPools(parseCidr("fd00::/64")!, parseIp("fd00::1")!.value))).toBe((1n << 64n) - 2n);
  });

  test("EUI-64 SLAAC address from a MAC", () => {
    expect(formatIp(eui64(parseCidr("fd00::/64")!.net, "fa:16:3e:12:34:56"), 6)).toBe("fd00::f816:3eff:fe12:3456");
  });
});
