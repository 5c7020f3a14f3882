import { Hono, type Context } from "hono";
import type { Db } from "../../core/db.ts";
import type { AppEnv } from "../../core/http.ts";
import { body, query } from "../../core/validate.ts";
import { collectionLinks, selfLink, type IdentityCtx } from "../ctx.ts";
import { extraOf, type RoleRow } from "../model.ts";
import { renderExpiry } from "../logic/application_credentials.ts";
import {
  createTrust,
  deleteTrust,
  listTrusts,
  mustTrust,
  mustTrustRole,
  trustRoles,
  type TrustRow,
} from "../logic/trusts.ts";
import { TrustCreateSchema, TrustListQuery } from "../schemas/trusts.ts";

const renderRole = (c: Context, r: RoleRow) => ({
  id: r.id,
  name: r.name,
  domain_id: r.domain_id,
  description: r.description ?? null,
  options: JSON.parse(r.options || "{}"),
  links: selfLink(c, `roles/${r.id}`),
});

/** A trust as Keystone shows it; lists leave the roles out. */
export function renderTrust(c: Context, db: Db, t: TrustRow, withRoles = true) {
  const expires = renderExpiry(t.expires_at);
  const out: Record<string, unknown> = {
    ...extraOf(t),
    id: t.id,
    trustor_user_id: t.trustor_user_id,
    trustee_user_id: t.trustee_user_id,
    project_id: t.project_id,
    impersonation: !!t.impersonation,
    expires_at: expires === null ? null : `${expires}Z`,
    remaining_uses: t.remaining_uses,
    redelegated_trust_id: t.redelegated_trust_id,
    redelegation_count: t.redelegation_count,
    deleted_at: null,
    links: selfLink(c, `OS-TRUST/trusts/${t.id}`),
  };
  if (withRoles) {
    out.roles = trustRoles(db, t).map((r) => renderRole(c, r));
    out.roles_links = { self: selfLink(c, `OS-TRUST/trusts/${t.id}/roles`).self, previous: null, next: null };
  }
  return out;
}

/** /v3/OS-TRUST/trusts (Keystone's OS-TRUST extension). */
export function trustRoutes(ctx: IdentityCtx) {
  const app = new Hono<AppEnv>();
  const { db } = ctx;
  const BASE = "/OS-TRUST/trusts";

  // Tempest lists with a trailing slash (`OS-TRUST/trusts/`); Keystone accepts both.
  for (const path of [BASE, `${BASE}/`]) {
    app.get(path, query(TrustListQuery), (c) => {
      const rows = listTrusts(ctx, c.get("auth"), c.req.valid("query"));
      return c.json({ trusts: rows.map((t) => renderTrust(c, db, t, false)), links: collectionLinks(c) });
    });
    app.post(path, body(TrustCreateSchema), (c) => {
      const t = createTrust(ctx, c.get("auth"), c.req.valid("json").trust);
      return c.json({ trust: renderTrust(c, db, t) }, 201);
    });
  }
  app.get(`${BASE}/:id`, (c) => c.json({ trust: renderTrust(c, db, mustTrust(ctx, c.get("auth"), c.req.param("id"))) }));
  app.delete(`${BASE}/:id`, (c) => {
    deleteTrust(ctx, c.get("auth"), c.req.param("id"));
    return c.body(null, 204);
  });
  app.get(`${BASE}/:id/roles`, (c) => {
    const t = mustTrust(ctx, c.get("auth"), c.req.param("id"));
    return c.json({ roles: trustRoles(db, t).map((r) => renderRole(c, r)), links: collectionLinks(c) });
  });
  // GET serves HEAD too (hono strips the body).
  app.get(`${BASE}/:id/roles/:role_id`, (c) => {
    const r = mustTrustRole(ctx, c.get("auth"), c.req.param("id"), c.req.param("role_id"));
    return c.json({ role: renderRole(c, r) });
  });
  return app;
}
