import { cidrContains, eui64, formatIp, parseIp } from "../ipam.ts";
import type { Caller, NetCtx, Obj } from "../store.ts";
import { NOT_FOUND, baseFields, bool, checkQuota, checkStrings, nerr, onlyKeys, ownerOf, readOnly, render, touch } from "./common.ts";
import { getNetwork } from "./networks.ts";
import { ensureDefaultGroup, getGroup } from "./secgroups.ts";
import { isAutoAddress, subnetCidr, subnetPools } from "./subnets.ts";

const KEYS = [
  "name", "description", "network_id", "admin_state_up", "mac_address", "fixed_ips", "device_id", "device_owner", "tenant_id",
  "project_id", "security_groups", "port_security_enabled", "allowed_address_pairs", "extra_dhcp_opts", "binding:host_id",
  "binding:profile", "binding:vnic_type", "dns_name", "qos_policy_id", "propagate_uplink_status", "numa_affinity_policy",
];
const BINDING_ADMIN = ["binding:host_id", "binding:profile"];
const VNIC_TYPES = ["normal", "direct", "macvtap", "baremetal", "direct-physical", "virtio-forwarder", "smart-nic", "vdpa", "accelerator-direct", "accelerator-direct-physical", "remote-managed"];
export const ROUTER_OWNERS = ["network:router_interface", "network:router_interface_distributed", "network:ha_router_replicated_interface", "network:router_centralized_snat"];

export function portVisible(ctx: NetCtx, caller: Caller, p: Obj): boolean {
  if (caller.isAdmin || p.project_id === caller.projectId) return true;
  const n = ctx.store.get("network", p.network_id);
  return !!n && n.project_id === caller.projectId;
}

export function getPort(ctx: NetCtx, caller: Caller, id: string): Obj {
  const p = ctx.store.get("port", id);
  if (!p || !portVisible(ctx, caller, p)) throw NOT_FOUND.port(id);
  return p;
}

export function viewPort(_ctx: NetCtx, caller: Caller, p: Obj): Obj {
  const out = render(p);
  if (!caller.isAdmin) for (const k of ["binding:host_id", "binding:profile", "binding:vif_type", "binding:vif_details"]) delete out[k];
  return out;
}

function randomMac(): string {
  const b = crypto.getRandomValues(new Uint8Array(3));
  return ["fa", "16", "3e", ...[...b].map((x) => x.toString(16).padStart(2, "0"))].join(":");
}

function normMac(v: unknown): string {
  if (typeof v !== "string" || !/^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$/.test(v)) throw nerr.invalid(`'${v}' is not a valid MAC address`);
  const mac = v.toLowerCase().replaceAll("-", ":");
  const first = parseInt(mac.slice(0, 2), 16);
  if (first & 1 || mac === "00:00:00:00:00:00") throw nerr.invalid(`'${v}' is not a valid MAC address`);
  return mac;
}

/** The first free address of a subnet's pools (caller holds the transaction). */
function nextFree(ctx: NetCtx, s: Obj): string | null {
  const c = subnetCidr(s);
  const used = ctx.store.allocated(s.id);
  for (const pool of subnetPools(s)) {
    // Skip over the allocated run quickly: at most |used| + 1 probes per pool.
    for (let ip = pool.start; ip <= pool.end; ip++) {
      const a = formatIp(ip, c.version);
      if (!used.has(a)) return a;
      if (ip - pool.start > BigInt(used.size) + 1n) break;
    }
  }
  return null;
}

export interface FixedIpReq {
  subnet_id?: string;
  ip_address?: string;
}

/**
 * Allocate a port's fixed IPs on a network, in the caller's transaction: the
 * requested ones (checked: inside a subnet of the network, not already
 * allocated) or, with none requested, one address from the first IPv4 subnet
 * with room, one from the first stateful IPv6 subnet, and one from every
 * SLAAC subnet.
 */
