import { parseIp } from "../ipam.ts";
import type { Caller, NetCtx, Obj } from "../store.ts";
import { NOT_FOUND, baseFields, checkQuota, checkStrings, nerr, onlyKeys, ownerOf, ownsOrAdmin, readOnly, render, touch } from "./common.ts";
import { getNetwork } from "./networks.ts";
import { createPort, getPort, removePortRow } from "./ports.ts";
import { findRouterFor } from "./routers.ts";

const KEYS = ["floating_network_id", "floating_ip_address", "subnet_id", "port_id", "fixed_ip_address", "description", "tenant_id", "project_id", "dns_name", "dns_domain", "qos_policy_id"];
const bad = (m: string) => nerr.bad(`Bad floatingip request: ${m}.`, "BadRequest");

export function getFloatingIp(ctx: NetCtx, caller: Caller, id: string): Obj {
  const f = ctx.store.get("floatingip", id);
  if (!f || !ownsOrAdmin(caller, f)) throw NOT_FOUND.floatingip(id);
  return f;
}

export function viewFloatingIp(ctx: NetCtx, _caller: Caller, f: Obj): Obj {
  const out = render(f);
  if (f.port_id) {
    const p = ctx.store.get("port", f.port_id);
    out.port_details = p
      ? { name: p.name, network_id: p.network_id, mac_address: p.mac_address, admin_state_up: p.admin_state_up, status: p.status, device_id: p.device_id, device_owner: p.device_owner }
      : null;
  } else out.port_details = null;
  return out;
}

/**
 * Point a floating IP at a port (or at nothing): the port must be the
 * caller's, have the fixed IPv4 address, and a router must connect its subnet
 * to the floating IP's external network.
 */
export function associate(ctx: NetCtx, caller: Caller, f: Obj, portId: string | null, fixedIp: string | undefined): void {
  if (portId === null) {
    f.port_id = null;
    f.fixed_ip_address = null;
    f.router_id = null;
    f.status = "DOWN";
    return;
  }
  const port = getPort(ctx, caller, portId);
  if (!caller.isAdmin && port.project_id !== caller.projectId) throw NOT_FOUND.port(portId);
  if (String(port.device_owner).startsWith("network:"))
    throw bad(`Port ${port.id} has owner ${port.device_owner} and therefore cannot be used for floating IP`);
  const v4 = port.fixed_ips.filter((x: Obj) => parseIp(x.ip_address)?.version === 4);
  let fixed: string;
  if (fixedIp !== undefined && fixedIp !== null) {
    if (!parseIp(fixedIp)) throw nerr.invalid(`'${fixedIp}' is not a valid IP address`);
    if (!port.fixed_ips.some((x: Obj) => x.ip_address === fixedIp)) throw bad(`Port ${port.id} does not have fixed ip ${fixedIp}`);
    fixed = fixedIp;
  } else {
    if (!v4.length) throw bad(`Port ${port.id} does not have any IPv4 addresses`);
    if (v4.length > 1) throw bad(`Port ${port.id} has multiple fixed IPv4 addresses.  Must provide a specific IPv4 address when assigning a floating IP`);
    fixed = v4[0].ip_address;
  }
  const taken = ctx.store.list("floatingip").find(
    (o) => o.id !== f.id && o.port_id === port.id && o.fixed_ip_address === fixed && o.floating_network_id === f.floating_network_id,
  );
  if (taken)
    throw nerr.conflict(
      "FloatingIPPortAlreadyAssociated",
      `Cannot associate floating IP ${f.floating_ip_address} (${f.id}) with port ${port.id} using fixed IP ${fixed}, as that fixed IP already has a floating IP on external network ${f.floating_network_id}.`,
    );
  const router = findRouterFor(ctx, port, f.floating_network_id, undefined, fixed);
  if (!router) {
    const subnet = port.fixed_ips.find((x: Obj) => x.ip_address === fixed)?.subnet_id;
    throw nerr.notFound(
      "ExternalGatewayForFloatingIPNotFound",
      `External network ${f.floating_network_id} is not reachable from subnet ${subnet}.  Therefore, cannot associate Port ${port.id} with a Floating IP.`,
    );
  }
  f.port_id = port.id;
  f.fixed_ip_address = fixed;
  f.router_id = router;
  f.status = "ACTIVE";
}

