import { cidrContains, cidrsOverlap, parseCidr, parseIp } from "../ipam.ts";
import type { Caller, NetCtx, Obj } from "../store.ts";
import { NOT_FOUND, baseFields, bool, checkQuota, checkStrings, nerr, onlyKeys, ownerOf, ownsOrAdmin, readOnly, render, touch } from "./common.ts";
import { getNetwork } from "./networks.ts";
import { createPort, getPort, removePortRow, ROUTER_OWNERS } from "./ports.ts";
import { getSubnet, subnetCidr } from "./subnets.ts";

const KEYS = ["name", "description", "admin_state_up", "external_gateway_info", "tenant_id", "project_id", "routes", "availability_zone_hints", "distributed", "ha", "flavor_id"];
const bad = (m: string) => nerr.bad(`Bad router request: ${m}.`, "BadRequest");

export function getRouter(ctx: NetCtx, caller: Caller, id: string): Obj {
  const r = ctx.store.get("router", id);
  if (!r || !ownsOrAdmin(caller, r)) throw NOT_FOUND.router(id);
  return r;
}

export function viewRouter(ctx: NetCtx, _caller: Caller, r: Obj): Obj {
  const out = render(r);
  if (r._gw) {
    const gwPort = ctx.store.get("port", r._gw.port_id);
    out.external_gateway_info = {
      network_id: r._gw.network_id,
      enable_snat: r._gw.enable_snat,
      external_fixed_ips: (gwPort?.fixed_ips ?? []).map((f: Obj) => ({ subnet_id: f.subnet_id, ip_address: f.ip_address })),
    };
  } else out.external_gateway_info = null;
  return out;
}

/** Interface ports of a router. */
export function routerInterfaces(ctx: NetCtx, routerId: string): Obj[] {
  return ctx.store.byDevice("port", routerId).filter((p) => ROUTER_OWNERS.includes(p.device_owner));
}

function setGateway(ctx: NetCtx, caller: Caller, r: Obj, info: any): void {
  if (info !== null && (typeof info !== "object" || Array.isArray(info))) throw nerr.invalid(`Invalid external_gateway_info ${JSON.stringify(info)}`);
  const wanted = info && Object.keys(info).length && info.network_id ? info : null;
  if (info && Object.keys(info).length && !info.network_id) throw nerr.invalid("Validation of dictionary's keys failed. Expected keys: {'network_id'}");
  if (wanted && "enable_snat" in wanted && !caller.isAdmin && wanted.enable_snat === false) throw nerr.policy("update_router:external_gateway_info:enable_snat");
  if (wanted && wanted.external_fixed_ips && !caller.isAdmin) throw nerr.policy("update_router:external_gateway_info:external_fixed_ips");
  const current = r._gw as { network_id: string; port_id: string; enable_snat: boolean } | undefined;
  if (current && (!wanted || wanted.network_id !== current.network_id || wanted.external_fixed_ips)) {
    // Floating IPs that reach their ports through this gateway keep it in use.
    const inUse = ctx.store.list("floatingip").some((f) => f.router_id === r.id && f.floating_network_id === current.network_id);
    if (inUse) throw nerr.conflict("RouterExternalGatewayInUseByFloatingIp", `Gateway cannot be updated for router ${r.id}, since a gateway to external network ${current.network_id} is required by one or more floating IPs.`);
    const port = ctx.store.get("port", current.port_id);
    if (port) removePortRow(ctx, port);
    delete r._gw;
  }
  if (!wanted) return;
  if (current && wanted.network_id === current.network_id && !wanted.external_fixed_ips) {
    if ("enable_snat" in wanted) r._gw = { ...current, enable_snat: bool(wanted.enable_snat, "enable_snat") };
    return;
  }
  const net = getNetwork(ctx, caller, wanted.network_id);
  if (!net["router:external"]) throw bad(`Network ${net.id} is not an external network`);
  for (const p of routerInterfaces(ctx, r.id)) {
    if (p.network_id === net.id) throw bad(`Network ${net.id} is already connected to router ${r.id} as an interface`);
  }
  const port = createPort(
    ctx,
    { projectId: "", isAdmin: true },
    {
      network_id: net.id, device_id: r.id, device_owner: "network:router_gateway", project_id: "",
      ...(wanted.external_fixed_ips ? { fixed_ips: wanted.external_fixed_ips } : {}),
    },
    true,
  );
  if (!port.fixed_ips.length) {
    removePortRow(ctx, port);
    throw nerr.conflict("IpAddressGenerationFailure", `No more IP addresses available on network ${net.id}.`);
  }
  r._gw = { network_id: net.id, port_id: port.id, enable_snat: wanted.enable_snat === undefined ? true : bool(wanted.enable_snat, "enable_snat") };
}

