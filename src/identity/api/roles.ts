import { Hono, type Context } from "hono";
import type { AuthContext } from "../../core/auth.ts";
import { forbidden } from "../../core/errors.ts";
import type { AppEnv } from "../../core/http.ts";
import { isAdmin, requireAdmin } from "../../core/policy.ts";
import { body, query } from "../../core/validate.ts";
import { baseUrl, collectionLinks, selfLink, type IdentityCtx } from "../ctx.ts";
import {
  createInference,
  createRole,
  deleteInference,
  deleteRole,
  getInference,
  listAllInferences,
  listImplied,
  listRoles,
  updateRole,
} from "../logic/roles.ts";
import { mustRole, type RoleRow } from "../model.ts";
import { RoleCreateSchema, RoleListQuery, RoleUpdateSchema } from "../schemas/roles.ts";
import { renderRole } from "../views.ts";

/** Keystone's default policy for reading roles: admin, a system reader, or a domain-scoped manager. */
const systemReader = (a: AuthContext) => !!a.system && a.roles.includes("reader");
function requireRoleReader(a: AuthContext, opts: { domainManager?: boolean } = {}) {
  if (isAdmin(a) || systemReader(a)) return;
  if (opts.domainManager && a.domainId && a.roles.includes("manager")) return;
  throw forbidden();
}

/** The short form of a role inside a role inference. */
const brief = (c: Context, r: RoleRow) => ({ id: r.id, name: r.name, links: selfLink(c, `roles/${r.id}`) });

/** /v3/roles, implied roles and /v3/role_inferences. */
export function roleRoutes(ctx: IdentityCtx) {
  const app = new Hono<AppEnv>();

  app.get("/roles", query(RoleListQuery), (c) => {
    requireRoleReader(c.get("auth"), { domainManager: true });
    const roles = listRoles(ctx, c.req.query());
    return c.json({ roles: roles.map((r) => renderRole(c, r)), links: collectionLinks(c) });
  });

  app.post("/roles", body(RoleCreateSchema), (c) => {
    requireAdmin(c.get("auth"));
    const role = createRole(ctx, c.req.valid("json").role);
    return c.json({ role: renderRole(c, role) }, 201);
  });

  app.get("/roles/:id", (c) => {
    requireRoleReader(c.get("auth"), { domainManager: true });
    return c.json({ role: renderRole(c, mustRole(ctx.db, c.req.param("id"))) });
  });

  app.patch("/roles/:id", body(RoleUpdateSchema), (c) => {
    requireAdmin(c.get("auth"));
    const role = updateRole(ctx, c.req.param("id"), c.req.valid("json").role);
    return c.json({ role: renderRole(c, role) });
  });

  app.delete("/roles/:id", (c) => {
    requireAdmin(c.get("auth"));
    deleteRole(ctx, c.req.param("id"));
    return c.body(null, 204);
  });

  // ---- implied roles --------------------------------------------------------

  app.get("/roles/:prior/implies", (c) => {
    requireRoleReader(c.get("auth"));
    const { prior, implies } = listImplied(ctx, c.req.param("prior"));
    return c.json({
      role_inference: { prior_role: brief(c, prior), implies: implies.map((r) => brief(c, r)) },
      links: { self: `${baseUrl(c)}/v3/roles/${prior.id}/implies` },
    });
  });

  const inference = (c: Context, prior: RoleRow, implied: RoleRow) => ({
    role_inference: { prior_role: brief(c, prior), implies: brief(c, implied) },
    links: { self: `${baseUrl(c)}/v3/roles/${prior.id}/implies/${implied.id}` },
  });

  app.put("/roles/:prior/implies/:implied", (c) => {
    requireAdmin(c.get("auth"));
    const { prior, implied } = createInference(ctx, c.req.param("prior"), c.req.param("implied"));
    return c.json(inference(c, prior, implied), 201);
  });

  // Hono routes HEAD to the GET handler; Keystone answers HEAD with 204 (and GET with the rule).
  app.get("/roles/:prior/implies/:implied", (c) => {
    requireRoleReader(c.get("auth"));
    const { prior, implied } = getInference(ctx, c.req.param("prior"), c.req.param("implied"));
    if (c.req.method === "HEAD") return c.body(null, 204);
    return c.json(inference(c, prior, implied));
  });

  app.delete("/roles/:prior/implies/:implied", (c) => {
    requireAdmin(c.get("auth"));
    deleteInference(ctx, c.req.param("prior"), c.req.param("implied"));
    return c.body(null, 204);
  });

  app.get("/role_inferences", (c) => {
    requireRoleReader(c.get("auth"));
    const rules = listAllInferences(ctx).map(({ prior, implies }) => ({
      prior_role: brief(c, prior),
      implies: implies.map((r) => brief(c, r)),
    }));
    return c.json({ role_inferences: rules, links: collectionLinks(c) });
  });

  return app;
}
