/**
 * The smaller endpoints: availability zones, os-services (the in-process
 * cinder-scheduler and cinder-volume), extensions, os-hosts, pools and
 * capabilities of the one backend, user messages (none), and the 3.62 per-project default types.
 */
import { Hono } from "hono";
import { z } from "zod";
import { ApiError, badRequest, notFound } from "../../core/errors.ts";
import type { AppEnv, Ctx } from "../../core/http.ts";
import { mvAtLeast } from "../../core/microversion.ts";
import { requireAdmin } from "../../core/policy.ts";
import { body } from "../../core/validate.ts";
import { BACKEND, DEFAULT_AZ, HOST, POOL_HOST, type VolumeCtx } from "../ctx.ts";
import { findType } from "../logic/types.ts";
import type { MessageRow } from "../logic/messages.ts";
import { links } from "../views.ts";
import { caller, queryOf } from "./util.ts";

interface ServiceRow {
  binary: string;
  host: string;
  zone: string;
  disabled: number;
  disabled_reason: string | null;
  frozen: number;
  updated_at: string;
}

const EXTENSIONS: [alias: string, name: string, description: string][] = [
  ["os-availability-zone", "AvailabilityZones", "Describe Availability Zones."],
  ["os-extended-snapshot-attributes", "ExtendedSnapshotAttributes", "Extended SnapshotAttributes support."],
  ["os-vol-host-attr", "VolumeHostAttribute", "Expose host as an attribute of a volume."],
  ["os-vol-tenant-attr", "VolumeTenantAttribute", "Expose the internal project_id as an attribute of a volume."],
  ["os-vol-mig-status-attr", "VolumeMigStatusAttribute", "Expose migration_status as an attribute of a volume."],
  ["os-vol-image-meta", "VolumeImageMetadata", "Show image metadata associated with the volume."],
  ["os-volume-actions", "VolumeActions", "Enable volume actions."],
  ["os-admin-actions", "AdminActions", "Enable admin actions."],
  ["os-extended-services", "ExtendedServices", "Extended services support."],
  ["os-services", "Services", "Services support."],
  ["os-hosts", "Hosts", "Admin-only host administration."],
  ["os-quota-sets", "Quotas", "Quota management support."],
  ["os-quota-class-sets", "QuotaClasses", "Quota classes management support."],
  ["os-types-manage", "TypesManage", "Types manage support."],
  ["os-types-extra-specs", "TypesExtraSpecs", "Type extra specs support."],
  ["os-volume-type-access", "VolumeTypeAccess", "Volume type access support."],
  ["os-used-limits", "UsedLimits", "Provide data on limited resources that are being used."],
  ["scheduler-stats", "Scheduler_stats", "Scheduler stats support."],
  ["capabilities", "Capabilities", "Capabilities support."],
  ["os-snapshot-actions", "SnapshotActions", "Enable snapshot manager actions."],
];

