import { Hono, type Context } from "hono";
import type { AppEnv } from "../../core/http.ts";
import { body, query } from "../../core/validate.ts";
import { collectionLinks, selfLink, type IdentityCtx } from "../ctx.ts";
import {
  appCredAccessRules,
  appCredRoles,
  createAppCred,
  deleteAppCred,
  getAccessRule,
  listAccessRules,
  listAppCreds,
  mustAppCred,
  renderExpiry,
  type AccessRule,
  type AppCredRow,
} from "../logic/application_credentials.ts";
import { AppCredCreateSchema, AppCredListQuery } from "../schemas/application_credentials.ts";
import type { Db } from "../../core/db.ts";

export function renderAppCred(c: Context, db: Db, r: AppCredRow, secret?: string) {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    project_id: r.project_id,
    system: null,
    expires_at: renderExpiry(r.expires_at),
    unrestricted: !!r.unrestricted,
    roles: appCredRoles(db, r).map((role) => ({
      id: role.id,
      name: role.name,
      domain_id: role.domain_id,
      description: role.description ?? null,
      options: JSON.parse(role.options || "{}"),
    })),
    access_rules: appCredAccessRules(r),
    links: selfLink(c, `users/${r.user_id}/application_credentials/${r.id}`),
    ...(secret !== undefined ? { secret } : {}),
  };
}

const renderRule = (c: Context, userId: string, r: AccessRule) => ({
  ...r,
  links: selfLink(c, `users/${userId}/access_rules/${r.id}`),
});

const BASE = "/users/:user_id/application_credentials";

/** Application credentials of a user, and the access rules they carry. */
export function applicationCredentialRoutes(ctx: IdentityCtx) {
  const app = new Hono<AppEnv>();
  const { db } = ctx;

  app.get(BASE, query(AppCredListQuery), (c) => {
    const rows = listAppCreds(db, c.get("auth"), c.req.param("user_id"), c.req.valid("query"));
    return c.json({ application_credentials: rows.map((r) => renderAppCred(c, db, r)), links: collectionLinks(c) });
  });
  app.post(BASE, body(AppCredCreateSchema), async (c) => {
    const { row, secret } = await createAppCred(
      ctx,
      c.get("auth"),
      c.req.param("user_id"),
      c.req.valid("json").application_credential,
    );
    return c.json({ application_credential: renderAppCred(c, db, row, secret) }, 201);
  });
  app.get(`${BASE}/:id`, (c) => {
    const r = mustAppCred(db, c.get("auth"), c.req.param("user_id"), c.req.param("id"));
    return c.json({ application_credential: renderAppCred(c, db, r) });
  });
  app.delete(`${BASE}/:id`, (c) => {
    deleteAppCred(ctx, c.get("auth"), c.req.param("user_id"), c.req.param("id"));
    return c.body(null, 204);
  });

  app.get("/users/:user_id/access_rules", (c) => {
    const userId = c.req.param("user_id");
    const q = { service: c.req.query("service"), path: c.req.query("path"), method: c.req.query("method") };
    const rules = listAccessRules(db, c.get("auth"), userId, q);
    return c.json({ access_rules: rules.map((r) => renderRule(c, userId, r)), links: collectionLinks(c) });
  });
  app.get("/users/:user_id/access_rules/:id", (c) => {
    const userId = c.req.param("user_id");
    const r = getAccessRule(db, c.get("auth"), userId, c.req.param("id"));
    return c.json({ access_rule: renderRule(c, userId, r) });
  });
  return app;
}
