/** How Cinder shows its resources, by microversion and by who asks (admin-only attributes). */
import type { Ctx } from "../core/http.ts";
import { mvAtLeast } from "../core/microversion.ts";
import { POOL_HOST, type Caller, type VolumeCtx } from "./ctx.ts";
import { volumeAttachments } from "./logic/attachments.ts";
import { getTypeRow, jsonMap, type AttachmentRow, type SnapshotRow, type TypeRow, type VolumeRow } from "./store.ts";

/** `http://host:8776/v3/<project>/<path>` and its bookmark, as Cinder links resources (also for 3.67 project-less URLs). */
export function links(c: Ctx, path: string) {
  const url = new URL(c.req.url);
  const base = `${url.protocol}//${url.host}`;
  const project = c.get("auth")?.projectId ?? "";
  return [
    { rel: "self", href: `${base}/v3/${project}/${path}` },
    { rel: "bookmark", href: `${base}/${project}/${path}` },
  ];
}

function attachmentView(a: AttachmentRow) {
  return {
    server_id: a.instance_id,
    attachment_id: a.id,
    attached_at: a.attached_at,
    host_name: a.host,
    volume_id: a.volume_id,
    device: a.mountpoint,
    id: a.volume_id,
  };
}

export function volumeSummary(c: Ctx, v: VolumeRow) {
  return { id: v.id, name: v.name, links: links(c, `volumes/${v.id}`) };
}

/**
 * A volume. `basic` is the create/update answer: Cinder's extension attributes
 * (os-vol-*, volume_image_metadata) appear only on show and detail lists.
 */
export function volumeView(ctx: VolumeCtx, c: Ctx, caller: Caller, v: VolumeRow, opts: { typeCache?: Map<string, TypeRow | undefined>; basic?: boolean } = {}) {
  let t: TypeRow | undefined;
  if (opts.typeCache) {
    if (!opts.typeCache.has(v.type_id)) opts.typeCache.set(v.type_id, getTypeRow(ctx.db, v.type_id));
    t = opts.typeCache.get(v.type_id);
  } else t = getTypeRow(ctx.db, v.type_id);
  const imageMeta = jsonMap(v.image_metadata);
  const out: Record<string, unknown> = {
    id: v.id,
    name: v.name,
    description: v.description,
    size: v.size,
    status: v.status,
    availability_zone: v.availability_zone,
    created_at: v.created_at,
    updated_at: v.updated_at,
    attachments: volumeAttachments(ctx, v).map(attachmentView),
    links: links(c, `volumes/${v.id}`),
    bootable: v.bootable ? "true" : "false",
    encrypted: false,
    multiattach: !!v.multiattach,
    metadata: v.readonly === null ? jsonMap(v.metadata) : { ...jsonMap(v.metadata), readonly: v.readonly ? "True" : "False" },
    replication_status: null,
    consistencygroup_id: null,
    snapshot_id: v.snapshot_id,
    source_volid: v.source_volid,
    user_id: v.user_id,
    volume_type: t?.name ?? null,
    migration_status: v.migration_status,
  };
  if (!opts.basic) out["os-vol-tenant-attr:tenant_id"] = v.project_id;
  if (!opts.basic && Object.keys(imageMeta).length) out.volume_image_metadata = imageMeta;
  if (caller.isAdmin && !opts.basic) {
    out["os-vol-host-attr:host"] = POOL_HOST;
    out["os-vol-mig-status-attr:migstat"] = v.migration_status;
    out["os-vol-mig-status-attr:name_id"] = null;
  }
  if (mvAtLeast(c, "3.13")) out.group_id = null;
  if (mvAtLeast(c, "3.21")) out.provider_id = null;
  if (mvAtLeast(c, "3.48")) {
    out.service_uuid = null;
    out.shared_targets = false;
  }
  if (mvAtLeast(c, "3.61") && caller.isAdmin) out.cluster_name = null;
  if (mvAtLeast(c, "3.63")) out.volume_type_id = v.type_id;
  if (mvAtLeast(c, "3.64")) out.encryption_key_id = null;
  if (mvAtLeast(c, "3.65")) out.consumes_quota = true;
  if (mvAtLeast(c, "3.69")) out.shared_targets = null;
  return out;
}

export function snapshotView(c: Ctx, s: SnapshotRow, detail: boolean) {
  const out: Record<string, unknown> = {
    id: s.id,
    name: s.name,
    description: s.description,
    volume_id: s.volume_id,
    size: s.size,
    status: s.status,
    created_at: s.created_at,
    updated_at: s.updated_at,
    metadata: jsonMap(s.metadata),
  };
  if (detail) {
    out["os-extended-snapshot-attributes:progress"] = s.progress;
    out["os-extended-snapshot-attributes:project_id"] = s.project_id;
  }
  if (mvAtLeast(c, "3.14")) out.group_snapshot_id = null;
  if (mvAtLeast(c, "3.41")) out.user_id = s.user_id;
  if (mvAtLeast(c, "3.65")) out.consumes_quota = true;
  return out;
}

export function typeView(caller: Caller, t: TypeRow, opts: { forUpdate?: boolean; forCreate?: boolean } = {}) {
  const out: Record<string, unknown> = {
    id: t.id,
    name: t.name,
    description: t.description,
    is_public: !!t.is_public,
  };
  if (!opts.forUpdate) out["os-volume-type-access:is_public"] = !!t.is_public;
  // Non-admins see only the user-visible extra specs (Cinder's default policy: none of a backend's).
  if (caller.isAdmin) out.extra_specs = jsonMap(t.extra_specs);
  else {
    const visible = Object.fromEntries(
      Object.entries(jsonMap(t.extra_specs)).filter(([k]) => ["multiattach", "RESKEY:availability_zones", "replication_enabled"].includes(k)),
    );
    out.extra_specs = visible;
  }
  if (caller.isAdmin && !opts.forUpdate && !opts.forCreate) out.qos_specs_id = t.qos_specs_id;
  return out;
}

export function attachmentApiView(ctx: VolumeCtx, a: AttachmentRow, detail: boolean, connectionInfo?: unknown) {
  const status = a.attach_status;
  const base: Record<string, unknown> = { id: a.id, status, instance: a.instance_id, volume_id: a.volume_id };
  if (!detail) return base;
  return {
    ...base,
    attached_at: a.attached_at,
    detached_at: null,
    attach_mode: a.attach_mode,
    connection_info: connectionInfo ?? (a.connector ? connectionInfoFor(ctx, a) : null),
  };
}

function connectionInfoFor(ctx: VolumeCtx, a: AttachmentRow) {
  const path = ctx.backend.volumePath(a.volume_id);
  return { driver_volume_type: "file", data: { path, device_path: path, volume_id: a.volume_id, access_mode: a.attach_mode } };
}