export function miscRoutes(ctx: VolumeCtx) {
  const app = new Hono<AppEnv>();
  const { db } = ctx;

  app.get("/os-availability-zone", (c) => {
    caller(c);
    return c.json({ availabilityZoneInfo: [{ zoneName: DEFAULT_AZ, zoneState: { available: true } }] });
  });

  app.get("/extensions", (c) => {
    caller(c);
    return c.json({
      extensions: EXTENSIONS.map(([alias, name, description]) => ({
        alias,
        name,
        description,
        namespace: `https://docs.openstack.org/volume/ext/${alias}/api/v1`,
        updated: "2013-04-18T00:00:00+00:00",
        links: [],
      })),
    });
  });

  // ---- os-services ----
  const serviceView = (s: ServiceRow, withCluster: boolean) => ({
    binary: s.binary,
    host: s.host,
    zone: s.zone,
    status: s.disabled ? "disabled" : "enabled",
    state: "up",
    updated_at: ctx.now(),
    disabled_reason: s.disabled_reason,
    ...(s.binary === "cinder-volume" ? { frozen: !!s.frozen, replication_status: "disabled", active_backend_id: null } : {}),
    ...(withCluster ? { cluster: null } : {}),
    ...(s.binary === "cinder-volume" && withCluster ? { backend_state: "up" } : {}),
  });
  app.get("/os-services", (c) => {
    requireAdmin(c.get("auth"));
    const q = queryOf(c);
    let rows = db.all<ServiceRow>("SELECT * FROM volume_services ORDER BY binary, host");
    if (q.host) rows = rows.filter((s) => s.host === q.host || s.host.split("@")[0] === q.host);
    if (q.binary) rows = rows.filter((s) => s.binary === q.binary);
    if (q.zone) rows = rows.filter((s) => s.zone === q.zone);
    const v37 = mvAtLeast(c, "3.7");
    return c.json({
      services: rows.map((s) => {
        const out = serviceView(s, v37) as Record<string, unknown>;
        if (!mvAtLeast(c, "3.49")) delete out.backend_state;
        return out;
      }),
    });
  });
  const setService = (disabled: boolean, withReason: boolean) => async (c: Ctx) => {
    requireAdmin(c.get("auth"));
    const b = (await c.req.json().catch(() => ({}))) as { host?: string; binary?: string; service?: string; disabled_reason?: string | null };
    const binary = b.binary ?? b.service;
    if (!b.host || !binary) throw badRequest("Invalid input received: host and binary are required.");
    if (withReason) {
      const r = b.disabled_reason;
      if (typeof r !== "string" || !r.trim() || r.length > 255) throw badRequest("Disabled reason contains invalid characters or is too long");
    }
    const s = db.get<ServiceRow>("SELECT * FROM volume_services WHERE host = ? AND binary = ?", b.host, binary);
    if (!s) throw notFound(`Service ${binary} on host ${b.host} could not be found.`);
    db.run(
      "UPDATE volume_services SET disabled = ?, disabled_reason = ?, updated_at = ? WHERE host = ? AND binary = ?",
      disabled ? 1 : 0,
      withReason ? b.disabled_reason! : null,
      ctx.now(),
      b.host,
      binary,
    );
    return c.json({
      host: b.host,
      binary,
      service: binary,
      status: disabled ? "disabled" : "enabled",
      disabled,
      ...(disabled && !withReason ? {} : { disabled_reason: withReason ? b.disabled_reason : null }),
    });
  };
  app.put("/os-services/enable", setService(false, false));
  app.put("/os-services/disable", setService(true, false));
  app.put("/os-services/disable-log-reason", setService(true, true));
  for (const [verb, frozen] of [["freeze", 1], ["thaw", 0]] as const) {
    app.put(`/os-services/${verb}`, async (c) => {
      requireAdmin(c.get("auth"));
      const b = (await c.req.json().catch(() => ({}))) as { host?: string };
      const s = b.host && db.get<ServiceRow>("SELECT * FROM volume_services WHERE host = ? AND binary = 'cinder-volume'", b.host);
      if (!s) throw badRequest(`Invalid input received: Host ${b.host ?? ""} is not a volume backend.`);
      db.run("UPDATE volume_services SET frozen = ? WHERE host = ? AND binary = 'cinder-volume'", frozen, b.host!);
      return c.body(null, 200);
    });
  }

  // ---- hosts, pools, capabilities (admin) ----
  app.get("/os-hosts", (c) => {
    requireAdmin(c.get("auth"));
    const rows = db.all<ServiceRow>("SELECT * FROM volume_services ORDER BY binary, host");
    return c.json({
      hosts: rows.map((s) => ({
        service: s.binary,
        host_name: s.host,
        zone: s.zone,
        "service-status": s.disabled ? "unavailable" : "available",
        "service-state": s.disabled ? "disabled" : "enabled",
        "last-update": ctx.now(),
      })),
    });
  });
  app.get("/os-hosts/:host", (c) => {
    requireAdmin(c.get("auth"));
    const host = c.req.param("host");
    const s = db.get<ServiceRow>("SELECT * FROM volume_services WHERE host = ? AND binary = 'cinder-volume'", host);
    if (!s) throw notFound(`Host ${host} could not be found.`);
    const sums = db.get<{ n: number; gb: number }>("SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS gb FROM volume_volumes")!;
    const snaps = db.get<{ n: number; gb: number }>("SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS gb FROM volume_snapshots")!;
    return c.json({
      host: [
        { resource: { host, project: "(total)", volume_count: String(sums.n), total_volume_gb: String(sums.gb), total_snapshot_gb: String(snaps.gb), snapshot_count: String(snaps.n) } },
      ],
    });
  });
  const caps = () => ({
    volume_backend_name: BACKEND,
    vendor_name: "tenrec",
    driver_version: "1.0.0",
    storage_protocol: "file",
    total_capacity_gb: "infinite",
    free_capacity_gb: "infinite",
    reserved_percentage: 0,
    thin_provisioning_support: true,
    multiattach: true,
    QoS_support: false,
  });
  app.get("/scheduler-stats/get_pools", (c) => {
    requireAdmin(c.get("auth"));
    const detail = ["1", "true", "True"].includes(queryOf(c).detail ?? "");
    return c.json({ pools: [detail ? { name: POOL_HOST, capabilities: { ...caps(), pool_name: BACKEND, timestamp: ctx.now() } } : { name: POOL_HOST }] });
  });
  app.get("/capabilities/:host", (c) => {
    requireAdmin(c.get("auth"));
    const host = c.req.param("host");
    if (host !== `${HOST}@${BACKEND}` && host !== POOL_HOST && host !== HOST) throw notFound(`Service ${host} could not be found.`);
    const k = caps();
    return c.json({
      namespace: `OS::Storage::Capabilities::${host}`,
      vendor_name: k.vendor_name,
      volume_backend_name: k.volume_backend_name,
      pool_name: null,
      driver_version: k.driver_version,
      storage_protocol: k.storage_protocol,
      display_name: null,
      description: null,
      visibility: null,
      replication_targets: [],
      properties: {
        thin_provisioning: { title: "Thin Provisioning", description: "Sets thin provisioning.", type: "boolean" },
      },
    });
  });

  // ---- user messages (3.3): why asynchronous work failed ----
  const msgView = (c: Ctx, m: MessageRow) => ({
    id: m.id,
    request_id: m.request_id,
    resource_type: m.resource_type,
    resource_uuid: m.resource_uuid,
    event_id: m.event_id,
    message_level: m.message_level,
    user_message: m.user_message,
    created_at: m.created_at,
    guaranteed_until: m.guaranteed_until,
    links: links(c, `messages/${m.id}`),
  });
  const findMessage = (c: Ctx, id: string): MessageRow => {
    const cl = caller(c);
    const m = db.get<MessageRow>("SELECT * FROM volume_messages WHERE id = ?", id);
    if (!m || (!cl.isAdmin && m.project_id !== cl.projectId)) throw notFound(`Message ${id} could not be found.`);
    return m;
  };
  const needMessages = async (c: Ctx, next: () => Promise<void>) => {
    if (!mvAtLeast(c, "3.3")) throw new ApiError(404, "The resource could not be found.");
    await next();
  };
  app.use("/messages", needMessages);
  app.use("/messages/*", needMessages);
  app.get("/messages", (c) => {
    const cl = caller(c);
    const rows = db.all<MessageRow>("SELECT * FROM volume_messages WHERE project_id = ? ORDER BY created_at DESC, rowid DESC", cl.projectId);
    return c.json({ messages: rows.map((m) => msgView(c, m)) });
  });
  app.get("/messages/:id", (c) => c.json({ message: msgView(c, findMessage(c, c.req.param("id"))) }));
  app.delete("/messages/:id", (c) => {
    const m = findMessage(c, c.req.param("id"));
    db.run("DELETE FROM volume_messages WHERE id = ?", m.id);
    return c.body(null, 204);
  });

  // ---- resource filters (3.33): what list filters each resource takes ----
  app.get("/resource_filters", (c) => {
    caller(c);
    if (!mvAtLeast(c, "3.33")) throw new ApiError(404, "The resource could not be found.");
    const all = [
      { resource: "volume", filters: ["name", "status", "metadata", "bootable", "migration_status", "availability_zone", "size", "created_at", "updated_at"] },
      { resource: "snapshot", filters: ["name", "status", "volume_id", "metadata"] },
      { resource: "attachment", filters: ["volume_id", "status", "instance_id"] },
      { resource: "transfer", filters: [] },
    ];
    const want = queryOf(c).resource;
    return c.json({ resource_filters: want ? all.filter((f) => f.resource === want) : all });
  });

  // ---- Cinder APIs this cloud does not have: say so (501), not "not found" ----
  const MISSING: [prefix: string, what: string][] = [
    ["groups", "Volume groups are"],
    ["group_types", "Group types are"],
    ["group_snapshots", "Group snapshots are"],
    ["consistencygroups", "Consistency groups are"],
    ["cgsnapshots", "Consistency group snapshots are"],
    ["os-volume-manage", "Managing existing volumes is"],
    ["os-snapshot-manage", "Managing existing snapshots is"],
    ["manageable_volumes", "Managing existing volumes is"],
    ["manageable_snapshots", "Managing existing snapshots is"],
    ["workers", "Worker cleanup is"],
    ["clusters", "Clusters are"],
  ];
  for (const [prefix, what] of MISSING) {
    const handler = (c: Ctx) => {
      caller(c);
      throw new ApiError(501, `${what} not implemented by this cloud.`);
    };
    app.all(`/${prefix}`, handler);
    app.all(`/${prefix}/*`, handler);
  }

  // ---- default types (3.62) ----
  const DefaultBody = z.object({ default_type: z.object({ volume_type: z.string().min(1) }) });
  const needMv = (c: Ctx) => {
    if (!mvAtLeast(c, "3.62")) throw new ApiError(404, "The resource could not be found.");
  };
  const view = (project: string, typeId: string) => ({ project_id: project, volume_type_id: typeId });
  app.put("/default-types/:project", body(DefaultBody), (c) => {
    needMv(c);
    requireAdmin(c.get("auth"));
    const project = c.req.param("project");
    const t = findType(ctx, caller(c), c.req.valid("json").default_type.volume_type);
    db.run(
      "INSERT INTO volume_default_types (project_id, type_id) VALUES (?, ?) ON CONFLICT (project_id) DO UPDATE SET type_id = excluded.type_id",
      project,
      t.id,
    );
    return c.json({ default_type: view(project, t.id) });
  });
  app.get("/default-types", (c) => {
    needMv(c);
    requireAdmin(c.get("auth"));
    return c.json({
      default_types: db.all<{ project_id: string; type_id: string }>("SELECT * FROM volume_default_types ORDER BY project_id").map((r) => view(r.project_id, r.type_id)),
    });
  });
  app.get("/default-types/:project", (c) => {
    needMv(c);
    requireAdmin(c.get("auth"));
    const project = c.req.param("project");
    const r = db.get<{ type_id: string }>("SELECT type_id FROM volume_default_types WHERE project_id = ?", project);
    if (!r) throw notFound(`Default type for project ${project} could not be found.`);
    return c.json({ default_type: view(project, r.type_id) });
  });
  app.delete("/default-types/:project", (c) => {
    needMv(c);
    requireAdmin(c.get("auth"));
    db.run("DELETE FROM volume_default_types WHERE project_id = ?", c.req.param("project"));
    return c.body(null, 204);
  });

  return app;
}
