/** Neutron quotas: per-project limits (admin sets them), defaults, usage details. */
import type { Hono } from "hono";
import type { AppEnv, Ctx } from "../../core/http.ts";
import { readJson } from "../../core/http.ts";
import { parse } from "../../core/validate.ts";
import { QUOTA_DEFAULTS, nerr, quotaLimits, quotaUsage } from "../logic/common.ts";
import { quotaBody } from "../schemas/resources.ts";
import type { NetCtx } from "../store.ts";
import { callerOf } from "./resources.ts";

export function quotaRoutes(app: Hono<AppEnv>, ctx: NetCtx): void {
  const mayRead = (c: Ctx, pid: string) => {
    const caller = callerOf(c);
    if (!caller.isAdmin && caller.projectId !== pid) throw nerr.policy("get_quota");
  };
  const mustAdmin = (c: Ctx, rule: string) => {
    if (!callerOf(c).isAdmin) throw nerr.policy(rule);
  };
  app.get("/v2.0/quotas", (c) => {
    mustAdmin(c, "get_quota");
    const quotas = ctx.store.quotaProjects().map((p) => ({ ...quotaLimits(ctx, p), project_id: p, tenant_id: p }));
    return c.json({ quotas });
  });
  app.get("/v2.0/quotas/tenant", (c) => {
    const p = callerOf(c).projectId;
    return c.json({ tenant: { tenant_id: p, project_id: p } });
  });
  app.get("/v2.0/quotas/project", (c) => c.json({ project: { project_id: callerOf(c).projectId } }));
  app.get("/v2.0/quotas/:pid/default", (c) => {
    mayRead(c, c.req.param("pid"));
    return c.json({ quota: { ...QUOTA_DEFAULTS } });
  });
  app.get("/v2.0/quotas/:pid/details", (c) => {
    const pid = c.req.param("pid");
    mayRead(c, pid);
    const limits = quotaLimits(ctx, pid);
    const used = quotaUsage(ctx, pid);
    const quota: Record<string, unknown> = {};
    for (const [k, limit] of Object.entries(limits)) quota[k] = { limit, used: used[k] ?? 0, reserved: 0 };
    return c.json({ quota });
  });
  app.get("/v2.0/quotas/:pid", (c) => {
    const pid = c.req.param("pid");
    mayRead(c, pid);
    return c.json({ quota: quotaLimits(ctx, pid) });
  });
  app.put("/v2.0/quotas/:pid", async (c) => {
    mustAdmin(c, "update_quota");
    const pid = c.req.param("pid");
    const b = parse(quotaBody, await readJson(c));
    const unknown = Object.keys(b.quota).filter((k) => !(k in QUOTA_DEFAULTS));
    if (unknown.length) throw nerr.bad(`Unrecognized attribute(s) '${unknown.join(", ")}'`, "HTTPBadRequest");
    ctx.db.tx(() => {
      for (const [k, v] of Object.entries(b.quota)) ctx.store.setQuota(pid, k, v as number);
    });
    return c.json({ quota: quotaLimits(ctx, pid) });
  });
  app.delete("/v2.0/quotas/:pid", (c) => {
    mustAdmin(c, "delete_quota");
    ctx.store.clearQuotas(c.req.param("pid"));
    return c.body(null, 204);
  });
}
