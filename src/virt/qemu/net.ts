/**
 * IPv4 arithmetic and the QEMU user-mode networking (slirp) arguments of a
 * guest NIC: the guest's subnet as slirp's virtual network, the gateway as
 * slirp's host address, DHCP handing out exactly the port's fixed IP, the
 * port's MAC, host port forwards bound to 127.0.0.1 and the metadata forward.
 */
import type { NicSpec } from "../driver.ts";

export function ipToInt(ip: string): number {
  const p = ip.split(".").map(Number);
  if (p.length !== 4 || p.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) throw new Error(`bad IPv4 address ${ip}`);
  return ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
}

export function intToIp(n: number): string {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

export function parseCidr(cidr: string): { network: number; prefix: number } {
  const [addr, bits] = cidr.split("/");
  const prefix = Number(bits ?? "32");
  if (!addr?.includes(".")) return { network: 0, prefix }; // IPv6: not used by slirp here
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { network: (ipToInt(addr) & mask) >>> 0, prefix };
}

/** A host → guest port forward (a floating IP's ports on 127.0.0.1). */
export interface PortForward {
  proto: "tcp" | "udp";
  hostPort: number;
  guestPort: number;
  /** default 127.0.0.1: traffic from the host side stays local */
  hostAddr?: string;
}

export interface SlirpPlan {
  net: string;
  host: string;
  dhcpStart: string;
  dns: string;
  metadata: string | null;
}

/** The slirp addresses for a NIC (null when its subnet is too small for slirp). */
export function slirpPlan(nic: NicSpec): SlirpPlan | null {
  const ip = nic.ips.find((i) => i.version === 4);
  // no IPv4 address: QEMU's default user network, still with a metadata address
  if (!ip) return { net: "10.0.2.0/24", host: "10.0.2.2", dhcpStart: "10.0.2.15", dns: "10.0.2.3", metadata: "10.0.2.254" };
  const { network, prefix } = parseCidr(ip.cidr);
  if (prefix > 29) return null;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const bcast = (network | (~mask >>> 0)) >>> 0;
  const taken = new Set([ip.address]);
  let host = ip.gateway && ip.gateway !== ip.address ? ip.gateway : null;
  if (!host) {
    for (let a = network + 1; a < bcast; a++) if (!taken.has(intToIp(a))) { host = intToIp(a); break; }
  }
  taken.add(host!);
  // the metadata address: the last usable one; the DNS address just below it
  const free: string[] = [];
  for (let a = bcast - 1; a > network && free.length < 2; a--) {
    const s = intToIp(a >>> 0);
    if (!taken.has(s)) free.push(s);
  }
  return {
    net: `${intToIp(network)}/${prefix}`,
    host: host!,
    dhcpStart: ip.address,
    metadata: free[0] ?? null,
    dns: free[1] ?? free[0] ?? host!,
  };
}

/** QEMU's option syntax doubles commas inside a value. */
export function qemuEscape(v: string): string {
  return v.replace(/,/g, ",,");
}

export function netdevArg(
  id: string,
  nic: NicSpec,
  forwards: PortForward[],
  hostname: string,
  metadataCmd: string | null,
  restrict = false,
): string {
  const plan = slirpPlan(nic);
  const parts = [`user`, `id=${id}`, `ipv6=off`];
  if (restrict) parts.push("restrict=on");
  if (plan) {
    parts.push(`net=${plan.net}`, `host=${plan.host}`, `dhcpstart=${plan.dhcpStart}`, `dns=${plan.dns}`);
    if (plan.metadata && metadataCmd) parts.push(`guestfwd=tcp:${plan.metadata}:80-cmd:${qemuEscape(metadataCmd)}`);
  }
  if (hostname) parts.push(`hostname=${qemuEscape(hostname.slice(0, 63))}`);
  for (const f of forwards) parts.push(`hostfwd=${f.proto}:${f.hostAddr ?? "127.0.0.1"}:${f.hostPort}-:${f.guestPort}`);
  return parts.join(",");
}
