import { cidrContains, cidrLast, cidrsOverlap, defaultPools, formatCidr, formatIp, parseCidr, parseIp, type Cidr, type Pool } from "../ipam.ts";
import type { Caller, NetCtx, Obj } from "../store.ts";
import { NOT_FOUND, baseFields, bool, checkQuota, checkStrings, nerr, onlyKeys, ownerOf, readOnly, render, touch } from "./common.ts";
import { getNetwork } from "./networks.ts";

const KEYS = [
  "name", "description", "network_id", "ip_version", "cidr", "gateway_ip", "allocation_pools", "dns_nameservers", "host_routes",
  "enable_dhcp", "ipv6_ra_mode", "ipv6_address_mode", "tenant_id", "project_id", "subnetpool_id", "prefixlen", "service_types",
  "segment_id", "use_default_subnetpool", "dns_publish_fixed_ip",
];
const V6_MODES = ["slaac", "dhcpv6-stateful", "dhcpv6-stateless"];

export function subnetVisible(ctx: NetCtx, caller: Caller, s: Obj): boolean {
  if (caller.isAdmin || s.project_id === caller.projectId) return true;
  // Subnets of a shared network are visible to all; those of a (non-shared) external network are not.
  const n = ctx.store.get("network", s.network_id);
  return !!n && !!n.shared;
}

export function getSubnet(ctx: NetCtx, caller: Caller, id: string): Obj {
  const s = ctx.store.get("subnet", id);
  if (!s || !subnetVisible(ctx, caller, s)) throw NOT_FOUND.subnet(id);
  return s;
}

export const viewSubnet = (_ctx: NetCtx, _caller: Caller, s: Obj) => render(s);

export function subnetCidr(s: Obj): Cidr {
  return parseCidr(s.cidr)!;
}

/** The allocation pools of a stored subnet, as bigints. */
export function subnetPools(s: Obj): Pool[] {
  return (s.allocation_pools as { start: string; end: string }[]).map((p) => ({ start: parseIp(p.start)!.value, end: parseIp(p.end)!.value }));
}

/** IPv6 subnets whose addresses come from the MAC (SLAAC / stateless): every port gets one. */
export const isAutoAddress = (s: Obj) => s.ip_version === 6 && (s.ipv6_address_mode === "slaac" || s.ipv6_address_mode === "dhcpv6-stateless");

function parseGateway(raw: unknown, c: Cidr): bigint | null {
  if (raw === null) return null;
  if (typeof raw !== "string") throw nerr.invalid(`'${raw}' is not a valid IP address`);
  const g = parseIp(raw);
  if (!g || raw.includes("/")) throw nerr.invalid(`'${raw}' is not a valid IP address`);
  if (g.version !== c.version) throw nerr.invalid(`Gateway IP version inconsistent with allocation pool version`);
  if (cidrContains(c, g)) {
    const isV4Edge = c.version === 4 && c.prefix < 31 && (g.value === c.net || g.value === cidrLast(c));
    const isV6Net = c.version === 6 && g.value === c.net && c.prefix < 127;
    if (isV4Edge || isV6Net) throw nerr.bad(`Gateway is not valid on subnet: ${raw}`, "BadRequest");
  }
  return g.value;
}

