import { isoSeconds } from "../../core/clock.ts";
import { uuid } from "../../core/ids.ts";
import { formatCidr, parseCidr } from "../ipam.ts";
import type { Caller, NetCtx, Obj } from "../store.ts";
import { NOT_FOUND, baseFields, checkQuota, checkStrings, nerr, onlyKeys, ownerOf, ownsOrAdmin, readOnly, render, touch } from "./common.ts";

const PROTOCOLS: Record<string, number> = {
  ah: 51, dccp: 33, egp: 8, esp: 50, gre: 47, hopopt: 0, icmp: 1, igmp: 2, ipip: 4, "ipv6-encap": 41, "ipv6-frag": 44,
  "ipv6-icmp": 58, icmpv6: 58, "ipv6-nonxt": 59, "ipv6-opts": 60, "ipv6-route": 43, ospf: 89, pgm: 113, rsvp: 46, sctp: 132,
  tcp: 6, udp: 17, udplite: 136, vrrp: 112,
};
const PORT_PROTOCOLS = new Set(["tcp", "udp", "dccp", "sctp", "udplite", "6", "17", "33", "132", "136"]);
const ICMP_PROTOCOLS = new Set(["icmp", "icmpv6", "ipv6-icmp", "1", "58"]);

export function sgVisible(caller: Caller, g: Obj): boolean {
  return caller.isAdmin || g.project_id === caller.projectId;
}

export function getGroup(ctx: NetCtx, caller: Caller, id: string): Obj {
  const g = ctx.store.get("security_group", id);
  if (!g || !sgVisible(caller, g)) throw NOT_FOUND.security_group(id);
  return g;
}

export const viewRule = (_ctx: NetCtx, _caller: Caller, r: Obj) => render(r);

export function viewGroup(ctx: NetCtx, caller: Caller, g: Obj): Obj {
  const out = render(g);
  out.security_group_rules = ctx.store.children("security_group_rule", g.id).map((r) => render(r));
  void caller;
  return out;
}

function rule(ctx: NetCtx, projectId: string, groupId: string, attrs: Partial<Obj>): Obj {
  const t = isoSeconds(ctx.clock.now());
  return {
    id: uuid(),
    tenant_id: projectId,
    project_id: projectId,
    security_group_id: groupId,
    direction: "ingress",
    ethertype: "IPv4",
    protocol: null,
    port_range_min: null,
    port_range_max: null,
    remote_ip_prefix: null,
    remote_group_id: null,
    remote_address_group_id: null,
    normalized_cidr: null,
    description: "",
    created_at: t,
    updated_at: t,
    revision_number: 0,
    ...attrs,
  };
}

function insertGroup(ctx: NetCtx, projectId: string, body: { name?: string; description?: string }, withIngress: boolean): Obj {
  const g: Obj = { ...baseFields(ctx, projectId, body), stateful: true, shared: false };
  ctx.store.insert("security_group", g);
  for (const ethertype of ["IPv4", "IPv6"]) {
    ctx.store.insert("security_group_rule", rule(ctx, projectId, g.id, { direction: "egress", ethertype }), g.id);
    if (withIngress) ctx.store.insert("security_group_rule", rule(ctx, projectId, g.id, { direction: "ingress", ethertype, remote_group_id: g.id }), g.id);
  }
  return g;
}

/** The project's `default` group, created on first use with Neutron's default rules. */
export function ensureDefaultGroup(ctx: NetCtx, projectId: string): Obj {
  if (!projectId) throw new Error("ensureDefaultGroup: no project");
  const existing = ctx.store.byProject("security_group", projectId).find((g) => g.name === "default" && g._default);
  if (existing) return existing;
  return ctx.store.db.tx(() => {
    const again = ctx.store.byProject("security_group", projectId).find((g) => g.name === "default" && g._default);
    if (again) return again;
    const g = insertGroup(ctx, projectId, { name: "default", description: "Default security group" }, true);
    g._default = true;
    ctx.store.save(g);
    return g;
  });
}

export function createGroup(ctx: NetCtx, caller: Caller, body: Record<string, any>): Obj {
  onlyKeys(body, ["name", "description", "tenant_id", "project_id", "stateful"]);
  checkStrings(body);
  const projectId = ownerOf(caller, body, "security_group");
  ensureDefaultGroup(ctx, projectId);
  if (body.name === "default") throw nerr.conflict("SecurityGroupDefaultAlreadyExists", "Default security group already exists.");
  checkQuota(ctx, projectId, "security_group");
  return insertGroup(ctx, projectId, body, false);
}

