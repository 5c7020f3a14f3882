/** /os-quota-sets, /os-quota-class-sets and /limits. */
import { Hono } from "hono";
import { badRequest, forbidden } from "../../../core/errors.ts";
import type { AppEnv, Ctx } from "../../../core/http.ts";
import { requireAdmin } from "../../../core/policy.ts";
import { countKeypairs } from "../logic/keypairs.ts";
import {
  classLimits,
  deleteProjectLimits,
  effectiveLimits,
  parseQuotaValue,
  quotaClassKeys,
  quotaSetKeys,
  setClassLimits,
  setProjectLimits,
  type QuotaResource,
  type QuotaValues,
} from "../logic/quotas.ts";
import { countGroups } from "../logic/server_groups.ts";
import { novaBool } from "../schemas/common.ts";
import { callerOf, jsonBody, mvAtLeast, mvOf, type ResCtx } from "./ctx.ts";

const pick = (v: QuotaValues, keys: QuotaResource[]) => Object.fromEntries(keys.map((k) => [k, v[k]]));

export function quotaRoutes(ctx: ResCtx) {
  const app = new Hono<AppEnv>();
  const { db } = ctx;

  /** What a project (or one user in it) uses of each counted resource. */
  const inUse = (projectId: string, userId: string | undefined): Partial<Record<QuotaResource, number>> => {
    const u = ctx.usage(projectId);
    return {
      instances: u.instances,
      cores: u.cores,
      ram: u.ram,
      key_pairs: userId ? countKeypairs(db, userId) : 0,
      server_groups: countGroups(db, projectId),
    };
  };

  /** Policy: admins any project, others their own; the project must exist (Nova asks Keystone). */
  const mayRead = (c: Ctx, projectId: string) => {
    const caller = callerOf(c);
    if (!caller.isAdmin && caller.projectId !== projectId) {
      throw forbidden(`Policy doesn't allow os_compute_api:os-quota-sets:show to be performed.`);
    }
    verifyProject(projectId);
  };
  const verifyProject = (projectId: string) => {
    if (!ctx.identity.project(projectId)) throw badRequest(`Project ID ${projectId} is not a valid project.`);
  };

  app.get("/os-quota-sets/:id/defaults", (c) => {
    const id = c.req.param("id");
    verifyProject(id);
    return c.json({ quota_set: { id, ...pick(classLimits(db, "default"), quotaSetKeys(mvOf(c))) } });
  });

  app.get("/os-quota-sets/:id/detail", (c) => {
    const id = c.req.param("id");
    mayRead(c, id);
    const userId = c.req.query("user_id") || undefined;
    const limits = effectiveLimits(db, id, userId);
    const used = inUse(id, userId);
    const out: Record<string, unknown> = { id };
    for (const k of quotaSetKeys(mvOf(c))) out[k] = { limit: limits[k], in_use: used[k] ?? 0, reserved: 0 };
    return c.json({ quota_set: out });
  });

  app.get("/os-quota-sets/:id", (c) => {
    const id = c.req.param("id");
    mayRead(c, id);
    const limits = effectiveLimits(db, id, c.req.query("user_id") || undefined);
    return c.json({ quota_set: { id, ...pick(limits, quotaSetKeys(mvOf(c))) } });
  });

  app.put("/os-quota-sets/:id", async (c) => {
    requireAdmin(c.get("auth"));
    const id = c.req.param("id");
    const userId = c.req.query("user_id") || undefined;
    const body = (await jsonBody(c)) as { quota_set?: Record<string, unknown> };
    if (!body || typeof body !== "object" || !body.quota_set || typeof body.quota_set !== "object" || Array.isArray(body.quota_set)) {
      throw badRequest("Invalid input for field/attribute quota_set. 'quota_set' is a required property");
    }
    const allowed = quotaSetKeys(mvOf(c));
    let force = false;
    const values: Partial<QuotaValues> = {};
    for (const [k, v] of Object.entries(body.quota_set)) {
      if (k === "force") {
        const f = novaBool.safeParse(v);
        if (!f.success) throw badRequest(`Invalid input for field/attribute force. Value: ${JSON.stringify(v)}.`);
        force = f.data;
      } else if ((allowed as string[]).includes(k)) {
        values[k as QuotaResource] = parseQuotaValue(k, v);
      } else {
        throw badRequest(`Invalid input for field/attribute quota_set. Additional properties are not allowed ('${k}' was unexpected)`);
      }
    }
    verifyProject(id);
    db.tx(() => {
      if (!force) {
        const used = inUse(id, userId);
        for (const [k, v] of Object.entries(values)) {
          const u = used[k as QuotaResource] ?? 0;
          if (v >= 0 && v < u) {
            throw badRequest(`Quota limit ${v} for ${k} must be greater than or equal to already used and reserved ${u}.`);
          }
        }
      }
      setProjectLimits(db, id, userId, values);
    });
    ctx.log.info(`quotas of project ${id}${userId ? ` user ${userId}` : ""} set: ${JSON.stringify(values)}`);
    return c.json({ quota_set: pick(effectiveLimits(db, id, userId), allowed) });
  });

  app.delete("/os-quota-sets/:id", (c) => {
    requireAdmin(c.get("auth"));
    const id = c.req.param("id");
    deleteProjectLimits(db, id, c.req.query("user_id") || undefined);
    return c.body(null, 202);
  });

  // --- quota classes (only "default" affects anything, as in Nova) -----------------------
  app.get("/os-quota-class-sets/:id", (c) => {
    requireAdmin(c.get("auth"));
    const id = c.req.param("id");
    return c.json({ quota_class_set: { id, ...pick(classLimits(db, id), quotaClassKeys(mvOf(c))) } });
  });

  app.put("/os-quota-class-sets/:id", async (c) => {
    requireAdmin(c.get("auth"));
    const id = c.req.param("id");
    if (id.length > 255) throw badRequest("quota_class_name must be at most 255 characters");
    const body = (await jsonBody(c)) as { quota_class_set?: Record<string, unknown> };
    const qs = body?.quota_class_set;
    if (!qs || typeof qs !== "object" || Array.isArray(qs)) {
      throw badRequest("Invalid input for field/attribute quota_class_set. 'quota_class_set' is a required property");
    }
    const keys = quotaClassKeys(mvOf(c));
    // Nova accepts every quota key in a class update below 2.50 (the v2.0 compatibility shape hides server groups only on output).
    const accepted = mvAtLeast(c, 2, 50) ? keys : [...keys, "server_groups", "server_group_members"];
    const values: Partial<QuotaValues> = {};
    for (const [k, v] of Object.entries(qs)) {
      if (!accepted.includes(k as QuotaResource)) {
        throw badRequest(`Invalid input for field/attribute quota_class_set. Additional properties are not allowed ('${k}' was unexpected)`);
      }
      values[k as QuotaResource] = parseQuotaValue(k, v);
    }
    setClassLimits(db, id, values);
    return c.json({ quota_class_set: pick(classLimits(db, id), keys) });
  });

  // --- limits ------------------------------------------------------------------------------
  app.get("/limits", (c) => {
    const caller = callerOf(c);
    const asked = c.req.query("tenant_id");
    const projectId = asked || caller.projectId;
    if (asked && asked !== caller.projectId && !caller.isAdmin) {
      throw forbidden(`Policy doesn't allow os_compute_api:limits:other_project to be performed.`);
    }
    const l = effectiveLimits(db, projectId);
    const u = ctx.usage(projectId);
    const absolute: Record<string, number> = {
      maxImageMeta: l.metadata_items,
      maxPersonality: l.injected_files,
      maxPersonalitySize: l.injected_file_content_bytes,
      maxSecurityGroupRules: l.security_group_rules,
      maxSecurityGroups: l.security_groups,
      maxServerGroupMembers: l.server_group_members,
      maxServerGroups: l.server_groups,
      maxServerMeta: l.metadata_items,
      maxTotalCores: l.cores,
      maxTotalFloatingIps: l.floating_ips,
      maxTotalInstances: l.instances,
      maxTotalKeypairs: l.key_pairs,
      maxTotalRAMSize: l.ram,
      totalCoresUsed: u.cores,
      totalFloatingIpsUsed: 0,
      totalInstancesUsed: u.instances,
      totalRAMUsed: u.ram,
      totalSecurityGroupsUsed: 0,
      totalServerGroupsUsed: countGroups(db, projectId),
    };
    const drop = (...keys: string[]) => keys.forEach((k) => delete absolute[k]);
    if (mvAtLeast(c, 2, 36)) {
      drop("maxSecurityGroupRules", "maxSecurityGroups", "maxTotalFloatingIps", "totalFloatingIpsUsed", "totalSecurityGroupsUsed");
    }
    if (mvAtLeast(c, 2, 39)) drop("maxImageMeta");
    if (mvAtLeast(c, 2, 57)) drop("maxPersonality", "maxPersonalitySize");
    return c.json({ limits: { rate: [], absolute } });
  });

  return app;
}