export function allocateIps(ctx: NetCtx, net: Obj, portId: string, mac: string, req: FixedIpReq[] | undefined, owner: string): { subnet_id: string; ip_address: string }[] {
  const subnets = ctx.store.children("subnet", net.id);
  const out: { subnet_id: string; ip_address: string }[] = [];
  const take = (s: Obj, ip: string) => {
    if (ctx.store.isAllocated(s.id, ip)) {
      throw nerr.conflict("IpAddressAlreadyAllocated", `IP address ${ip} already allocated in subnet ${s.id}`);
    }
    ctx.store.allocate(s.id, ip, portId, net.id);
    out.push({ subnet_id: s.id, ip_address: ip });
  };
  const auto = (s: Obj) => take(s, formatIp(eui64(subnetCidr(s).net, mac), 6));
  if (req === undefined) {
    const v4 = subnets.filter((s) => s.ip_version === 4);
    const v6 = subnets.filter((s) => s.ip_version === 6 && !isAutoAddress(s));
    let failed = false;
    for (const group of [v4, v6]) {
      if (!group.length) continue;
      const s = group.find((x) => nextFree(ctx, x) !== null);
      if (!s) {
        failed = true;
        continue;
      }
      take(s, nextFree(ctx, s)!);
    }
    if (failed && !out.length)
      throw nerr.conflict("IpAddressGenerationFailure", `No more IP addresses available on network ${net.id}.`);
    if (!String(owner).startsWith("network:router")) for (const s of subnets.filter(isAutoAddress)) auto(s);
    return out;
  }
  if (!Array.isArray(req)) throw nerr.invalid(`Invalid data format for fixed IP: '${JSON.stringify(req)}'`);
  for (const f of req) {
    if (!f || typeof f !== "object") throw nerr.invalid(`Invalid data format for fixed IP: '${JSON.stringify(f)}'`);
    let subnet: Obj | undefined;
    if (f.subnet_id !== undefined) {
      subnet = subnets.find((s) => s.id === f.subnet_id);
      if (!subnet) {
        if (!ctx.store.get("subnet", String(f.subnet_id))) throw NOT_FOUND.subnet(String(f.subnet_id));
        throw nerr.invalid(`Failed to create port on network ${net.id}, because fixed_ips included invalid subnet ${f.subnet_id}`);
      }
    }
    if (f.ip_address !== undefined) {
      const ip = typeof f.ip_address === "string" ? parseIp(f.ip_address) : null;
      if (!ip) throw nerr.invalid(`'${f.ip_address}' is not a valid IP address`);
      if (subnet) {
        if (!cidrContains(subnetCidr(subnet), ip))
          throw nerr.bad(`IP address ${f.ip_address} is not a valid IP for the specified subnet.`, "InvalidIpForSubnet");
      } else {
        subnet = subnets.find((s) => cidrContains(subnetCidr(s), ip));
        if (!subnet) throw nerr.bad(`IP address ${f.ip_address} is not a valid IP for any of the subnets on the specified network.`, "InvalidIpForNetwork");
      }
      const c = subnetCidr(subnet);
      const addr = formatIp(ip.value, ip.version);
      if (c.version === 4 && c.prefix < 31 && (ip.value === c.net || ip.value === c.net + (1n << BigInt(32 - c.prefix)) - 1n))
        throw nerr.bad(`IP address ${addr} is not a valid IP for the specified subnet.`, "InvalidIpForSubnet");
      if (addr === subnet.gateway_ip && !ROUTER_OWNERS.includes(owner) && owner !== "network:dhcp")
        throw nerr.conflict("IpAddressInUse", `Unable to complete operation for network ${net.id}. The IP address ${addr} is in use.`);
      if (ctx.store.isAllocated(subnet.id, addr))
        throw nerr.conflict("IpAddressInUse", `Unable to complete operation for network ${net.id}. The IP address ${addr} is in use.`);
      take(subnet, addr);
    } else if (subnet) {
      if (isAutoAddress(subnet)) {
        auto(subnet);
        continue;
      }
      const ip = nextFree(ctx, subnet);
      if (!ip) throw nerr.conflict("IpAddressGenerationFailure", `No more IP addresses available on network ${net.id}.`);
      take(subnet, ip);
    } else {
      throw nerr.invalid(`Invalid data format for fixed IP: '${JSON.stringify(f)}'`);
    }
  }
  return out;
}

