/**
 * Address arithmetic for IPAM: IPv4 and IPv6 addresses as bigints, CIDRs,
 * allocation pools. Pure functions; the allocation itself (one transaction
 * per port) lives in logic/ports.ts.
 */

export interface Cidr {
  version: 4 | 6;
  /** Network address. */
  net: bigint;
  prefix: number;
  bits: number;
}

function parseV4(s: string): bigint | null {
  const parts = s.split(".");
  if (parts.length !== 4) return null;
  let v = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

function parseV6(s: string): bigint | null {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || s.includes(":::")) return null;
  let tail4: bigint | null = null;
  let str = s;
  const lastColon = s.lastIndexOf(":");
  if (s.slice(lastColon + 1).includes(".")) {
    tail4 = parseV4(s.slice(lastColon + 1));
    if (tail4 === null) return null;
    str = s.slice(0, lastColon + 1) + "0:0";
  }
  const halves = str.split("::");
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const groups = halves.length === 2 ? [...head, ...Array(8 - head.length - tail.length).fill("0"), ...tail] : head;
  if (groups.length !== 8 || (halves.length === 2 && head.length + tail.length > 7)) return null;
  let v = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    v = (v << 16n) | BigInt(parseInt(g, 16));
  }
  if (tail4 !== null) v = (v & ~0xffffffffn) | tail4;
  return v;
}

/** Parse an address; null when it is not a valid IPv4/IPv6 address. */
export function parseIp(s: string): { version: 4 | 6; value: bigint } | null {
  if (typeof s !== "string") return null;
  if (s.includes(":")) {
    const v = parseV6(s);
    return v === null ? null : { version: 6, value: v };
  }
  const v = parseV4(s);
  return v === null ? null : { version: 4, value: v };
}

export function formatIp(value: bigint, version: 4 | 6): string {
  if (version === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 255n)).join(".");
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  // Compress the longest run of zero groups (length ≥ 2), RFC 5952.
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}

/** Canonical form of an address (e.g. IPv6 compressed, lowercase). */
export function canonicalIp(s: string): string | null {
  const p = parseIp(s);
  return p ? formatIp(p.value, p.version) : null;
}

/**
 * Parse a CIDR. `strict` refuses host bits set (Neutron normalizes them
 * instead; callers decide). Null when invalid.
 */
export function parseCidr(s: string): Cidr | null {
  if (typeof s !== "string") return null;
  const [addr, pfx, ...rest] = s.split("/");
  if (rest.length || pfx === undefined || !/^\d{1,3}$/.test(pfx)) return null;
  const ip = parseIp(addr!);
  if (!ip) return null;
  const bits = ip.version === 4 ? 32 : 128;
  const prefix = Number(pfx);
  if (prefix > bits) return null;
  const mask = prefixMask(prefix, bits);
  return { version: ip.version, net: ip.value & mask, prefix, bits };
}

function prefixMask(prefix: number, bits: number): bigint {
  const all = (1n << BigInt(bits)) - 1n;
  return prefix === 0 ? 0n : (all << BigInt(bits - prefix)) & all;
}

export function cidrSize(c: Cidr): bigint {
  return 1n << BigInt(c.bits - c.prefix);
}
export function cidrLast(c: Cidr): bigint {
  return c.net + cidrSize(c) - 1n;
}
export function formatCidr(c: Cidr): string {
  return `${formatIp(c.net, c.version)}/${c.prefix}`;
}
export function cidrContains(c: Cidr, ip: { version: number; value: bigint }): boolean {
  return c.version === ip.version && ip.value >= c.net && ip.value <= cidrLast(c);
}
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.version === b.version && a.net <= cidrLast(b) && b.net <= cidrLast(a);
}

export interface Pool {
  start: bigint;
  end: bigint;
}

/**
 * The default allocation pool of a subnet: every address but the network
 * address, the IPv4 broadcast address and the gateway (Neutron splits the
 * pool around a gateway inside it).
 */
export function defaultPools(c: Cidr, gateway: bigint | null): Pool[] {
  let first = c.net + 1n;
  let last = cidrLast(c);
  if (c.version === 4) {
    if (c.prefix >= 31) {
      first = c.net;
    } else {
      last -= 1n;
    }
  } else if (c.prefix === 128) {
    first = c.net;
  }
  if (first > last) return [];
  if (gateway === null || gateway < first || gateway > last) return [{ start: first, end: last }];
  const out: Pool[] = [];
  if (gateway > first) out.push({ start: first, end: gateway - 1n });
  if (gateway < last) out.push({ start: gateway + 1n, end: last });
  return out;
}

export function poolsSize(pools: Pool[]): bigint {
  return pools.reduce((n, p) => n + (p.end - p.start + 1n), 0n);
}

/** The 64-bit EUI-64 interface id of a MAC for SLAAC addresses. */
export function eui64(prefix: bigint, mac: string): bigint {
  const b = mac.split(":").map((h) => parseInt(h, 16));
  const bytes = [b[0]! ^ 0x02, b[1]!, b[2]!, 0xff, 0xfe, b[3]!, b[4]!, b[5]!];
  let v = 0n;
  for (const x of bytes) v = (v << 8n) | BigInt(x);
  return prefix | v;
}