export function updateGroup(ctx: NetCtx, caller: Caller, g: Obj, body: Record<string, any>): Obj {
  onlyKeys(body, ["name", "description", "stateful", "tenant_id", "project_id"]);
  readOnly(body, ["tenant_id", "project_id"]);
  checkStrings(body);
  if (!ownsOrAdmin(caller, g)) throw nerr.policy("update_security_group");
  if (body.name !== undefined && body.name !== g.name && (g._default || body.name === "default"))
    throw nerr.conflict("SecurityGroupCannotUpdateDefault", "Updating default security group not allowed.");
  if (body.name !== undefined) g.name = body.name ?? "";
  if (body.description !== undefined) g.description = body.description ?? "";
  if (body.stateful !== undefined) g.stateful = !!body.stateful;
  touch(ctx, g);
  ctx.store.save(g);
  return g;
}

export function deleteGroup(ctx: NetCtx, caller: Caller, g: Obj): void {
  if (!ownsOrAdmin(caller, g)) throw nerr.policy("delete_security_group");
  // An admin may remove a project's default group (Tempest's cleanup does), a member may not.
  if (g._default && !caller.isAdmin)
    throw nerr.conflict("SecurityGroupCannotRemoveDefault", "Insufficient rights for removing default security group.");
  const inUse = ctx.store.list("port").some((p) => (p.security_groups ?? []).includes(g.id));
  if (inUse) throw nerr.conflict("SecurityGroupInUse", `Security Group ${g.id} in use.`);
  for (const r of ctx.store.children("security_group_rule", g.id)) ctx.store.remove(r.id);
  // Rules of other groups that refer to this one as their remote group go too.
  for (const r of ctx.store.list("security_group_rule")) if (r.remote_group_id === g.id) ctx.store.remove(r.id);
  ctx.store.remove(g.id);
}

// --- rules ---------------------------------------------------------------------

export function getRule(ctx: NetCtx, caller: Caller, id: string): Obj {
  const r = ctx.store.get("security_group_rule", id);
  if (!r || !(caller.isAdmin || r.project_id === caller.projectId)) throw NOT_FOUND.security_group_rule(id);
  return r;
}

function portValue(v: unknown): number | null {
  if (v === undefined || v === null || v === "") return null;
  const n = Number(v);
  if (!Number.isInteger(n)) throw nerr.invalid(`'${v}' is not an integer`);
  return n;
}

