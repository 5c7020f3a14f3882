import { isoSeconds } from "../../core/clock.ts";
import { ApiError } from "../../core/errors.ts";
import { uuid } from "../../core/ids.ts";
import type { Caller, Kind, NetCtx, Obj } from "../store.ts";

/** Neutron's errors: `NeutronError.type` is what clients and Tempest look at. */
export const nerr = {
  notFound: (type: string, message: string) => new ApiError(404, message, type),
  conflict: (type: string, message: string) => new ApiError(409, message, type),
  bad: (message: string, type = "BadRequest") => new ApiError(400, message, type),
  invalid: (message: string) => new ApiError(400, `Invalid input for operation: ${message}`, "InvalidInput"),
  policy: (rule: string) => new ApiError(403, `(rule:${rule}) is disallowed by policy`, "PolicyNotAuthorized"),
};

export const NOT_FOUND: Record<Kind, (id: string) => ApiError> = {
  network: (id) => nerr.notFound("NetworkNotFound", `Network ${id} could not be found.`),
  subnet: (id) => nerr.notFound("SubnetNotFound", `Subnet ${id} could not be found.`),
  port: (id) => nerr.notFound("PortNotFound", `Port ${id} could not be found.`),
  router: (id) => nerr.notFound("RouterNotFound", `Router ${id} could not be found.`),
  floatingip: (id) => nerr.notFound("FloatingIPNotFound", `Floating IP ${id} could not be found`),
  security_group: (id) => nerr.notFound("SecurityGroupNotFound", `Security group ${id} does not exist`),
  security_group_rule: (id) => nerr.notFound("SecurityGroupRuleNotFound", `Security group rule ${id} does not exist`),
  agent: (id) => nerr.notFound("AgentNotFound", `Agent ${id} could not be found.`),
};

export const now = (ctx: NetCtx) => isoSeconds(ctx.clock.now());

/** The attributes every Neutron resource has (standard-attr-*). */
export function baseFields(ctx: NetCtx, projectId: string, body: { name?: unknown; description?: unknown }) {
  const t = now(ctx);
  return {
    id: uuid(),
    name: typeof body.name === "string" ? body.name : "",
    tenant_id: projectId,
    project_id: projectId,
    description: typeof body.description === "string" ? body.description : "",
    tags: [] as string[],
    created_at: t,
    updated_at: t,
    revision_number: 0,
  };
}

/** A changed resource: new updated_at and revision_number. */
export function touch(ctx: NetCtx, o: Obj): Obj {
  o.updated_at = now(ctx);
  o.revision_number = (o.revision_number ?? 0) + 1;
  return o;
}

/** The project a create acts on: the caller's, or (admins only) the body's tenant_id/project_id. */
export function ownerOf(caller: Caller, body: { tenant_id?: unknown; project_id?: unknown }, kind: string): string {
  const asked = (body.project_id ?? body.tenant_id) as string | undefined;
  if (body.project_id !== undefined && body.tenant_id !== undefined && body.project_id !== body.tenant_id)
    throw nerr.bad("'project_id' and 'tenant_id' do not match", "HTTPBadRequest");
  if (!asked || asked === caller.projectId) return caller.projectId;
  if (!caller.isAdmin) throw nerr.policy(`create_${kind}`);
  return asked;
}

/** Strip internal keys for rendering. */
export function render(o: Obj): Obj {
  const out: Obj = { id: o.id };
  for (const [k, v] of Object.entries(o)) if (!k.startsWith("_")) out[k] = v;
  return out;
}

export const ownsOrAdmin = (caller: Caller, o: Obj) => caller.isAdmin || o.project_id === caller.projectId;

// --- quotas -------------------------------------------------------------------
export const QUOTA_DEFAULTS: Record<string, number> = {
  network: 100,
  subnet: 100,
  subnetpool: -1,
  port: 500,
  router: 10,
  floatingip: 50,
  security_group: 10,
  security_group_rule: 100,
  rbac_policy: 10,
};

export function quotaLimits(ctx: NetCtx, projectId: string): Record<string, number> {
  return { ...QUOTA_DEFAULTS, ...ctx.store.quotaOverrides(projectId) };
}

/** Count what a project uses of each quota resource. */
export function quotaUsage(ctx: NetCtx, projectId: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of Object.keys(QUOTA_DEFAULTS)) {
    out[r] = ["network", "subnet", "port", "router", "floatingip", "security_group", "security_group_rule"].includes(r)
      ? ctx.store.count(r as Kind, projectId)
      : 0;
  }
  return out;
}

/** Refuse a create that would exceed the project's quota (Neutron's 409 OverQuota). */
export function checkQuota(ctx: NetCtx, projectId: string, resource: Kind, adding = 1): void {
  const limit = quotaLimits(ctx, projectId)[resource];
  if (limit === undefined || limit < 0) return;
  if (ctx.store.count(resource, projectId) + adding > limit)
    throw nerr.conflict("OverQuota", `Quota exceeded for resources: ['${resource}'].`);
}

/** Validate name/description lengths as Neutron does (255 chars). */
export function checkStrings(body: Record<string, unknown>, keys = ["name", "description"]): void {
  for (const k of keys) {
    const v = body[k];
    if (v === undefined || v === null) continue;
    if (typeof v !== "string") throw nerr.invalid(`'${JSON.stringify(v)}' is not a valid string`);
    if (v.length > 255) throw nerr.invalid(`'${v}' exceeds maximum length of 255`);
  }
}

export function bool(v: unknown, field: string): boolean {
  if (typeof v === "boolean") return v;
  if (typeof v === "string" && /^(true|false|1|0)$/i.test(v)) return /^(true|1)$/i.test(v);
  if (v === 0 || v === 1) return v === 1;
  throw nerr.invalid(`'${String(v)}' cannot be converted to boolean`);
  void field;
}

/** Reject attributes a resource does not have (Neutron: "Unrecognized attribute(s)"). */
export function onlyKeys(body: Record<string, unknown>, allowed: string[]): void {
  const bad = Object.keys(body).filter((k) => !allowed.includes(k));
  if (bad.length) throw nerr.bad(`Unrecognized attribute(s) '${bad.join(", ")}'`, "HTTPBadRequest");
}

/** Attributes that may not be changed on update (Neutron: "Cannot update read-only attribute"). */
export function readOnly(body: Record<string, unknown>, keys: string[]): void {
  for (const k of keys) if (k in body) throw nerr.bad(`Cannot update read-only attribute ${k}`, "HTTPBadRequest");
}
