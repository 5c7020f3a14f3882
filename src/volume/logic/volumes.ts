/**
 * Volumes: create (blank, from a snapshot, a volume or an image), list, show,
 * update, delete, and the state changes of their actions. Every write checks
 * the state and the quota and changes the row in one transaction; the file
 * work is cast to the worker (volume.* topics) and moves the status on.
 */
import { ApiError, badRequest, forbidden, notFound } from "../../core/errors.ts";
import { uuid } from "../../core/ids.ts";
import type { ImageRef } from "../../image/client.ts";
import { DEFAULT_AZ, type Caller, type VolumeCtx } from "../ctx.ts";
import type { VolumeCreate } from "../schemas/volumes.ts";
import { getSnapshotRow, getTypeRow, getVolumeRow, jsonMap, setVolume, type SnapshotRow, type TypeRow, type VolumeRow } from "../store.ts";
import { checkQuota } from "./quotas.ts";
import { defaultType, findType } from "./types.ts";

const GiB = 1024 ** 3;

/** The volume if the caller may see it (its project's, or any for admin); 404 otherwise. */
export function findVolume(ctx: VolumeCtx, caller: Caller, id: string): VolumeRow {
  const v = getVolumeRow(ctx.db, id);
  if (!v || (!caller.isAdmin && v.project_id !== caller.projectId)) throw notFound(`Volume ${id} could not be found.`);
  return v;
}

export function findSnapshot(ctx: VolumeCtx, caller: Caller, id: string): SnapshotRow {
  const s = getSnapshotRow(ctx.db, id);
  if (!s || (!caller.isAdmin && s.project_id !== caller.projectId)) throw notFound(`Snapshot ${id} could not be found.`);
  return s;
}

/** The properties Cinder copies from an image into volume_image_metadata. */
export function imageMetadataOf(img: ImageRef): Record<string, string> {
  const out: Record<string, string> = {
    image_id: img.id,
    image_name: img.name ?? "",
    checksum: img.checksum ?? "",
    container_format: img.containerFormat ?? "",
    disk_format: img.diskFormat ?? "",
    min_disk: String(img.minDisk),
    min_ram: String(img.minRam),
    size: String(img.size ?? 0),
  };
  for (const [k, v] of Object.entries(img.properties)) {
    // Glance's own bookkeeping stays in Glance.
    if (k.startsWith("os_glance") || k === "owner_specified.openstack.object") continue;
    out[k] = String(v);
  }
  return out;
}

export interface CreateVolumeMsg {
  id: string;
  /** Who asked (the image is read with the caller's visibility). */
  caller: { projectId: string; isAdmin: boolean };
  /** The API request, for the user message if the create fails. */
  requestId?: string;
}

