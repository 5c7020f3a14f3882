/** os-quota-sets, os-quota-class-sets and /limits. */
import { Hono } from "hono";
import { z } from "zod";
import { forbidden, notFound } from "../../core/errors.ts";
import type { AppEnv } from "../../core/http.ts";
import { requireAdmin } from "../../core/policy.ts";
import { body } from "../../core/validate.ts";
import type { VolumeCtx } from "../ctx.ts";
import * as quotas from "../logic/quotas.ts";
import { parseBool } from "../schemas/common.ts";
import { caller, queryOf } from "./util.ts";

const QuotaBody = z.object({ quota_set: z.record(z.string(), z.unknown()) });
const ClassBody = z.object({ quota_class_set: z.record(z.string(), z.unknown()) });

export function quotaRoutes(ctx: VolumeCtx) {
  const app = new Hono<AppEnv>();
  const { db } = ctx;

  /** A project the caller may read quotas of: its own, or any for admin (which must exist). */
  const target = (c: Parameters<typeof caller>[0], project: string) => {
    const cl = caller(c);
    if (!cl.isAdmin && project !== cl.projectId) throw forbidden("Policy doesn't allow volume_extension:quotas:show to be performed.");
    return cl;
  };

  app.get("/os-quota-sets/:project/defaults", (c) => {
    const project = c.req.param("project");
    target(c, project);
    return c.json({ quota_set: { id: project, ...quotas.classLimits(db) } });
  });

  app.get("/os-quota-sets/:project", (c) => {
    const project = c.req.param("project");
    target(c, project);
    const limits = quotas.projectLimits(db, project);
    if (parseBool(queryOf(c).usage ?? "") === true) {
      const usage = quotas.projectUsage(db, project);
      const out: Record<string, unknown> = { id: project };
      for (const [k, l] of Object.entries(limits)) out[k] = { limit: l, in_use: usage[k] ?? 0, reserved: 0, allocated: 0 };
      return c.json({ quota_set: out });
    }
    return c.json({ quota_set: { id: project, ...limits } });
  });

  app.put("/os-quota-sets/:project", body(QuotaBody), (c) => {
    requireAdmin(c.get("auth"));
    const project = c.req.param("project");
    if (!ctx.identity.project(project)) throw notFound(`Project ${project} could not be found.`);
    quotas.updateProjectQuotas(db, project, c.req.valid("json").quota_set);
    return c.json({ quota_set: quotas.projectLimits(db, project) });
  });

  app.delete("/os-quota-sets/:project", (c) => {
    requireAdmin(c.get("auth"));
    quotas.resetProjectQuotas(db, c.req.param("project"));
    return c.body(null, 200);
  });

  app.get("/os-quota-class-sets/:cls", (c) => {
    requireAdmin(c.get("auth"));
    const cls = c.req.param("cls");
    return c.json({ quota_class_set: { id: cls, ...quotas.classLimits(db, cls) } });
  });
  app.put("/os-quota-class-sets/:cls", body(ClassBody), (c) => {
    requireAdmin(c.get("auth"));
    const cls = c.req.param("cls");
    quotas.updateClassQuotas(db, cls, c.req.valid("json").quota_class_set);
    return c.json({ quota_class_set: quotas.classLimits(db, cls) });
  });

  app.get("/limits", (c) => {
    const cl = caller(c);
    const limits = quotas.projectLimits(db, cl.projectId);
    const usage = quotas.projectUsage(db, cl.projectId);
    return c.json({
      limits: {
        rate: [],
        absolute: {
          maxTotalVolumes: limits.volumes!,
          maxTotalSnapshots: limits.snapshots!,
          maxTotalVolumeGigabytes: limits.gigabytes!,
          maxTotalBackups: limits.backups!,
          maxTotalBackupGigabytes: limits.backup_gigabytes!,
          totalVolumesUsed: usage.volumes!,
          totalGigabytesUsed: usage.gigabytes!,
          totalSnapshotsUsed: usage.snapshots!,
          totalBackupsUsed: usage.backups!,
          totalBackupGigabytesUsed: usage.backup_gigabytes!,
        },
      },
    });
  });

  return app;
}