export function createRule(ctx: NetCtx, caller: Caller, body: Record<string, any>): Obj {
  onlyKeys(body, [
    "security_group_id", "direction", "ethertype", "protocol", "port_range_min", "port_range_max", "remote_ip_prefix",
    "remote_group_id", "description", "tenant_id", "project_id", "remote_address_group_id",
  ]);
  checkStrings(body, ["description"]);
  if (typeof body.security_group_id !== "string") throw nerr.bad("Failed to parse request. Required attribute 'security_group_id' not specified", "HTTPBadRequest");
  const g = getGroup(ctx, caller, body.security_group_id);
  if (!caller.isAdmin && g.project_id !== caller.projectId) throw nerr.policy("create_security_group_rule");
  const direction = body.direction;
  if (direction === undefined) throw nerr.bad("Failed to parse request. Required attribute 'direction' not specified", "HTTPBadRequest");
  if (direction !== "ingress" && direction !== "egress") throw nerr.invalid(`${direction} is not in valid_values ['ingress', 'egress']`);
  const ethertype = body.ethertype ?? "IPv4";
  if (ethertype !== "IPv4" && ethertype !== "IPv6")
    throw nerr.bad(`Security group rule for ethertype '${ethertype}' not supported. Allowed values are ['IPv4', 'IPv6'].`, "SecurityGroupRuleInvalidEtherType");
  let protocol: string | null = body.protocol === undefined || body.protocol === null || body.protocol === "any" ? null : String(body.protocol).toLowerCase();
  if (protocol !== null) {
    const num = /^\d+$/.test(protocol) ? Number(protocol) : null;
    if (num !== null ? num > 255 : !(protocol in PROTOCOLS))
      throw nerr.bad(
        `Security group rule protocol ${body.protocol} not supported. Only protocol values [${Object.keys(PROTOCOLS).map((p) => `'${p}'`).join(", ")}] and integer representations [0 to 255] are supported.`,
        "SecurityGroupRuleInvalidProtocol",
      );
  }
  const pmin = portValue(body.port_range_min), pmax = portValue(body.port_range_max);
  if (protocol !== null && PORT_PROTOCOLS.has(protocol)) {
    if (pmin !== null && (pmin < 0 || pmin > 65535 || (pmin === 0 && pmax !== 0)))
      throw nerr.bad(`Invalid value for port ${pmin}`, "SecurityGroupInvalidPortValue");
    if (pmax !== null && (pmax < 0 || pmax > 65535)) throw nerr.bad(`Invalid value for port ${pmax}`, "SecurityGroupInvalidPortValue");
    if ((pmin === null) !== (pmax === null) || (pmin !== null && pmax !== null && pmin > pmax))
      throw nerr.bad("For TCP/UDP protocols, port_range_min must be <= port_range_max", "SecurityGroupInvalidPortRange");
  } else if (protocol !== null && ICMP_PROTOCOLS.has(protocol)) {
    if (pmin !== null && (pmin < 0 || pmin > 255)) throw nerr.bad(`Invalid value for ICMP type (port-range-min): ${pmin}`, "SecurityGroupInvalidIcmpValue");
    if (pmax !== null && (pmax < 0 || pmax > 255)) throw nerr.bad(`Invalid value for ICMP code (port-range-max): ${pmax}`, "SecurityGroupInvalidIcmpValue");
    if (pmin === null && pmax !== null) throw nerr.bad(`ICMP code (port-range-max) ${pmax} is provided but ICMP type (port-range-min) is missing.`, "SecurityGroupMissingIcmpType");
  } else if (pmin !== null || pmax !== null) {
    throw nerr.bad("Port range is only valid with a protocol that has ports (tcp, udp, dccp, sctp, udplite) or ICMP", "SecurityGroupInvalidProtocolForPort");
  }
  let remoteIp: string | null = null;
  if (body.remote_ip_prefix !== undefined && body.remote_ip_prefix !== null) {
    const c = typeof body.remote_ip_prefix === "string" ? parseCidr(body.remote_ip_prefix.includes("/") ? body.remote_ip_prefix : `${body.remote_ip_prefix}/${body.remote_ip_prefix.includes(":") ? 128 : 32}`) : null;
    if (!c) throw nerr.invalid(`'${body.remote_ip_prefix}' is not a valid IP subnet.`);
    if ((c.version === 4) !== (ethertype === "IPv4"))
      throw nerr.bad(`Conflicting value ethertype ${ethertype} for CIDR ${body.remote_ip_prefix}`, "SecurityGroupRuleParameterConflict");
    remoteIp = formatCidr(c);
  }
  let remoteGroup: string | null = null;
  if (body.remote_group_id !== undefined && body.remote_group_id !== null) {
    if (remoteIp !== null) throw nerr.bad("Only remote_ip_prefix or remote_group_id may be provided.", "SecurityGroupRemoteGroupAndRemoteIpPrefix");
    remoteGroup = getGroup(ctx, caller, String(body.remote_group_id)).id;
  }
  if (protocol !== null && /^\d+$/.test(protocol) === false && protocol === "icmp" && ethertype === "IPv6") protocol = "ipv6-icmp";
  const attrs = { direction, ethertype, protocol, port_range_min: pmin, port_range_max: pmax, remote_ip_prefix: remoteIp, remote_group_id: remoteGroup };
  const same = (r: Obj) =>
    r.direction === attrs.direction && r.ethertype === attrs.ethertype && canonProto(r.protocol) === canonProto(attrs.protocol) &&
    r.port_range_min === attrs.port_range_min && r.port_range_max === attrs.port_range_max && r.remote_group_id === attrs.remote_group_id &&
    normPrefix(r.remote_ip_prefix, r.ethertype) === normPrefix(attrs.remote_ip_prefix, attrs.ethertype);
  const dup = ctx.store.children("security_group_rule", g.id).find(same);
  if (dup) throw nerr.conflict("SecurityGroupRuleExists", `Security group rule already exists. Rule id is ${dup.id}.`);
  checkQuota(ctx, g.project_id, "security_group_rule");
  const r = rule(ctx, g.project_id, g.id, { ...attrs, description: body.description ?? "", normalized_cidr: remoteIp });
  ctx.store.insert("security_group_rule", r, g.id);
  touch(ctx, g);
  ctx.store.save(g);
  return r;
}

function canonProto(p: string | null): string | null {
  if (p === null) return null;
  return /^\d+$/.test(p) ? p : String(PROTOCOLS[p] ?? p);
}
function normPrefix(p: string | null, ethertype: string): string | null {
  if (p === null) return null;
  return p === (ethertype === "IPv4" ? "0.0.0.0/0" : "::/0") ? null : p;
}

export function deleteRule(ctx: NetCtx, caller: Caller, r: Obj): void {
  if (!ownsOrAdmin(caller, r)) throw nerr.policy("delete_security_group_rule");
  ctx.store.remove(r.id);
  const g = ctx.store.get("security_group", r.security_group_id);
  if (g) {
    touch(ctx, g);
    ctx.store.save(g);
  }
}

/** Resolve security groups given by name or id for a project (Nova passes names). */
export function resolveGroups(ctx: NetCtx, caller: Caller, projectId: string, refs: string[]): string[] {
  return refs.map((ref) => {
    const byId = ctx.store.get("security_group", ref);
    if (byId && (byId.project_id === projectId || caller.isAdmin)) return byId.id;
    if (ref === "default") return ensureDefaultGroup(ctx, projectId).id;
    const byName = ctx.store.byProject("security_group", projectId).filter((g) => g.name === ref);
    if (byName.length === 1) return byName[0]!.id;
    if (byName.length > 1) throw nerr.conflict("DuplicateSecurityGroupName", `Multiple security groups named ${ref} in the project.`);
    throw NOT_FOUND.security_group(ref);
  });
}
