/** os-simple-tenant-usage: instance hours per project over a period (`openstack usage list/show`). */
import { Hono } from "hono";
import { badRequest, forbidden } from "../../core/errors.ts";
import type { AppEnv, Ctx } from "../../core/http.ts";
import { mvAtLeast } from "../../core/microversion.ts";
import type { ComputeCtx } from "../ctx.ts";
import { apiStatus } from "../states.ts";
import type { Instance } from "../store.ts";
import { isoNaive } from "../views.ts";
import { caller, origin } from "./common.ts";

function parseWhen(s: string | undefined, dflt: number): number {
  if (s === undefined || s === "") return dflt;
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(\.\d+)?Z?$/.exec(s.trim());
  if (!m) throw badRequest(`Invalid time format: ${s}`);
  const t = Date.parse(`${m[1]}T${m[2]}${m[3] ? m[3].slice(0, 4) : ""}Z`);
  if (Number.isNaN(t)) throw badRequest(`Invalid time format: ${s}`);
  return t;
}

export function usageRoutes(ctx: ComputeCtx): Hono<AppEnv> {
  const r = new Hono<AppEnv>();

  function period(c: Ctx) {
    const now = ctx.now();
    const start = parseWhen(c.req.query("start"), now);
    const end = parseWhen(c.req.query("end"), now);
    if (start > end) throw badRequest("Invalid start time. The start time cannot occur after the end time.");
    return { start, end, detailed: ["1", "true", "True"].includes(c.req.query("detailed") ?? "") };
  }

  function serverUsage(i: Instance, start: number, end: number) {
    const from = Math.max(i.launchedAt ?? i.createdAt, start);
    const to = Math.min(i.terminatedAt ?? ctx.now(), end);
    const hours = Math.max(0, (to - from) / 3_600_000);
    const endedAt = i.terminatedAt && i.terminatedAt <= end ? i.terminatedAt : null;
    return {
      instance_id: i.uuid,
      name: i.name,
      hours,
      memory_mb: i.flavor.ram,
      local_gb: i.flavor.disk,
      vcpus: i.flavor.vcpus,
      tenant_id: i.projectId,
      flavor: i.flavor.name,
      started_at: isoNaive(i.launchedAt ?? i.createdAt),
      ended_at: isoNaive(endedAt),
      state: i.deleted ? "terminated" : apiStatus(i.vmState, i.taskState) === "ACTIVE" ? "active" : i.vmState,
      uptime: Math.floor(((endedAt ?? ctx.now()) - (i.launchedAt ?? i.createdAt)) / 1000),
    };
  }

  function usages(projectId: string | undefined, start: number, end: number, detailed: boolean) {
    const where = ["(terminated_at IS NULL OR terminated_at >= ?)", "created_at <= ?"];
    const args: any[] = [start, end];
    if (projectId) {
      where.push("project_id = ?");
      args.push(projectId);
    }
    const insts = ctx.instances.select(where.join(" AND "), args, "project_id, created_at");
    const byProject = new Map<string, Instance[]>();
    for (const i of insts) (byProject.get(i.projectId) ?? byProject.set(i.projectId, []).get(i.projectId)!).push(i);
    return [...byProject].map(([tenant, list]) => {
      const su = list.map((i) => serverUsage(i, start, end));
      const out: Record<string, unknown> = {
        tenant_id: tenant,
        total_local_gb_usage: su.reduce((a, s) => a + s.local_gb * s.hours, 0),
        total_vcpus_usage: su.reduce((a, s) => a + s.vcpus * s.hours, 0),
        total_memory_mb_usage: su.reduce((a, s) => a + s.memory_mb * s.hours, 0),
        total_hours: su.reduce((a, s) => a + s.hours, 0),
        start: isoNaive(start),
        stop: isoNaive(end),
      };
      if (detailed) out.server_usages = su;
      return out;
    });
  }

  r.get("/os-simple-tenant-usage", (c) => {
    const who = caller(c);
    if (!who.isAdmin) throw forbidden(`Policy doesn't allow os_compute_api:os-simple-tenant-usage:list to be performed.`);
    const { start, end, detailed } = period(c);
    let list = usages(undefined, start, end, detailed);
    let links;
    if (mvAtLeast(c, "2.40")) {
      const marker = c.req.query("marker");
      if (marker) {
        const idx = list.findIndex((u) => u.tenant_id === marker);
        if (idx < 0) throw badRequest(`marker [${marker}] not found`);
        list = list.slice(idx + 1);
      }
      const limit = c.req.query("limit");
      if (limit !== undefined) {
        if (!/^\d+$/.test(limit)) throw badRequest(`Invalid input for query parameters limit. Value: ${limit}.`);
        const n = Number(limit);
        if (list.length > n) {
          list = list.slice(0, n);
          const q = new URL(c.req.url).searchParams;
          q.set("marker", String(list[list.length - 1]!.tenant_id));
          links = [{ rel: "next", href: `${origin(c)}/v2.1/os-simple-tenant-usage?${q}` }];
        }
      }
    }
    return c.json({ tenant_usages: list, ...(links ? { tenant_usages_links: links } : {}) });
  });

  r.get("/os-simple-tenant-usage/:tenant", (c) => {
    const who = caller(c);
    const tenant = c.req.param("tenant");
    if (!who.isAdmin && tenant !== who.projectId) throw forbidden(`Policy doesn't allow os_compute_api:os-simple-tenant-usage:show to be performed.`);
    const { start, end } = period(c);
    const u = usages(tenant, start, end, true)[0] ?? {};
    return c.json({ tenant_usage: u });
  });

  return r;
}
