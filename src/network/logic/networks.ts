import type { Caller, NetCtx, Obj } from "../store.ts";
import { NOT_FOUND, baseFields, bool, checkQuota, checkStrings, nerr, onlyKeys, ownerOf, ownsOrAdmin, readOnly, render, touch } from "./common.ts";
import { ensureDefaultGroup } from "./secgroups.ts";
import { removePortRow } from "./ports.ts";
import { deleteSubnetRow } from "./subnets.ts";

const CREATE_KEYS = [
  "name", "description", "admin_state_up", "shared", "router:external", "mtu", "port_security_enabled", "tenant_id", "project_id",
  "provider:network_type", "provider:physical_network", "provider:segmentation_id", "availability_zone_hints", "is_default",
  "dns_domain", "qos_policy_id",
];
const PROVIDER = ["provider:network_type", "provider:physical_network", "provider:segmentation_id"];

/** Networks a caller sees: its own, shared and external ones; admins see all. */
export function networkVisible(caller: Caller, n: Obj): boolean {
  return caller.isAdmin || n.project_id === caller.projectId || n.shared || n["router:external"];
}

export function getNetwork(ctx: NetCtx, caller: Caller, id: string): Obj {
  const n = ctx.store.get("network", id);
  if (!n || !networkVisible(caller, n)) throw NOT_FOUND.network(id);
  return n;
}

export function viewNetwork(_ctx: NetCtx, caller: Caller, n: Obj): Obj {
  const out = render(n);
  if (!caller.isAdmin) for (const k of PROVIDER) delete out[k];
  return out;
}

function nextSegment(ctx: NetCtx): number {
  let max = 1000;
  for (const n of ctx.store.list("network")) if (n["provider:network_type"] === "vxlan" && n["provider:segmentation_id"] > max) max = n["provider:segmentation_id"];
  return max + 1;
}

export function createNetwork(ctx: NetCtx, caller: Caller, body: Record<string, any>): Obj {
  onlyKeys(body, CREATE_KEYS);
  checkStrings(body);
  const projectId = ownerOf(caller, body, "network");
  for (const k of ["shared", "router:external", ...PROVIDER]) {
    if (body[k] !== undefined && !caller.isAdmin) throw nerr.policy(`create_network:${k}`);
  }
  const mtu = body.mtu === undefined ? 1500 : Number(body.mtu);
  if (!Number.isInteger(mtu) || mtu < 68) throw nerr.invalid(`'${body.mtu}' is not a valid MTU`);
  const netType = body["provider:network_type"] ?? (body["router:external"] ? "flat" : "vxlan");
  if (!["flat", "vlan", "vxlan", "geneve", "gre", "local"].includes(netType)) throw nerr.invalid(`network_type value '${netType}' not supported`);
  checkQuota(ctx, projectId, "network");
  const n: Obj = {
    ...baseFields(ctx, projectId, body),
    admin_state_up: body.admin_state_up === undefined ? true : bool(body.admin_state_up, "admin_state_up"),
    status: "ACTIVE",
    subnets: [],
    shared: body.shared === undefined ? false : bool(body.shared, "shared"),
    "router:external": body["router:external"] === undefined ? false : bool(body["router:external"], "router:external"),
    mtu,
    port_security_enabled: body.port_security_enabled === undefined ? true : bool(body.port_security_enabled, "port_security_enabled"),
    availability_zone_hints: Array.isArray(body.availability_zone_hints) ? body.availability_zone_hints : [],
    availability_zones: ["nova"],
    ipv4_address_scope: null,
    ipv6_address_scope: null,
    is_default: false,
    l2_adjacency: true,
    "provider:network_type": netType,
    "provider:physical_network": body["provider:physical_network"] ?? (netType === "flat" || netType === "vlan" ? "public" : null),
    "provider:segmentation_id": body["provider:segmentation_id"] ?? (netType === "vxlan" ? nextSegment(ctx) : null),
  };
  ctx.store.insert("network", n);
  ensureDefaultGroup(ctx, projectId);
  return n;
}

export function updateNetwork(ctx: NetCtx, caller: Caller, n: Obj, body: Record<string, any>): Obj {
  onlyKeys(body, CREATE_KEYS);
  readOnly(body, ["tenant_id", "project_id", ...(caller.isAdmin ? [] : PROVIDER)]);
  checkStrings(body);
  if (!ownsOrAdmin(caller, n)) throw nerr.policy("update_network");
  for (const k of ["shared", "router:external"]) if (body[k] !== undefined && !caller.isAdmin) throw nerr.policy(`update_network:${k}`);
  if (body.name !== undefined) n.name = body.name ?? "";
  if (body.description !== undefined) n.description = body.description ?? "";
  if (body.admin_state_up !== undefined) n.admin_state_up = bool(body.admin_state_up, "admin_state_up");
  if (body.port_security_enabled !== undefined) n.port_security_enabled = bool(body.port_security_enabled, "port_security_enabled");
  if (body.mtu !== undefined) n.mtu = Number(body.mtu);
  if (body.shared !== undefined) {
    const shared = bool(body.shared, "shared");
    if (!shared && n.shared) {
      const foreign = ctx.store.children("port", n.id).some((p) => p.project_id && p.project_id !== n.project_id && !String(p.device_owner).startsWith("network:"));
      if (foreign)
        throw nerr.conflict("InvalidSharedSetting", `Unable to reconfigure sharing settings for network ${n.id}. Multiple tenants are using it.`);
    }
    n.shared = shared;
  }
  if (body["router:external"] !== undefined) n["router:external"] = bool(body["router:external"], "router:external");
  touch(ctx, n);
  ctx.store.save(n);
  return n;
}

export function deleteNetwork(ctx: NetCtx, caller: Caller, n: Obj): void {
  if (!ownsOrAdmin(caller, n)) throw nerr.policy("delete_network");
  // Floating IPs of an external network go with it (as in Neutron); DHCP ports too.
  for (const f of ctx.store.list("floatingip")) {
    if (f.floating_network_id !== n.id) continue;
    const fp = ctx.store.get("port", f._port);
    if (fp) removePortRow(ctx, fp);
    ctx.store.remove(f.id);
  }
  const blocking = ctx.store.children("port", n.id).filter((p) => p.device_owner !== "network:dhcp");
  if (blocking.length)
    throw nerr.conflict("NetworkInUse", `Unable to complete operation on network ${n.id}. There are one or more ports still in use on the network.`);
  for (const p of ctx.store.children("port", n.id)) removePortRow(ctx, p);
  for (const s of ctx.store.children("subnet", n.id)) deleteSubnetRow(ctx, s);
  ctx.store.remove(n.id);
}