function parsePools(raw: unknown, c: Cidr, gateway: bigint | null): Pool[] {
  if (!Array.isArray(raw)) throw nerr.invalid(`Invalid data format for IP pool: '${JSON.stringify(raw)}'`);
  const pools: Pool[] = [];
  for (const p of raw) {
    if (!p || typeof p !== "object" || typeof p.start !== "string" || typeof p.end !== "string")
      throw nerr.invalid(`Invalid data format for IP pool: '${JSON.stringify(p)}'`);
    const a = parseIp(p.start), b = parseIp(p.end);
    if (!a || !b || a.version !== c.version || b.version !== c.version || a.value > b.value)
      throw nerr.bad(`The allocation pool ${p.start}-${p.end} spans beyond the subnet cidr ${formatCidr(c)}.`, "InvalidAllocationPool");
    if (!cidrContains(c, a) || !cidrContains(c, b))
      throw nerr.bad(`The allocation pool ${p.start}-${p.end} spans beyond the subnet cidr ${formatCidr(c)}.`, "OutOfBoundsAllocationPool");
    const first = c.version === 4 && c.prefix < 31 ? c.net + 1n : c.net;
    const last = c.version === 4 && c.prefix < 31 ? cidrLast(c) - 1n : cidrLast(c);
    if (a.value < first || b.value > last)
      throw nerr.bad(`The allocation pool ${p.start}-${p.end} spans beyond the subnet cidr ${formatCidr(c)}.`, "OutOfBoundsAllocationPool");
    pools.push({ start: a.value, end: b.value });
  }
  const sorted = [...pools].sort((x, y) => (x.start < y.start ? -1 : 1));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.start <= sorted[i - 1]!.end) {
      const f = (p: Pool) => `${formatIp(p.start, c.version)}-${formatIp(p.end, c.version)}`;
      throw nerr.conflict("OverlappingAllocationPools", `Found overlapping allocation pools: ${f(sorted[i - 1]!)} and ${f(sorted[i]!)} for subnet ${formatCidr(c)}.`);
    }
  }
  if (gateway !== null && sorted.some((p) => gateway >= p.start && gateway <= p.end))
    throw nerr.conflict("GatewayConflictWithAllocationPools", `Gateway ip ${formatIp(gateway, c.version)} conflicts with allocation pool ${sorted.map((p) => `${formatIp(p.start, c.version)}-${formatIp(p.end, c.version)}`).join(", ")}`);
  return sorted;
}

function parseDns(raw: unknown, version: 4 | 6): string[] {
  if (!Array.isArray(raw)) throw nerr.invalid(`'${JSON.stringify(raw)}' is not a list`);
  if (raw.length > 5) throw nerr.bad(`Unable to complete operation for subnet. The number of DNS nameservers exceeds the limit 5.`, "DNSNameServersExhausted");
  const out: string[] = [];
  for (const d of raw) {
    const ip = typeof d === "string" ? parseIp(d) : null;
    if (!ip) throw nerr.invalid(`'${d}' is not a valid nameserver. '${d}' is not a valid IP address.`);
    if (out.includes(d)) throw nerr.invalid(`Duplicate nameserver '${d}'`);
    out.push(d);
  }
  void version;
  return out;
}

function parseRoutes(raw: unknown, version: 4 | 6): { destination: string; nexthop: string }[] {
  if (!Array.isArray(raw)) throw nerr.invalid(`'${JSON.stringify(raw)}' is not a list`);
  if (raw.length > 20) throw nerr.bad("Unable to complete operation for subnet. The number of host routes exceeds the limit 20.", "HostRoutesExhausted");
  const out: { destination: string; nexthop: string }[] = [];
  for (const r of raw) {
    const dest = r && typeof r.destination === "string" ? parseCidr(r.destination) : null;
    const hop = r && typeof r.nexthop === "string" ? parseIp(r.nexthop) : null;
    if (!dest || !hop) throw nerr.invalid(`Validation of dictionary's keys failed. Invalid host route ${JSON.stringify(r)}`);
    if (dest.version !== version || hop.version !== version)
      throw nerr.bad(`Invalid route: ${JSON.stringify(r)} has a different IP version than the subnet`, "InvalidInput");
    const d = { destination: formatCidr(dest), nexthop: formatIp(hop.value, hop.version) };
    if (out.some((x) => x.destination === d.destination && x.nexthop === d.nexthop)) throw nerr.invalid(`Duplicate hostroute '${JSON.stringify(r)}'`);
    out.push(d);
  }
  return out;
}

function poolsJson(pools: Pool[], version: 4 | 6) {
  return pools.map((p) => ({ start: formatIp(p.start, version), end: formatIp(p.end, version) }));
}