function parsePairs(raw: unknown, mac: string): { ip_address: string; mac_address: string }[] {
  if (!Array.isArray(raw)) throw nerr.invalid("Allowed address pairs must be a list.");
  const out: { ip_address: string; mac_address: string }[] = [];
  for (const p of raw) {
    if (!p || typeof p !== "object" || !("ip_address" in p)) throw nerr.bad("AllowedAddressPair must contain ip_address", "AllowedAddressPairsMissingIP");
    const ip = String(p.ip_address);
    const ok = ip.includes("/") ? !!parseIpCidr(ip) : !!parseIp(ip);
    if (!ok) throw nerr.invalid(`'${ip}' is not a valid IP address`);
    const pair = { ip_address: ip, mac_address: p.mac_address ? normMac(p.mac_address) : mac };
    if (out.some((x) => x.ip_address === pair.ip_address && x.mac_address === pair.mac_address))
      throw nerr.bad("Request contains duplicate address pair", "DuplicateAddressPairInRequest");
    out.push(pair);
  }
  return out;
}
function parseIpCidr(s: string) {
  const [a, p] = s.split("/");
  return parseIp(a!) && /^\d+$/.test(p ?? "") ? true : null;
}

function parseSgs(ctx: NetCtx, caller: Caller, projectId: string, raw: unknown): string[] {
  if (!Array.isArray(raw)) throw nerr.invalid(`'${JSON.stringify(raw)}' is not a list`);
  const out: string[] = [];
  for (const id of raw) {
    const g = getGroup(ctx, caller, String(id));
    if (g.project_id !== projectId && !caller.isAdmin) throw NOT_FOUND.security_group(String(id));
    if (!out.includes(g.id)) out.push(g.id);
  }
  return out;
}

function parseDhcpOpts(raw: unknown): Obj[] {
  if (!Array.isArray(raw)) throw nerr.invalid("extra_dhcp_opts must be a list");
  return raw.map((o) => {
    if (!o || typeof o.opt_name !== "string") throw nerr.invalid(`Invalid extra DHCP option ${JSON.stringify(o)}`);
    return { opt_name: o.opt_name, opt_value: o.opt_value ?? null, ip_version: o.ip_version === undefined ? 4 : Number(o.ip_version) };
  }) as unknown as Obj[];
}

/** Create a port (API and internal: router interfaces, gateways, floating IPs, Compute). */
export function createPort(ctx: NetCtx, caller: Caller, body: Record<string, any>, internal = false): Obj {
  onlyKeys(body, KEYS);
  checkStrings(body, ["name", "description", "device_id", "device_owner"]);
  if (typeof body.network_id !== "string") throw nerr.bad("Failed to parse request. Required attribute 'network_id' not specified", "HTTPBadRequest");
  const net = getNetwork(ctx, caller, body.network_id);
  const projectId = internal && typeof body.project_id === "string" ? body.project_id : ownerOf(caller, body, "port");
  if (!internal && !caller.isAdmin && net.project_id !== caller.projectId && !net.shared) throw nerr.policy("create_port");
  if (!internal && !caller.isAdmin) {
    for (const k of BINDING_ADMIN) if (body[k] !== undefined) throw nerr.policy(`create_port:${k}`);
    if (body.mac_address !== undefined && net.project_id !== caller.projectId) throw nerr.policy("create_port:mac_address");
  }
  const owner: string = body.device_owner ?? "";
  const mac = body.mac_address === undefined ? randomMac() : normMac(body.mac_address);
  if (ctx.store.children("port", net.id).some((p) => p.mac_address === mac))
    throw nerr.conflict("MacAddressInUse", `Unable to complete operation for network ${net.id}. The mac address ${mac} is in use.`);
  const portSec = body.port_security_enabled === undefined ? net.port_security_enabled !== false : bool(body.port_security_enabled, "port_security_enabled");
  const isNetworkOwned = owner.startsWith("network:");
  let sgs: string[] = [];
  if (body.security_groups !== undefined && body.security_groups !== null) {
    sgs = parseSgs(ctx, caller, projectId, body.security_groups);
  } else if (portSec && !isNetworkOwned && projectId) {
    sgs = [ensureDefaultGroup(ctx, projectId).id];
  }
  if (!portSec && sgs.length)
    throw nerr.bad("Port security must be enabled and port must have an IP address in order to use security groups.", "PortSecurityAndIPRequiredForSecurityGroups");
  const pairs = body.allowed_address_pairs === undefined || body.allowed_address_pairs === null ? [] : parsePairs(body.allowed_address_pairs, mac);
  if (!portSec && pairs.length) throw nerr.conflict("AddressPairAndPortSecurityRequired", "Port Security must be enabled in order to have allowed address pairs on a port.");
  const vnic = body["binding:vnic_type"] ?? "normal";
  if (!VNIC_TYPES.includes(vnic)) throw nerr.invalid(`${vnic} is not in valid_values ${JSON.stringify(VNIC_TYPES)}`);
  if (projectId) checkQuota(ctx, projectId, "port");
  const base = baseFields(ctx, projectId, body);
  const fixed = allocateIps(ctx, net, base.id, mac, body.fixed_ips === null ? undefined : body.fixed_ips, owner);
  const host = body["binding:host_id"] ?? "";
  const p: Obj = {
    ...base,
    network_id: net.id,
    admin_state_up: body.admin_state_up === undefined ? true : bool(body.admin_state_up, "admin_state_up"),
    mac_address: mac,
    fixed_ips: fixed,
    device_id: body.device_id ?? "",
    device_owner: owner,
    status: "DOWN",
    security_groups: sgs,
    port_security_enabled: portSec,
    allowed_address_pairs: pairs,
    extra_dhcp_opts: body.extra_dhcp_opts ? parseDhcpOpts(body.extra_dhcp_opts) : [],
    "binding:host_id": host,
    "binding:profile": body["binding:profile"] ?? {},
    "binding:vnic_type": vnic,
    "binding:vif_type": host ? "ovs" : "unbound",
    "binding:vif_details": host ? { port_filter: true, connectivity: "l2", bridge_name: "br-int", datapath_type: "system" } : {},
    ip_allocation: "immediate",
  };
  p.status = portStatus(p);
  ctx.store.insert("port", p, net.id);
  return p;
}