export async function createVolume(ctx: VolumeCtx, caller: Caller, req: VolumeCreate): Promise<VolumeRow> {
  const name = req.name ?? req.display_name ?? null;
  const description = req.description ?? req.display_description ?? null;
  let size = req.size ?? undefined;
  const imageRef = req.imageRef ?? req.image_id ?? null;
  if (req.backup_id) throw new ApiError(501, "Creating a volume from a backup is not implemented: backups are not supported by this cloud.");
  if (req.consistencygroup_id || req.group_id) throw badRequest("Invalid input received: groups are not supported by this cloud.");

  // Sources: at most one.
  const sources = [req.snapshot_id, req.source_volid, imageRef].filter((s) => s);
  if (sources.length > 1) throw badRequest("Invalid input received: only one of snapshot_id, source_volid and imageRef may be given.");

  let snapshot: SnapshotRow | undefined;
  let source: VolumeRow | undefined;
  let image: ImageRef | undefined;
  let type: TypeRow | undefined;
  if (req.snapshot_id) {
    snapshot = findSnapshot(ctx, caller, req.snapshot_id);
    size ??= snapshot.size;
    if (size < snapshot.size)
      throw badRequest(`Invalid input received: Volume size '${size}'GB cannot be smaller than the snapshot size ${snapshot.size}GB. They must be >= original snapshot size.`);
    const t = snapshot.type_id ? getTypeRow(ctx.db, snapshot.type_id) : undefined;
    if (!req.volume_type && t) type = t;
  }
  if (req.source_volid) {
    source = findVolume(ctx, caller, req.source_volid);
    size ??= source.size;
    if (size < source.size)
      throw badRequest(`Invalid input received: Volume size '${size}'GB cannot be smaller than original volume size ${source.size}GB. They must be >= original volume size.`);
    if (!req.volume_type) type = getTypeRow(ctx.db, source.type_id);
  }
  if (imageRef) {
    image = await ctx.image.getImage({ projectId: caller.projectId, isAdmin: caller.isAdmin }, imageRef).catch(() => undefined);
    if (!image) throw badRequest("Invalid image identifier or unable to access requested image.");
    if (image.status !== "active") throw badRequest(`Invalid image identifier or unable to access requested image. Image ${image.id} is not active (status: ${image.status}).`);
    const imgGb = Math.ceil(Math.max(image.size ?? 0, image.virtualSize ?? 0) / GiB);
    size ??= Math.max(1, image.minDisk, imgGb);
    if (size < imgGb)
      throw badRequest(`Invalid input received: Size of specified image ${imgGb}GB is larger than volume size ${size}GB.`);
    if (size < image.minDisk)
      throw badRequest(`Invalid input received: Volume size ${size}GB cannot be smaller than the image minDisk size ${image.minDisk}GB.`);
  }
  if (size === undefined) throw badRequest("Invalid input received: size must be specified when creating a volume without a source.");

  if (req.volume_type) type = findType(ctx, caller, req.volume_type);
  type ??= defaultType(ctx, caller.projectId);
  const az = req.availability_zone ?? source?.availability_zone ?? DEFAULT_AZ;
  if (az !== DEFAULT_AZ) throw badRequest(`Invalid input received: Availability zone '${az}' is invalid.`);
  if (type.encryption)
    throw badRequest(`Invalid volume type: Type ${type.name} is encrypted, and encrypted volumes need a key manager, which this cloud does not have.`);
  const specs = jsonMap(type.extra_specs);
  const multiattach = req.multiattach === true || /^\s*<is>\s*true\s*$/i.test(specs.multiattach ?? "");

  const id = uuid();
  const now = ctx.now();
  const row = ctx.db.tx(() => {
    // The sources are checked again inside the transaction: their state may have moved.
    if (snapshot) {
      const s = getSnapshotRow(ctx.db, snapshot.id);
      if (!s || s.status !== "available")
        throw badRequest(`Invalid snapshot: Originating snapshot status must be one of 'available' values (it is ${s?.status ?? "deleted"}).`);
    }
    if (source) {
      const s = getVolumeRow(ctx.db, source.id);
      if (!s || !["available", "in-use"].includes(s.status))
        throw badRequest(`Invalid volume: Unable to create a volume from an originating source volume when its status is not 'available' or 'in-use' (it is ${s?.status ?? "deleted"}).`);
    }
    checkQuota(ctx.db, caller.projectId, type!.name, { volumes: 1, gigabytes: size!, perVolumeGb: size! });
    ctx.db.run(
      `INSERT INTO volume_volumes (id, project_id, user_id, name, description, size, status, availability_zone, type_id,
         bootable, multiattach, snapshot_id, source_volid, image_id, metadata, image_metadata, format, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, 'creating', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      id,
      caller.projectId,
      caller.userId,
      name,
      description,
      size!,
      az,
      type!.id,
      source?.bootable ?? (image ? 1 : 0),
      multiattach ? 1 : 0,
      snapshot?.id ?? null,
      source?.id ?? null,
      image?.id ?? null,
      JSON.stringify(req.metadata ?? {}),
      JSON.stringify(image ? imageMetadataOf(image) : source ? jsonMap(source.image_metadata) : {}),
      ctx.backend.format,
      now,
      now,
    );
    ctx.bus.castDurable<CreateVolumeMsg>("volume.create", { id, caller: { projectId: caller.projectId, isAdmin: caller.isAdmin }, requestId: caller.requestId });
    return getVolumeRow(ctx.db, id)!;
  });
  ctx.log.info(`volume ${id} (${size} GiB, type ${type.name}) creating`);
  return row;
}

export function updateVolume(
  ctx: VolumeCtx,
  caller: Caller,
  id: string,
  req: { name?: string | null; description?: string | null; display_name?: string | null; display_description?: string | null; metadata?: Record<string, string> | null },
): VolumeRow {
  return ctx.db.tx(() => {
    const v = findVolume(ctx, caller, id);
    const fields: Partial<VolumeRow> = {};
    const name = req.name !== undefined ? req.name : req.display_name;
    const description = req.description !== undefined ? req.description : req.display_description;
    if (name !== undefined) fields.name = name;
    if (description !== undefined) fields.description = description;
    if (req.metadata !== undefined) fields.metadata = JSON.stringify(req.metadata ?? {});
    setVolume(ctx.db, v.id, ctx.now(), fields);
    return getVolumeRow(ctx.db, id)!;
  });
}

const DELETABLE = ["available", "error", "error_restoring", "error_extending", "error_managing"];

export function deleteVolume(ctx: VolumeCtx, caller: Caller, id: string, opts: { cascade?: boolean; force?: boolean } = {}): void {
  ctx.db.tx(() => {
    const v = findVolume(ctx, caller, id);
    if (opts.force && !caller.isAdmin) throw forbidden("Policy doesn't allow volume_extension:volume_admin_actions:force_delete to be performed.");
    if (v.status === "deleting" && !opts.force) return;
    if (v.attach_status === "attached" || ctx.db.get("SELECT 1 AS x FROM volume_attachments WHERE volume_id = ? AND attach_status != 'detached'", id)) {
      if (!opts.force || v.status === "in-use")
        throw badRequest("Invalid volume: Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots or be disassociated from snapshots after volume transfer.");
    }
    if (!opts.force && !DELETABLE.includes(v.status))
      throw badRequest(
        `Invalid volume: Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots or be disassociated from snapshots after volume transfer. (status: ${v.status})`,
      );
    const snaps = ctx.db.all<{ id: string; status: string }>("SELECT id, status FROM volume_snapshots WHERE volume_id = ?", id);
    if (snaps.length && !opts.cascade)
      throw badRequest(`Invalid volume: Volume ${id} still has ${snaps.length} dependent snapshots.`);
    if (opts.cascade) {
      for (const s of snaps)
        if (!["available", "error", "deleting", "error_deleting"].includes(s.status))
          throw badRequest(`Invalid volume: Snapshot ${s.id} of volume ${id} is ${s.status}, not available or error.`);
      ctx.db.run("UPDATE volume_snapshots SET status = 'deleting', updated_at = ? WHERE volume_id = ?", ctx.now(), id);
    }
    setVolume(ctx.db, id, ctx.now(), { status: "deleting" });
    ctx.bus.castDurable("volume.delete", { id });
  });
}

export function extendVolume(ctx: VolumeCtx, caller: Caller, id: string, newSize: number, allowInUse: boolean): void {
  ctx.db.tx(() => {
    const v = findVolume(ctx, caller, id);
    const ok = v.status === "available" || (allowInUse && v.status === "in-use");
    if (!ok)
      throw badRequest(`Invalid volume: Volume status must be '${allowInUse ? "available' or 'in-use" : "available"}' to extend, but current status is: ${v.status}.`);
    if (newSize <= v.size)
      throw badRequest(`Invalid input received: New size for extend must be greater than current size. (current: ${v.size}, extended: ${newSize}).`);
    const t = getTypeRow(ctx.db, v.type_id);
    checkQuota(ctx.db, v.project_id, t?.name ?? null, { gigabytes: newSize - v.size, perVolumeGb: newSize });
    setVolume(ctx.db, id, ctx.now(), { status: "extending" });
    ctx.bus.castDurable("volume.extend", { id, newSize, restore: v.status });
  });
}

/** Admin: set status / attach_status / migration_status without doing anything else. */
export function resetStatus(ctx: VolumeCtx, caller: Caller, id: string, body: { status?: string; attach_status?: string; migration_status?: string }): void {
  const VALID = ["available", "error", "creating", "deleting", "in-use", "attaching", "detaching", "error_deleting", "maintenance", "reserved", "extending", "error_extending", "uploading", "downloading", "backing-up", "restoring-backup", "error_restoring", "retyping", "reverting", "error_managing", "awaiting-transfer"];
  if (body.status !== undefined && !VALID.includes(body.status)) throw badRequest(`Invalid input received: Invalid status '${body.status}'.`);
  if (body.attach_status !== undefined && !["attached", "detached"].includes(body.attach_status))
    throw badRequest(`Invalid input received: Invalid attach_status '${body.attach_status}'.`);
  if (body.status === undefined && body.attach_status === undefined && body.migration_status === undefined)
    throw badRequest("Invalid input received: Must specify 'status', 'attach_status' or 'migration_status' for update.");
  ctx.db.tx(() => {
    const v = findVolume(ctx, caller, id);
    const fields: Partial<VolumeRow> = {};
    if (body.status !== undefined) fields.status = body.status;
    if (body.attach_status !== undefined) {
      fields.attach_status = body.attach_status;
      if (body.attach_status === "detached")
        ctx.db.run("UPDATE volume_attachments SET attach_status = 'detached', updated_at = ? WHERE volume_id = ?", ctx.now(), v.id);
    }
    if (body.migration_status !== undefined) fields.migration_status = body.migration_status === "none" ? null : body.migration_status;
    setVolume(ctx.db, v.id, ctx.now(), fields);
  });
}

export function setBootable(ctx: VolumeCtx, caller: Caller, id: string, bootable: boolean): void {
  ctx.db.tx(() => {
    const v = findVolume(ctx, caller, id);
    setVolume(ctx.db, v.id, ctx.now(), { bootable: bootable ? 1 : 0 });
  });
}

export function setReadonly(ctx: VolumeCtx, caller: Caller, id: string, readonly: boolean): void {
  ctx.db.tx(() => {
    const v = findVolume(ctx, caller, id);
    // Only admin metadata changes: also allowed while creating (`openstack volume create --read-only`
    // sets the flag right after the create answers).
    if (!["available", "in-use", "creating"].includes(v.status))
      throw badRequest(`Invalid volume: Volume status must be available or in-use to update the readonly flag (it is ${v.status}).`);
    setVolume(ctx.db, v.id, ctx.now(), { readonly: readonly ? 1 : 0 });
  });
}

/** The image metadata of a volume (os-set_image_metadata / os-unset_image_metadata / os-show_image_metadata). */
export function setImageMetadata(ctx: VolumeCtx, caller: Caller, id: string, meta: Record<string, string>): Record<string, string> {
  return ctx.db.tx(() => {
    const v = findVolume(ctx, caller, id);
    const merged = { ...jsonMap(v.image_metadata), ...meta };
    setVolume(ctx.db, v.id, ctx.now(), { image_metadata: JSON.stringify(merged) });
    return merged;
  });
}
export function unsetImageMetadata(ctx: VolumeCtx, caller: Caller, id: string, key: string): void {
  ctx.db.tx(() => {
    const v = findVolume(ctx, caller, id);
    const m = jsonMap(v.image_metadata);
    if (!(key in m)) throw notFound(`Glance metadata for volume ${id} with key ${key} cannot be found.`);
    delete m[key];
    setVolume(ctx.db, v.id, ctx.now(), { image_metadata: JSON.stringify(m) });
  });
}

/** Volume metadata: replace all, merge, one item. */
export function setMetadata(ctx: VolumeCtx, caller: Caller, id: string, meta: Record<string, string>, replace: boolean): Record<string, string> {
  return ctx.db.tx(() => {
    const v = findVolume(ctx, caller, id);
    if (v.status === "maintenance") throw badRequest(`Invalid volume: Volume ${id} is in maintenance.`);
    const next = replace ? { ...meta } : { ...jsonMap(v.metadata), ...meta };
    setVolume(ctx.db, v.id, ctx.now(), { metadata: JSON.stringify(next) });
    return next;
  });
}
export function deleteMetadataKey(ctx: VolumeCtx, caller: Caller, id: string, key: string): void {
  ctx.db.tx(() => {
    const v = findVolume(ctx, caller, id);
    const m = jsonMap(v.metadata);
    if (!(key in m)) throw notFound(`Volume ${id} has no metadata with key ${key}.`);
    delete m[key];
    setVolume(ctx.db, v.id, ctx.now(), { metadata: JSON.stringify(m) });
  });
}

/** Retype: a change of type on the one backend is instant (no migration needed). */
export function retype(ctx: VolumeCtx, caller: Caller, id: string, newType: string): void {
  ctx.db.tx(() => {
    const v = findVolume(ctx, caller, id);
    if (!["available", "in-use"].includes(v.status)) throw badRequest(`Invalid volume: Volume status must be available or in-use to retype (it is ${v.status}).`);
    const t = findType(ctx, caller, newType);
    if (t.id === v.type_id) throw badRequest("Invalid input received: Retype requested with the volume's current type.");
    checkQuota(ctx.db, v.project_id, t.name, { volumes: 1, gigabytes: v.size });
    setVolume(ctx.db, v.id, ctx.now(), { type_id: t.id });
  });
}

/** Revert to the volume's latest snapshot (3.40). */
export function revertToSnapshot(ctx: VolumeCtx, caller: Caller, id: string, snapshotId: string): void {
  ctx.db.tx(() => {
    const v = findVolume(ctx, caller, id);
    const s = findSnapshot(ctx, caller, snapshotId);
    if (s.volume_id !== v.id) throw badRequest(`Invalid snapshot: Snapshot ${s.id} does not belong to volume ${v.id}.`);
    if (v.status !== "available") throw badRequest(`Invalid volume: Volume ${v.id} status must be available to revert, but is ${v.status}.`);
    if (s.status !== "available") throw badRequest(`Invalid snapshot: Snapshot ${s.id} status must be available to revert, but is ${s.status}.`);
    const latest = ctx.db.get<{ id: string }>("SELECT id FROM volume_snapshots WHERE volume_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1", v.id);
    if (latest?.id !== s.id) throw badRequest(`Invalid snapshot: Snapshot ${s.id} is not the latest one of volume ${v.id}.`);
    if (v.size !== s.size) throw badRequest("Invalid volume: Volume size differs from the snapshot's; revert is not allowed.");
    setVolume(ctx.db, v.id, ctx.now(), { status: "reverting" });
    ctx.db.run("UPDATE volume_snapshots SET status = 'restoring', updated_at = ? WHERE id = ?", ctx.now(), s.id);
    ctx.bus.castDurable("volume.revert", { id: v.id, snapshotId: s.id });
  });
}

/**
 * os-volume_upload_image: a Glance image (queued) is created now; the worker
 * streams the volume's bytes into it while the volume is `uploading`.
 */
export async function uploadToImage(
  ctx: VolumeCtx,
  caller: Caller,
  id: string,
  req: { image_name: string; force?: boolean; disk_format?: string; container_format?: string; visibility?: "public" | "private" | "shared" | "community"; protected?: boolean },
) {
  const v = findVolume(ctx, caller, id);
  const diskFormat = req.disk_format ?? "raw";
  if (!["raw", "qcow2"].includes(diskFormat)) throw badRequest(`Invalid input received: Invalid disk-format '${diskFormat}' specified; this cloud converts to raw or qcow2.`);
  const containerFormat = req.container_format ?? "bare";
  if (containerFormat !== "bare") throw badRequest(`Invalid input received: Invalid container-format '${containerFormat}' specified; only 'bare' is supported.`);
  const force = !!req.force;
  if (!(v.status === "available" || (v.status === "in-use" && force)))
    throw badRequest(`Invalid volume: Volume ${id} status must be available${force ? " or in-use" : ""}, but current status is: ${v.status}.`);
  const meta = jsonMap(v.image_metadata);
  const properties: Record<string, string> = {};
  for (const [k, x] of Object.entries(meta))
    if (!["image_id", "image_name", "checksum", "container_format", "disk_format", "min_disk", "min_ram", "size"].includes(k)) properties[k] = x;
  const image = await ctx.image.createImage(
    { projectId: v.project_id, isAdmin: caller.isAdmin },
    { name: req.image_name, diskFormat, containerFormat, visibility: req.visibility ?? "private", minDisk: v.size, minRam: Number(meta.min_ram ?? 0) || 0, properties },
  );
  const restore = v.status;
  const t = getTypeRow(ctx.db, v.type_id);
  try {
    ctx.db.tx(() => {
      const cur = getVolumeRow(ctx.db, id);
      if (!cur || cur.status !== restore) throw badRequest(`Invalid volume: Volume ${id} changed state (now ${cur?.status ?? "deleted"}).`);
      setVolume(ctx.db, id, ctx.now(), { status: "uploading" });
      ctx.bus.castDurable("volume.upload", { id, imageId: image.id, diskFormat, restore, caller: { projectId: v.project_id, isAdmin: caller.isAdmin } });
    });
  } catch (e) {
    await ctx.image.deleteImage({ projectId: v.project_id, isAdmin: caller.isAdmin }, image.id).catch(() => {});
    throw e;
  }
  const updated = getVolumeRow(ctx.db, id)!;
  return {
    id: v.id,
    updated_at: updated.updated_at,
    status: "uploading",
    display_description: v.description,
    size: v.size,
    volume_type: t ? { id: t.id, name: t.name, description: t.description, is_public: !!t.is_public, extra_specs: jsonMap(t.extra_specs), deleted: false, created_at: t.created_at, updated_at: t.updated_at, deleted_at: null, qos_specs_id: null } : null,
    image_id: image.id,
    container_format: containerFormat,
    disk_format: diskFormat,
    image_name: req.image_name,
    visibility: image.visibility,
    protected: !!req.protected,
    is_public: image.visibility === "public",
  };
}

/** os-reimage (3.68): rewrite the volume with an image's data (available, error, or reserved when asked). */
export async function reimage(ctx: VolumeCtx, caller: Caller, id: string, imageId: string, reimageReserved: boolean): Promise<void> {
  const v = findVolume(ctx, caller, id);
  const image = await ctx.image.getImage({ projectId: caller.projectId, isAdmin: caller.isAdmin }, imageId).catch(() => undefined);
  if (!image) throw notFound(`Image ${imageId} could not be found.`);
  if (image.status !== "active") throw badRequest(`Invalid image: Image ${imageId} is not active.`);
  const imgGb = Math.ceil(Math.max(image.size ?? 0, image.virtualSize ?? 0) / GiB);
  if (imgGb > v.size || image.minDisk > v.size)
    throw badRequest(`Invalid input received: Image ${imageId} needs ${Math.max(imgGb, image.minDisk)}GB, more than the volume's ${v.size}GB.`);
  ctx.db.tx(() => {
    const cur = findVolume(ctx, caller, id);
    const ok = ["available", "error"].includes(cur.status) || (reimageReserved && cur.status === "reserved");
    if (!ok) throw badRequest(`Invalid volume: Volume ${id} status must be available or error${reimageReserved ? " or reserved" : ""}, but is ${cur.status}.`);
    setVolume(ctx.db, id, ctx.now(), { status: "downloading", image_id: image.id, image_metadata: JSON.stringify(imageMetadataOf(image)), bootable: 1 });
    ctx.bus.castDurable("volume.reimage", { id, imageId: image.id, restore: cur.status === "reserved" ? "reserved" : "available", caller: { projectId: caller.projectId, isAdmin: caller.isAdmin } });
  });
}