function parseRoutes(ctx: NetCtx, r: Obj, raw: unknown): { destination: string; nexthop: string }[] {
  if (!Array.isArray(raw)) throw nerr.invalid("routes must be a list");
  const subnets = routerInterfaces(ctx, r.id).flatMap((p) => p.fixed_ips.map((f: Obj) => ctx.store.get("subnet", f.subnet_id))).filter(Boolean) as Obj[];
  return raw.map((x) => {
    const d = x && typeof x.destination === "string" ? parseCidr(x.destination) : null;
    const h = x && typeof x.nexthop === "string" ? parseIp(x.nexthop) : null;
    if (!d || !h) throw nerr.invalid(`Invalid route ${JSON.stringify(x)}`);
    if (!subnets.some((s) => cidrContains(subnetCidr(s), h)))
      throw nerr.bad(`Invalid format for routes: ${JSON.stringify(raw)}, the nexthop is not connected with router`, "InvalidRoutes");
    return { destination: x.destination, nexthop: x.nexthop };
  });
}

export function createRouter(ctx: NetCtx, caller: Caller, body: Record<string, any>): Obj {
  onlyKeys(body, KEYS);
  checkStrings(body);
  const projectId = ownerOf(caller, body, "router");
  for (const k of ["distributed", "ha"]) if (body[k] !== undefined && !caller.isAdmin) throw nerr.policy(`create_router:${k}`);
  checkQuota(ctx, projectId, "router");
  const r: Obj = {
    ...baseFields(ctx, projectId, body),
    admin_state_up: body.admin_state_up === undefined ? true : bool(body.admin_state_up, "admin_state_up"),
    status: "ACTIVE",
    external_gateway_info: null,
    routes: [],
    availability_zone_hints: Array.isArray(body.availability_zone_hints) ? body.availability_zone_hints : [],
    availability_zones: ["nova"],
  };
  if (body.external_gateway_info !== undefined) setGateway(ctx, caller, r, body.external_gateway_info);
  ctx.store.insert("router", r);
  if (r._gw) {
    // The gateway port was created before the router row existed; its device_id is right.
  }
  return r;
}

export function updateRouter(ctx: NetCtx, caller: Caller, r: Obj, body: Record<string, any>): Obj {
  onlyKeys(body, KEYS);
  readOnly(body, ["tenant_id", "project_id"]);
  checkStrings(body);
  if (body.name !== undefined) r.name = body.name ?? "";
  if (body.description !== undefined) r.description = body.description ?? "";
  if (body.admin_state_up !== undefined) r.admin_state_up = bool(body.admin_state_up, "admin_state_up");
  if (body.external_gateway_info !== undefined) setGateway(ctx, caller, r, body.external_gateway_info);
  if (body.routes !== undefined) r.routes = body.routes === null ? [] : parseRoutes(ctx, r, body.routes);
  touch(ctx, r);
  ctx.store.save(r);
  return r;
}

export function deleteRouter(ctx: NetCtx, _caller: Caller, r: Obj): void {
  if (routerInterfaces(ctx, r.id).length) throw nerr.conflict("RouterInUse", `Router ${r.id} still has ports`);
  for (const f of ctx.store.list("floatingip")) if (f.router_id === r.id) throw nerr.conflict("RouterInUse", `Router ${r.id} still has ports`);
  if (r._gw) {
    const port = ctx.store.get("port", r._gw.port_id);
    if (port) removePortRow(ctx, port);
  }
  ctx.store.remove(r.id);
}

function interfaceInfo(r: Obj, port: Obj) {
  return {
    id: r.id,
    tenant_id: r.project_id,
    project_id: r.project_id,
    port_id: port.id,
    network_id: port.network_id,
    subnet_id: port.fixed_ips[0]?.subnet_id ?? null,
    subnet_ids: port.fixed_ips.map((f: Obj) => f.subnet_id),
  };
}

function checkOverlap(ctx: NetCtx, r: Obj, subnetIds: string[]): void {
  const existing = routerInterfaces(ctx, r.id).flatMap((p) => p.fixed_ips.map((f: Obj) => f.subnet_id as string));
  for (const sid of subnetIds) {
    const s = ctx.store.get("subnet", sid)!;
    if (existing.includes(sid)) throw bad(`Router already has a port on subnet ${sid}`);
    for (const oid of existing) {
      const o = ctx.store.get("subnet", oid);
      if (o && cidrsOverlap(subnetCidr(o), subnetCidr(s)))
        throw bad(`Cidr ${s.cidr} of subnet ${s.id} overlaps with cidr ${o.cidr} of subnet ${o.id}`);
    }
  }
}

