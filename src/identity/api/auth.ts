import { Hono } from "hono";
import { forbidden, notFound, unauthorized } from "../../core/errors.ts";
import type { AppEnv } from "../../core/http.ts";
import { isAdmin } from "../../core/policy.ts";
import { body } from "../../core/validate.ts";
import { collectionLinks, selfLink, type IdentityCtx } from "../ctx.ts";
import { effectiveRoleIds, type DomainRow, type ProjectRow } from "../model.ts";
import { AuthRequestSchema } from "../schemas/auth.ts";
import type { TokenEngine } from "../tokens.ts";
import { renderDomain, renderProject } from "../views.ts";

/** /v3/auth/*: issue, validate, check and revoke tokens; what a token may be scoped to. */
export function authRoutes(ctx: IdentityCtx, tokens: TokenEngine) {
  const app = new Hono<AppEnv>();

  app.post("/tokens", body(AuthRequestSchema), async (c) => {
    const req = c.req.valid("json").auth;
    const info = await tokens.authenticate(req as any, { subjectHeader: c.req.header("x-auth-token") });
    const nocatalog = c.req.query("nocatalog") !== undefined;
    return c.body(tokens.body(info, !nocatalog), 201, {
      "content-type": "application/json",
      "x-subject-token": info.row.id,
    });
  });

  const subject = (c: any) => {
    const caller = c.get("auth");
    const id = c.req.header("x-subject-token");
    if (!id) throw unauthorized("X-Subject-Token is required.");
    const allowExpired = c.req.query("allow_expired") !== undefined && c.req.query("allow_expired") !== "0";
    const info = tokens.resolve(id, { allowExpired });
    if (!info) throw notFound(`Could not find token: ${id.slice(0, 12)}…`);
    if (!isAdmin(caller) && !caller.roles.includes("service") && caller.userId !== info.user.id) throw forbidden();
    return info;
  };

  app.get("/tokens", (c) => {
    const info = subject(c);
    const nocatalog = c.req.query("nocatalog") !== undefined;
    return c.body(tokens.body(info, !nocatalog), 200, {
      "content-type": "application/json",
      "x-subject-token": info.row.id,
    });
  });
  app.on("HEAD", "/tokens", (c) => {
    const info = subject(c);
    return c.body(null, 200, { "x-subject-token": info.row.id });
  });
  app.delete("/tokens", (c) => {
    const info = subject(c);
    tokens.revoke(info.row.id);
    return c.body(null, 204);
  });

  app.get("/catalog", (c) => {
    const a = c.get("auth");
    if (!a.projectId && !a.domainId && !a.system) throw forbidden("The catalog requires a scoped token.");
    return c.json({ catalog: tokens.catalog(a.projectId), links: collectionLinks(c) });
  });

  /** Projects the caller has a role on (OS-FEDERATION style `auth/projects`). */
  app.get("/projects", (c) => {
    const a = c.get("auth");
    const rows = ctx.db.all<ProjectRow>("SELECT * FROM identity_projects WHERE enabled = 1 ORDER BY name");
    const projects = rows.filter((p) => effectiveRoleIds(ctx.db, a.userId, { kind: "project", id: p.id }).size);
    return c.json({ projects: projects.map((p) => renderProject(c, p)), links: collectionLinks(c) });
  });
  app.get("/domains", (c) => {
    const a = c.get("auth");
    const rows = ctx.db.all<DomainRow>("SELECT * FROM identity_domains WHERE enabled = 1 ORDER BY name");
    const domains = rows.filter((d) => effectiveRoleIds(ctx.db, a.userId, { kind: "domain", id: d.id }).size);
    return c.json({ domains: domains.map((d) => renderDomain(c, d)), links: collectionLinks(c) });
  });
  app.get("/system", (c) => {
    const a = c.get("auth");
    const has = effectiveRoleIds(ctx.db, a.userId, { kind: "system" }).size > 0;
    return c.json({ system: has ? [{ all: true }] : [], links: { self: selfLink(c, "auth/system").self } });
  });
  return app;
}
