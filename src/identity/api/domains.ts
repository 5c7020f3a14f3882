import { Hono } from "hono";
import type { AuthContext } from "../../core/auth.ts";
import { forbidden } from "../../core/errors.ts";
import type { AppEnv } from "../../core/http.ts";
import { isAdmin, requireAdmin } from "../../core/policy.ts";
import { body, query } from "../../core/validate.ts";
import { DEFAULT_DOMAIN } from "../bootstrap.ts";
import { collectionLinks, type IdentityCtx } from "../ctx.ts";
import { createDomain, deleteDomain, listDomains, updateDomain } from "../logic/domains.ts";
import { mustDomain } from "../model.ts";
import { DomainCreateSchema, DomainListQuery, DomainUpdateSchema } from "../schemas/domains.ts";
import { renderDomain } from "../views.ts";

// ---- Keystone's default policy building blocks (enforce_scope off: admin_required still applies) ----

/** `role:reader and system_scope:all`. */
export const systemReader = (a: AuthContext) => !!a.system && a.roles.includes("reader");
/** `role:reader and domain_id:%(target…domain_id)s` — a domain-scoped reader of that domain. */
export const domainReader = (a: AuthContext, domainId: string | undefined) =>
  !!a.domainId && a.domainId === domainId && a.roles.includes("reader");
/** `role:manager and domain_id:…` — a domain-scoped manager of that domain. */
export const domainManager = (a: AuthContext, domainId: string | undefined) =>
  !!a.domainId && a.domainId === domainId && a.roles.includes("manager");
/** Admin, a system reader, or whatever else the rule allows; 403 otherwise. */
export function allow(a: AuthContext, ok: boolean): void {
  if (!ok && !isAdmin(a) && !systemReader(a)) throw forbidden();
}
/** Admin or whatever else the rule allows (writes: no system reader). */
export function allowWrite(a: AuthContext, ok: boolean): void {
  if (!ok && !isAdmin(a)) throw forbidden();
}
/** Keystone's `_normalize_domain_id`: the caller's domain scope, else the default domain. */
export const callerDomain = (a: AuthContext) => a.domainId ?? DEFAULT_DOMAIN;
/**
 * What a list shows a caller who is neither admin nor system reader: a
 * domain-scoped reader sees its own domain only; anybody else is refused.
 */
export function listScope(a: AuthContext): string | undefined {
  if (isAdmin(a) || systemReader(a)) return a.domainId;
  if (a.domainId && a.roles.includes("reader")) return a.domainId;
  throw forbidden();
}

/** /v3/domains. */
export function domainRoutes(ctx: IdentityCtx) {
  const app = new Hono<AppEnv>();

  app.get("/domains", query(DomainListQuery), (c) => {
    const onlyId = listScope(c.get("auth"));
    const q = c.req.valid("query");
    const rows = listDomains(ctx, c.req.query(), { enabled: q.enabled, onlyId });
    return c.json({ domains: rows.map((d) => renderDomain(c, d)), links: collectionLinks(c) });
  });

  app.post("/domains", body(DomainCreateSchema), (c) => {
    requireAdmin(c.get("auth"));
    const d = createDomain(ctx, c.req.valid("json").domain);
    return c.json({ domain: renderDomain(c, d) }, 201);
  });

  app.get("/domains/:id", (c) => {
    const a = c.get("auth");
    const id = c.req.param("id");
    // get_domain: admin, system reader, or a token scoped to the domain or to one of its projects.
    allow(a, a.domainId === id || a.projectDomainId === id);
    return c.json({ domain: renderDomain(c, mustDomain(ctx.db, id)) });
  });

  app.patch("/domains/:id", body(DomainUpdateSchema), (c) => {
    requireAdmin(c.get("auth"));
    const d = updateDomain(ctx, c.req.param("id"), c.req.valid("json").domain);
    return c.json({ domain: renderDomain(c, d) });
  });

  app.delete("/domains/:id", (c) => {
    requireAdmin(c.get("auth"));
    deleteDomain(ctx, c.req.param("id"));
    return c.body(null, 204);
  });

  return app;
}