export function addInterface(ctx: NetCtx, caller: Caller, r: Obj, body: Record<string, any>) {
  if (!body || typeof body !== "object") throw bad("Either subnet_id or port_id must be specified");
  const { subnet_id: subnetId, port_id: portId } = body;
  if (subnetId && portId) throw bad("Cannot specify both subnet-id and port-id");
  if (!subnetId && !portId) throw bad("Either subnet_id or port_id must be specified");
  if (portId) {
    const port = getPort(ctx, caller, String(portId));
    if (port.device_id || port.device_owner)
      throw nerr.conflict("PortInUse", `Unable to complete operation on port ${port.id} for network ${port.network_id}. Port already has an attached device ${port.device_id}.`);
    if (!port.fixed_ips.length) throw bad(`Router port must have at least one fixed IP`);
    if (r._gw && port.network_id === r._gw.network_id) throw bad(`Network ${port.network_id} is already connected to router ${r.id} as its gateway`);
    checkOverlap(ctx, r, port.fixed_ips.map((f: Obj) => f.subnet_id));
    port.device_id = r.id;
    port.device_owner = "network:router_interface";
    port.security_groups = [];
    port.status = "ACTIVE";
    touch(ctx, port);
    ctx.store.save(port);
    touch(ctx, r);
    ctx.store.save(r);
    return interfaceInfo(r, port);
  }
  const subnet = getSubnet(ctx, caller, String(subnetId));
  if (!caller.isAdmin && subnet.project_id !== caller.projectId) {
    const net = ctx.store.get("network", subnet.network_id);
    if (!net?.shared) throw NOT_FOUND.subnet(subnet.id);
  }
  if (!subnet.gateway_ip) throw bad(`Subnet ${subnet.id} does not have a gateway IP`);
  if (r._gw && subnet.network_id === r._gw.network_id) throw bad(`Network ${subnet.network_id} is already connected to router ${r.id} as its gateway`);
  if (subnet.ip_version === 6 && subnet.ipv6_address_mode && subnet.ipv6_address_mode !== "slaac" && subnet.ipv6_ra_mode === null) {
    /* Neutron accepts these too */
  }
  checkOverlap(ctx, r, [subnet.id]);
  const port = createPort(
    ctx,
    { projectId: r.project_id, isAdmin: true },
    {
      network_id: subnet.network_id, project_id: r.project_id, device_id: r.id, device_owner: "network:router_interface",
      fixed_ips: [{ subnet_id: subnet.id, ip_address: subnet.gateway_ip }],
    },
    true,
  );
  touch(ctx, r);
  ctx.store.save(r);
  return interfaceInfo(r, port);
}

export function removeInterface(ctx: NetCtx, caller: Caller, r: Obj, body: Record<string, any>) {
  if (!body || typeof body !== "object") throw bad("Either subnet_id or port_id must be specified");
  const { subnet_id: subnetId, port_id: portId } = body;
  if (!subnetId && !portId) throw bad("Either subnet_id or port_id must be specified");
  const ifaces = routerInterfaces(ctx, r.id);
  let port: Obj | undefined;
  if (portId) {
    port = ifaces.find((p) => p.id === portId);
    if (!port) {
      if (!ctx.store.get("port", String(portId))) throw NOT_FOUND.port(String(portId));
      throw nerr.notFound("RouterInterfaceNotFound", `Router ${r.id} does not have an interface with id ${portId}`);
    }
    if (subnetId && !port.fixed_ips.some((f: Obj) => f.subnet_id === subnetId))
      throw nerr.conflict("SubnetMismatchForPort", `Subnet ${subnetId} does not match with the port ${portId}`);
  } else {
    getSubnet(ctx, caller, String(subnetId));
    port = ifaces.find((p) => p.fixed_ips.some((f: Obj) => f.subnet_id === subnetId));
    if (!port) throw nerr.notFound("RouterInterfaceNotFoundForSubnet", `Router ${r.id} has no interface on subnet ${subnetId}`);
  }
  const subnets = port.fixed_ips.map((f: Obj) => f.subnet_id as string);
  const fipInUse = ctx.store.list("floatingip").some((f) => {
    if (f.router_id !== r.id || !f.port_id) return false;
    const fp = ctx.store.get("port", f.port_id);
    return !!fp && fp.fixed_ips.some((x: Obj) => subnets.includes(x.subnet_id) && x.ip_address === f.fixed_ip_address) &&
      !otherRouteExists(ctx, r.id, fp, f.floating_network_id);
  });
  if (fipInUse)
    throw nerr.conflict("RouterInterfaceInUseByFloatingIP", `Router interface for subnet ${subnets[0]} on router ${r.id} cannot be deleted, as it is required by one or more floating IPs.`);
  const info = interfaceInfo(r, port);
  removePortRow(ctx, port);
  touch(ctx, r);
  ctx.store.save(r);
  return info;
}

function otherRouteExists(ctx: NetCtx, exceptRouter: string, port: Obj, extNet: string): boolean {
  return findRouterFor(ctx, port, extNet, exceptRouter) !== null;
}

/**
 * The router that connects a port's subnet to an external network (Neutron's
 * check before associating a floating IP): it has its gateway on `extNet` and
 * an interface on a subnet of the port's fixed IP.
 */
export function findRouterFor(ctx: NetCtx, port: Obj, extNet: string, exceptRouter?: string, fixedIp?: string): string | null {
  const subnetIds = port.fixed_ips.filter((f: Obj) => !fixedIp || f.ip_address === fixedIp).map((f: Obj) => f.subnet_id);
  for (const r of ctx.store.list("router")) {
    if (r.id === exceptRouter || r._gw?.network_id !== extNet) continue;
    if (routerInterfaces(ctx, r.id).some((p) => p.fixed_ips.some((f: Obj) => subnetIds.includes(f.subnet_id)))) return r.id;
  }
  return null;
}