export function createSubnet(ctx: NetCtx, caller: Caller, body: Record<string, any>): Obj {
  onlyKeys(body, KEYS);
  checkStrings(body);
  if (typeof body.network_id !== "string") throw nerr.bad("Failed to parse request. Required attribute 'network_id' not specified", "HTTPBadRequest");
  const net = getNetwork(ctx, caller, body.network_id);
  const projectId = ownerOf(caller, body, "subnet");
  if (!caller.isAdmin && net.project_id !== projectId) throw nerr.policy("create_subnet");
  if (body.subnetpool_id || body.use_default_subnetpool) throw nerr.bad("Subnet pools are not supported by this cloud", "BadRequest");
  const ipVersion = Number(body.ip_version);
  if (body.ip_version === undefined) throw nerr.bad("Failed to parse request. Required attribute 'ip_version' not specified", "HTTPBadRequest");
  if (ipVersion !== 4 && ipVersion !== 6) throw nerr.invalid(`${body.ip_version} is not in valid_values [4, 6]`);
  if (typeof body.cidr !== "string") throw nerr.bad("Bad subnet request: a subnetpool must be specified in the absence of a cidr.", "BadRequest");
  const c = parseCidr(body.cidr);
  if (!c) throw nerr.invalid(`'${body.cidr}' is not a valid IP subnet.`);
  if (c.version !== ipVersion) throw nerr.invalid("Cidr and IP version are not compatible or the version is invalid.");
  // Host bits set ("10.0.0.1/24"): refused, with the network address recommended, as Neutron does.
  if (parseIp(body.cidr.split("/")[0]!)!.value !== c.net)
    throw nerr.invalid(`'${body.cidr}' isn't a recognized IP subnet cidr, '${formatCidr(c)}' is recommended`);
  for (const other of ctx.store.children("subnet", net.id)) {
    if (cidrsOverlap(c, subnetCidr(other)))
      throw nerr.invalid(`Requested subnet with cidr: ${formatCidr(c)} for network: ${net.id} overlaps with another subnet`);
  }
  const ra = body.ipv6_ra_mode ?? null, am = body.ipv6_address_mode ?? null;
  if (ipVersion === 4 && (ra || am)) throw nerr.invalid("ipv6_ra_mode or ipv6_address_mode cannot be set when enable_dhcp is set to False or the subnet is IPv4");
  if (ra !== null && !V6_MODES.includes(ra)) throw nerr.invalid(`'${ra}' is not in ${JSON.stringify(V6_MODES)}`);
  if (am !== null && !V6_MODES.includes(am)) throw nerr.invalid(`'${am}' is not in ${JSON.stringify(V6_MODES)}`);
  if (ra && am && ra !== am) throw nerr.invalid(`ipv6_ra_mode set to '${ra}' with ipv6_address_mode set to '${am}' is not valid. If both attributes are set, they must be the same value`);
  const gateway = body.gateway_ip === undefined ? (c.prefix >= (c.version === 4 ? 31 : 127) ? null : c.net + 1n) : parseGateway(body.gateway_ip, c);
  const pools = body.allocation_pools === undefined || body.allocation_pools === null ? defaultPools(c, gateway) : parsePools(body.allocation_pools, c, gateway);
  checkQuota(ctx, projectId, "subnet");
  const s: Obj = {
    ...baseFields(ctx, projectId, body),
    network_id: net.id,
    ip_version: ipVersion,
    cidr: formatCidr(c),
    gateway_ip: gateway === null ? null : formatIp(gateway, c.version),
    allocation_pools: poolsJson(pools, c.version),
    dns_nameservers: body.dns_nameservers === undefined || body.dns_nameservers === null ? [] : parseDns(body.dns_nameservers, c.version),
    host_routes: body.host_routes === undefined || body.host_routes === null ? [] : parseRoutes(body.host_routes, c.version),
    enable_dhcp: body.enable_dhcp === undefined ? true : bool(body.enable_dhcp, "enable_dhcp"),
    ipv6_ra_mode: ra,
    ipv6_address_mode: am,
    subnetpool_id: null,
    service_types: Array.isArray(body.service_types) ? body.service_types : [],
  };
  ctx.store.insert("subnet", s, net.id);
  net.subnets = [...net.subnets, s.id];
  touch(ctx, net);
  ctx.store.save(net);
  return s;
}