/** ACTIVE once bound to a host or owned by the network itself (router, DHCP, floating IP); DOWN otherwise. */
export function portStatus(p: Obj): string {
  if (!p.admin_state_up) return "DOWN";
  if (String(p.device_owner).startsWith("network:router") || p.device_owner === "network:dhcp") return "ACTIVE";
  return p["binding:host_id"] && p.device_id ? "ACTIVE" : "DOWN";
}

export function updatePort(ctx: NetCtx, caller: Caller, p: Obj, body: Record<string, any>, internal = false): Obj {
  onlyKeys(body, KEYS);
  readOnly(body, ["network_id", "tenant_id", "project_id"]);
  checkStrings(body, ["name", "description", "device_id", "device_owner"]);
  if (!internal && !caller.isAdmin) {
    if (p.project_id !== caller.projectId) throw nerr.policy("update_port");
    for (const k of BINDING_ADMIN) if (body[k] !== undefined) throw nerr.policy(`update_port:${k}`);
    if (body.mac_address !== undefined) throw nerr.policy("update_port:mac_address");
  }
  if (body.name !== undefined) p.name = body.name ?? "";
  if (body.description !== undefined) p.description = body.description ?? "";
  if (body.admin_state_up !== undefined) p.admin_state_up = bool(body.admin_state_up, "admin_state_up");
  if (body.device_id !== undefined) p.device_id = body.device_id ?? "";
  if (body.device_owner !== undefined) p.device_owner = body.device_owner ?? "";
  if (body.mac_address !== undefined) {
    const mac = normMac(body.mac_address);
    if (p["binding:vif_type"] !== "unbound" && p.device_id) throw nerr.conflict("PortBound", `Unable to complete operation on port ${p.id}, port is already bound`);
    if (ctx.store.children("port", p.network_id).some((o) => o.id !== p.id && o.mac_address === mac))
      throw nerr.conflict("MacAddressInUse", `Unable to complete operation for network ${p.network_id}. The mac address ${mac} is in use.`);
    p.mac_address = mac;
  }
  if (body.fixed_ips !== undefined) {
    const net = ctx.store.get("network", p.network_id)!;
    const old = new Map((p.fixed_ips as { subnet_id: string; ip_address: string }[]).map((f) => [`${f.subnet_id}/${f.ip_address}`, f]));
    const req = (body.fixed_ips ?? []) as FixedIpReq[];
    if (!Array.isArray(req)) throw nerr.invalid("fixed_ips must be a list");
    // Keep addresses asked for again; release the others, then allocate the new ones.
    const keep: { subnet_id: string; ip_address: string }[] = [];
    const fresh: FixedIpReq[] = [];
    for (const f of req) {
      const ip = f.ip_address && parseIp(f.ip_address);
      const hit = ip ? [...old.values()].find((o) => o.ip_address === formatIp(ip.value, ip.version) && (!f.subnet_id || o.subnet_id === f.subnet_id)) : undefined;
      if (hit) keep.push(hit);
      else fresh.push(f);
    }
    for (const o of old.values()) if (!keep.includes(o)) ctx.store.release(o.subnet_id, o.ip_address);
    p.fixed_ips = [...keep, ...(fresh.length ? allocateIps(ctx, net, p.id, p.mac_address, fresh, p.device_owner) : [])];
  }
  if (body.port_security_enabled !== undefined) p.port_security_enabled = bool(body.port_security_enabled, "port_security_enabled");
  if (body.security_groups !== undefined) p.security_groups = body.security_groups === null ? [] : parseSgs(ctx, caller, p.project_id, body.security_groups);
  if (body.allowed_address_pairs !== undefined) p.allowed_address_pairs = body.allowed_address_pairs === null ? [] : parsePairs(body.allowed_address_pairs, p.mac_address);
  if (!p.port_security_enabled) {
    if (p.security_groups.length)
      throw nerr.conflict("PortSecurityPortHasSecurityGroup", "Port has security group associated. Cannot disable port security or ip address until security group is removed");
    if (p.allowed_address_pairs.length) throw nerr.conflict("AddressPairAndPortSecurityRequired", "Port Security must be enabled in order to have allowed address pairs on a port.");
  }
  if (body.extra_dhcp_opts !== undefined) {
    const opts = parseDhcpOpts(body.extra_dhcp_opts ?? []);
    const merged = [...p.extra_dhcp_opts] as Obj[];
    for (const o of opts) {
      const i = merged.findIndex((m) => m.opt_name === o.opt_name && m.ip_version === o.ip_version);
      if (o.opt_value === null) { if (i >= 0) merged.splice(i, 1); }
      else if (i >= 0) merged[i] = o;
      else merged.push(o);
    }
    p.extra_dhcp_opts = merged;
  }
  if (body["binding:vnic_type"] !== undefined) p["binding:vnic_type"] = body["binding:vnic_type"];
  if (body["binding:profile"] !== undefined) p["binding:profile"] = body["binding:profile"] ?? {};
  if (body["binding:host_id"] !== undefined) {
    p["binding:host_id"] = body["binding:host_id"] ?? "";
    p["binding:vif_type"] = p["binding:host_id"] ? "ovs" : "unbound";
    p["binding:vif_details"] = p["binding:host_id"] ? { port_filter: true, connectivity: "l2", bridge_name: "br-int", datapath_type: "system" } : {};
  }
  p.status = portStatus(p);
  touch(ctx, p);
  ctx.store.save(p);
  return p;
}

/** Delete a port row: its addresses return to the pool, its floating IPs are disassociated. */
export function removePortRow(ctx: NetCtx, p: Obj): void {
  for (const f of ctx.store.list("floatingip")) {
    if (f.port_id === p.id) {
      f.port_id = null;
      f.fixed_ip_address = null;
      f.router_id = null;
      f.status = "DOWN";
      touch(ctx, f);
      ctx.store.save(f);
    }
  }
  ctx.store.releasePort(p.id);
  ctx.store.remove(p.id);
}

export function deletePort(ctx: NetCtx, caller: Caller, p: Obj): void {
  if (!caller.isAdmin && p.project_id !== caller.projectId) {
    const n = ctx.store.get("network", p.network_id);
    if (!n || n.project_id !== caller.projectId) throw nerr.policy("delete_port");
  }
  if (ROUTER_OWNERS.includes(p.device_owner) || p.device_owner === "network:router_gateway" || p.device_owner === "network:floatingip")
    throw nerr.conflict("L3PortInUse", `Port ${p.id} cannot be deleted directly via the port API: has device owner ${p.device_owner}.`);
  removePortRow(ctx, p);
}