export function createFloatingIp(ctx: NetCtx, caller: Caller, body: Record<string, any>): Obj {
  onlyKeys(body, KEYS);
  checkStrings(body, ["description"]);
  if (typeof body.floating_network_id !== "string")
    throw nerr.bad("Failed to parse request. Required attribute 'floating_network_id' not specified", "HTTPBadRequest");
  const projectId = ownerOf(caller, body, "floatingip");
  const net = getNetwork(ctx, caller, body.floating_network_id);
  if (!net["router:external"]) throw bad(`The network ${net.id} is not a valid external network`);
  checkQuota(ctx, projectId, "floatingip");
  const base = baseFields(ctx, projectId, body);
  const fixedReq: Record<string, unknown>[] = [];
  if (body.floating_ip_address !== undefined && body.floating_ip_address !== null) {
    if (!parseIp(body.floating_ip_address)) throw nerr.invalid(`'${body.floating_ip_address}' is not a valid IP address`);
    fixedReq.push({ ip_address: body.floating_ip_address, ...(body.subnet_id ? { subnet_id: body.subnet_id } : {}) });
  } else if (body.subnet_id) {
    fixedReq.push({ subnet_id: body.subnet_id });
  }
  let port: Obj;
  try {
    port = createPort(
      ctx,
      { projectId: "", isAdmin: true },
      { network_id: net.id, device_id: base.id, device_owner: "network:floatingip", project_id: "", ...(fixedReq.length ? { fixed_ips: fixedReq } : {}) },
      true,
    );
  } catch (e: any) {
    if (e?.type === "IpAddressInUse" || e?.type === "IpAddressAlreadyAllocated")
      throw nerr.conflict("IpAddressInUse", `Unable to complete operation for network ${net.id}. The IP address ${body.floating_ip_address} is in use.`);
    throw e;
  }
  const v4 = port.fixed_ips.find((x: Obj) => parseIp(x.ip_address)?.version === 4) ?? port.fixed_ips[0];
  if (!v4) {
    removePortRow(ctx, port);
    throw nerr.conflict("IpAddressGenerationFailure", `No more IP addresses available on network ${net.id}.`);
  }
  const f: Obj = {
    ...base,
    floating_network_id: net.id,
    floating_ip_address: v4.ip_address,
    fixed_ip_address: null,
    port_id: null,
    router_id: null,
    status: "DOWN",
    _port: port.id,
  };
  delete f.name;
  if (body.port_id) associate(ctx, caller, f, String(body.port_id), body.fixed_ip_address);
  ctx.store.insert("floatingip", f);
  return f;
}

export function updateFloatingIp(ctx: NetCtx, caller: Caller, f: Obj, body: Record<string, any>): Obj {
  onlyKeys(body, KEYS);
  readOnly(body, ["floating_network_id", "floating_ip_address", "tenant_id", "project_id", "subnet_id"]);
  checkStrings(body, ["description"]);
  if (body.description !== undefined) f.description = body.description ?? "";
  if ("port_id" in body) associate(ctx, caller, f, body.port_id === null ? null : String(body.port_id), body.fixed_ip_address);
  else if (body.fixed_ip_address !== undefined && f.port_id) associate(ctx, caller, f, f.port_id, body.fixed_ip_address);
  touch(ctx, f);
  ctx.store.save(f);
  return f;
}

export function deleteFloatingIp(ctx: NetCtx, _caller: Caller, f: Obj): void {
  const port = ctx.store.get("port", f._port);
  if (port) removePortRow(ctx, port);
  ctx.store.remove(f.id);
}