export function updateSubnet(ctx: NetCtx, caller: Caller, s: Obj, body: Record<string, any>): Obj {
  onlyKeys(body, KEYS);
  readOnly(body, ["network_id", "ip_version", "cidr", "tenant_id", "project_id", "ipv6_ra_mode", "ipv6_address_mode", "subnetpool_id"]);
  checkStrings(body);
  if (!caller.isAdmin && s.project_id !== caller.projectId) throw nerr.policy("update_subnet");
  const c = subnetCidr(s);
  if (body.name !== undefined) s.name = body.name ?? "";
  if (body.description !== undefined) s.description = body.description ?? "";
  if (body.enable_dhcp !== undefined) s.enable_dhcp = bool(body.enable_dhcp, "enable_dhcp");
  if (body.dns_nameservers !== undefined) s.dns_nameservers = body.dns_nameservers === null ? [] : parseDns(body.dns_nameservers, c.version);
  if (body.host_routes !== undefined) s.host_routes = body.host_routes === null ? [] : parseRoutes(body.host_routes, c.version);
  if (body.service_types !== undefined) s.service_types = body.service_types ?? [];
  let gateway = s.gateway_ip === null ? null : parseIp(s.gateway_ip)!.value;
  if (body.gateway_ip !== undefined) {
    const g = parseGateway(body.gateway_ip, c);
    if (g !== gateway) {
      const routerOnGw = ctx.store.children("port", s.network_id).some(
        (p) => p.device_owner === "network:router_interface" && p.fixed_ips.some((f: any) => f.subnet_id === s.id && f.ip_address === s.gateway_ip),
      );
      if (routerOnGw) throw nerr.conflict("GatewayIpInUse", `Gateway ip ${s.gateway_ip} in use by a router interface of subnet ${s.id}`);
      if (g !== null && ctx.store.isAllocated(s.id, formatIp(g, c.version)))
        throw nerr.conflict("GatewayIpInUse", `Gateway ip ${formatIp(g, c.version)} conflicts with an allocated address`);
    }
    gateway = g;
    s.gateway_ip = g === null ? null : formatIp(g, c.version);
  }
  if (body.allocation_pools !== undefined) {
    s.allocation_pools = poolsJson(body.allocation_pools === null ? defaultPools(c, gateway) : parsePools(body.allocation_pools, c, gateway), c.version);
  } else if (body.gateway_ip !== undefined && gateway !== null && subnetPools(s).some((p) => gateway! >= p.start && gateway! <= p.end)) {
    throw nerr.conflict("GatewayConflictWithAllocationPools", `Gateway ip ${s.gateway_ip} conflicts with allocation pool ${s.allocation_pools.map((p: any) => `${p.start}-${p.end}`).join(", ")}`);
  }
  touch(ctx, s);
  ctx.store.save(s);
  return s;
}

/** Remove a subnet row and its allocations (ports are checked by the caller). */
export function deleteSubnetRow(ctx: NetCtx, s: Obj): void {
  ctx.store.db.run("DELETE FROM network_ipallocs WHERE subnet_id = ?", s.id);
  ctx.store.remove(s.id);
}

export function deleteSubnet(ctx: NetCtx, caller: Caller, s: Obj): void {
  if (!caller.isAdmin && s.project_id !== caller.projectId) throw nerr.policy("delete_subnet");
  const ports = ctx.store.children("port", s.network_id);
  const using = ports.filter((p) => p.fixed_ips.some((f: any) => f.subnet_id === s.id));
  const blocking = using.filter((p) => p.device_owner !== "network:dhcp" && !(isAutoAddress(s) && !String(p.device_owner).startsWith("network:router")));
  if (blocking.length)
    throw nerr.conflict("SubnetInUse", `Unable to complete operation on subnet ${s.id}: One or more ports have an IP allocation from this subnet.`);
  // Auto-address (SLAAC) allocations go with the subnet, as in Neutron.
  for (const p of using) {
    p.fixed_ips = p.fixed_ips.filter((f: any) => f.subnet_id !== s.id);
    touch(ctx, p);
    ctx.store.save(p);
  }
  deleteSubnetRow(ctx, s);
  const net = ctx.store.get("network", s.network_id);
  if (net) {
    net.subnets = net.subnets.filter((x: string) => x !== s.id);
    touch(ctx, net);
    ctx.store.save(net);
  }
}
