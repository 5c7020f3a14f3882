/** os-hypervisors: the compute nodes with their real resource usage. */
import { Hono } from "hono";
import { badRequest, notFound } from "../../core/errors.ts";
import type { AppEnv, Ctx } from "../../core/http.ts";
import { mvAtLeast } from "../../core/microversion.ts";
import { requireAdmin } from "../../core/policy.ts";
import type { ComputeCtx } from "../ctx.ts";
import { listServices } from "../services.ts";

interface NodeRow {
  id: number;
  uuid: string;
  host: string;
  hypervisor_hostname: string;
  hypervisor_type: string;
  hypervisor_version: number;
  vcpus: number;
  memory_mb: number;
  local_gb: number;
  cpu_info: string;
  host_ip: string;
  created_at: number;
}

export function hypervisorsRoutes(ctx: ComputeCtx): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const { db } = ctx.deps;
  const nodes = () => db.all<NodeRow>("SELECT * FROM compute_nodes ORDER BY id");

  const usage = () => ctx.instances.hostUsage();
  const svcOf = () => new Map(listServices(db, ctx.now()).filter((s) => s.binary === "nova-compute").map((s) => [s.host, s]));

  function state(c: Ctx, n: NodeRow, svc: ReturnType<typeof svcOf>) {
    const s = svc.get(n.host);
    return { state: s?.up ? "up" : "down", status: s?.disabled ? "disabled" : "enabled" };
  }
  const idOf = (c: Ctx, n: NodeRow) => (mvAtLeast(c, "2.53") ? n.uuid : n.id);

  function detail(c: Ctx, n: NodeRow, u: ReturnType<typeof usage>, svc: ReturnType<typeof svcOf>, withServers = false) {
    const x = u.get(n.host);
    const s = svc.get(n.host);
    const used = { vcpus: x?.vcpus ?? 0, ram: x?.ram ?? 0, disk: x?.disk ?? 0, count: x?.count ?? 0 };
    const memUsed = used.ram + 512; // the host's own reserved memory, as Nova reports reserved_host_memory_mb
    const out: Record<string, unknown> = {
      id: idOf(c, n),
      hypervisor_hostname: n.hypervisor_hostname,
      ...state(c, n, svc),
      cpu_info: mvAtLeast(c, "2.28") ? JSON.parse(n.cpu_info) : n.cpu_info,
      current_workload: ctx.instances.onHost(n.host).filter((i) => i.taskState).length,
      disk_available_least: n.local_gb - used.disk,
      free_disk_gb: n.local_gb - used.disk,
      free_ram_mb: n.memory_mb - memUsed,
      host_ip: n.host_ip,
      hypervisor_type: n.hypervisor_type,
      hypervisor_version: n.hypervisor_version,
      local_gb: n.local_gb,
      local_gb_used: used.disk,
      memory_mb: n.memory_mb,
      memory_mb_used: memUsed,
      running_vms: used.count,
      service: { host: n.host, id: mvAtLeast(c, "2.53") ? s?.uuid : s?.id, disabled_reason: s?.disabledReason ?? null },
      vcpus: n.vcpus,
      vcpus_used: used.vcpus,
    };
    if (withServers) out.servers = ctx.instances.onHost(n.host).map((i) => ({ name: `instance-${i.seq.toString(16).padStart(8, "0")}`, uuid: i.uuid }));
    return out;
  }

  function listed(c: Ctx) {
    let list = nodes();
    const q = new URL(c.req.url).searchParams;
    if (mvAtLeast(c, "2.53")) {
      const pattern = q.get("hypervisor_hostname_pattern");
      if (pattern !== null) {
        list = list.filter((n) => n.hypervisor_hostname.includes(pattern));
        if (!list.length) throw notFound(`No hypervisor matching '${pattern}' could be found.`);
      }
    }
    if (mvAtLeast(c, "2.33")) {
      const marker = q.get("marker");
      if (marker !== null) {
        const idx = list.findIndex((n) => String(idOf(c, n)) === marker);
        if (idx < 0) throw badRequest(`marker [${marker}] not found`);
        list = list.slice(idx + 1);
      }
      const limit = q.get("limit");
      if (limit !== null) {
        if (!/^\d+$/.test(limit)) throw badRequest(`Invalid input for query parameters limit. Value: ${limit}.`);
        list = list.slice(0, Number(limit));
      }
    }
    const withServers = mvAtLeast(c, "2.53") && ["true", "1", "yes"].includes((q.get("with_servers") ?? "").toLowerCase());
    return { list, withServers };
  }

  r.get("/os-hypervisors", (c) => {
    requireAdmin(c.get("auth"));
    const { list, withServers } = listed(c);
    const svc = svcOf();
    return c.json({
      hypervisors: list.map((n) => ({
        id: idOf(c, n),
        hypervisor_hostname: n.hypervisor_hostname,
        ...state(c, n, svc),
        ...(withServers ? { servers: ctx.instances.onHost(n.host).map((i) => ({ name: `instance-${i.seq.toString(16).padStart(8, "0")}`, uuid: i.uuid })) } : {}),
      })),
    });
  });

  r.get("/os-hypervisors/detail", (c) => {
    requireAdmin(c.get("auth"));
    const { list, withServers } = listed(c);
    const u = usage();
    const svc = svcOf();
    return c.json({ hypervisors: list.map((n) => detail(c, n, u, svc, withServers)) });
  });

  r.get("/os-hypervisors/statistics", (c) => {
    requireAdmin(c.get("auth"));
    const u = usage();
    const svc = svcOf();
    const tot = { count: 0, current_workload: 0, disk_available_least: 0, free_disk_gb: 0, free_ram_mb: 0, local_gb: 0, local_gb_used: 0, memory_mb: 0, memory_mb_used: 0, running_vms: 0, vcpus: 0, vcpus_used: 0 };
    for (const n of nodes()) {
      const d = detail(c, n, u, svc) as Record<string, any>;
      tot.count++;
      for (const k of Object.keys(tot) as (keyof typeof tot)[]) if (k !== "count") tot[k] += d[k] as number;
    }
    return c.json({ hypervisor_statistics: tot });
  });

  const byId = (c: Ctx, id: string) => {
    const n = nodes().find((x) => String(idOf(c, x)) === id);
    if (!n) {
      throw notFound(`Hypervisor with ID ${id} could not be found.`);
    }
    return n;
  };

  r.get("/os-hypervisors/:id", (c) => {
    requireAdmin(c.get("auth"));
    const n = byId(c, c.req.param("id"));
    const ws = mvAtLeast(c, "2.53") && ["true", "1", "yes"].includes((c.req.query("with_servers") ?? "").toLowerCase());
    return c.json({ hypervisor: detail(c, n, usage(), svcOf(), ws) });
  });

  r.get("/os-hypervisors/:id/uptime", (c) => {
    requireAdmin(c.get("auth"));
    const n = byId(c, c.req.param("id"));
    const secs = Math.floor(process.uptime());
    const up = `${String(Math.floor(secs / 3600)).padStart(2, "0")}:${String(Math.floor((secs % 3600) / 60)).padStart(2, "0")}`;
    return c.json({
      hypervisor: {
        id: idOf(c, n),
        hypervisor_hostname: n.hypervisor_hostname,
        ...state(c, n, svcOf()),
        uptime: ` ${new Date().toTimeString().slice(0, 8)} up ${up},  1 user,  load average: 0.00, 0.00, 0.00`,
      },
    });
  });

  // before 2.53: search and servers by hostname pattern
  r.get("/os-hypervisors/:pattern/search", (c) => {
    requireAdmin(c.get("auth"));
    if (mvAtLeast(c, "2.53")) throw notFound("The resource could not be found.");
    const p = c.req.param("pattern");
    const svc = svcOf();
    const list = nodes().filter((n) => n.hypervisor_hostname.includes(p));
    if (!list.length) throw notFound(`No hypervisor matching '${p}' could be found.`);
    return c.json({ hypervisors: list.map((n) => ({ id: n.id, hypervisor_hostname: n.hypervisor_hostname, ...state(c, n, svc) })) });
  });
  r.get("/os-hypervisors/:pattern/servers", (c) => {
    requireAdmin(c.get("auth"));
    if (mvAtLeast(c, "2.53")) throw notFound("The resource could not be found.");
    const p = c.req.param("pattern");
    const svc = svcOf();
    const list = nodes().filter((n) => n.hypervisor_hostname.includes(p));
    if (!list.length) throw notFound(`No hypervisor matching '${p}' could be found.`);
    return c.json({
      hypervisors: list.map((n) => {
        const servers = ctx.instances.onHost(n.host).map((i) => ({ name: `instance-${i.seq.toString(16).padStart(8, "0")}`, uuid: i.uuid }));
        return { id: n.id, hypervisor_hostname: n.hypervisor_hostname, ...state(c, n, svc), ...(servers.length ? { servers } : {}) };
      }),
    });
  });

  return r;
}
