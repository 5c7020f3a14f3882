/** Snapshots: a point-in-time copy of a volume; quota'd by count and gigabytes. */
import { badRequest, forbidden, notFound } from "../../core/errors.ts";
import { uuid } from "../../core/ids.ts";
import type { Caller, VolumeCtx } from "../ctx.ts";
import { getSnapshotRow, getTypeRow, jsonMap, setSnapshot, type SnapshotRow } from "../store.ts";
import { checkQuota } from "./quotas.ts";
import { findSnapshot, findVolume } from "./volumes.ts";

export function createSnapshot(
  ctx: VolumeCtx,
  caller: Caller,
  req: { volume_id: string; name?: string | null; description?: string | null; force?: boolean; metadata?: Record<string, string> | null },
  /** 3.66+: in-use volumes are snapshotted without `force`; `force: false` is refused. */
  inUseAllowed: boolean,
): SnapshotRow {
  const id = uuid();
  const now = ctx.now();
  return ctx.db.tx(() => {
    const v = findVolume(ctx, caller, req.volume_id);
    const force = inUseAllowed ? true : !!req.force;
    if (v.status === "in-use" && !force)
      throw badRequest(`Invalid volume: Volume ${v.id} status must be available, but current status is: in-use. Use force to snapshot an attached volume.`);
    if (!(v.status === "available" || (v.status === "in-use" && force)))
      throw badRequest(`Invalid volume: Volume ${v.id} status must be available or in-use, but current status is: ${v.status}.`);
    const t = getTypeRow(ctx.db, v.type_id);
    checkQuota(ctx.db, v.project_id, t?.name ?? null, { snapshots: 1, gigabytes: v.size });
    ctx.db.run(
      `INSERT INTO volume_snapshots (id, project_id, user_id, volume_id, name, description, size, status, progress, metadata, type_id, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'creating', '0%', ?, ?, ?, ?)`,
      id,
      v.project_id,
      caller.userId,
      v.id,
      req.name ?? null,
      req.description ?? null,
      v.size,
      JSON.stringify(req.metadata ?? {}),
      v.type_id,
      now,
      now,
    );
    ctx.bus.castDurable("volume.snapshot.create", { id });
    return getSnapshotRow(ctx.db, id)!;
  });
}

export function updateSnapshot(ctx: VolumeCtx, caller: Caller, id: string, req: { name?: string | null; description?: string | null; display_name?: string | null; display_description?: string | null }): SnapshotRow {
  return ctx.db.tx(() => {
    const s = findSnapshot(ctx, caller, id);
    const fields: Partial<SnapshotRow> = {};
    const name = req.name !== undefined ? req.name : req.display_name;
    const description = req.description !== undefined ? req.description : req.display_description;
    if (name !== undefined) fields.name = name;
    if (description !== undefined) fields.description = description;
    setSnapshot(ctx.db, s.id, ctx.now(), fields);
    return getSnapshotRow(ctx.db, id)!;
  });
}

export function deleteSnapshot(ctx: VolumeCtx, caller: Caller, id: string, force = false): void {
  ctx.db.tx(() => {
    const s = findSnapshot(ctx, caller, id);
    if (force && !caller.isAdmin) throw forbidden();
    if (s.status === "deleting" && !force) return;
    if (!force && !["available", "error", "error_deleting"].includes(s.status))
      throw badRequest(`Invalid snapshot: Snapshot ${id} status must be available or error, but is ${s.status}.`);
    setSnapshot(ctx.db, id, ctx.now(), { status: "deleting" });
    ctx.bus.castDurable("volume.snapshot.delete", { id });
  });
}

export function resetSnapshotStatus(ctx: VolumeCtx, caller: Caller, id: string, status: string): void {
  const VALID = ["available", "error", "creating", "deleting", "error_deleting", "restoring", "unmanaging", "backing-up"];
  if (!VALID.includes(status)) throw badRequest(`Invalid input received: Invalid status '${status}'.`);
  ctx.db.tx(() => {
    const s = findSnapshot(ctx, caller, id);
    setSnapshot(ctx.db, s.id, ctx.now(), { status });
  });
}

/** os-update_snapshot_status: what a volume driver reports (creating → available/error, progress). */
export function updateSnapshotStatus(ctx: VolumeCtx, caller: Caller, id: string, status: string, progress?: string): void {
  ctx.db.tx(() => {
    const s = findSnapshot(ctx, caller, id);
    const allowed: Record<string, string[]> = { creating: ["creating", "available", "error"], deleting: ["deleting", "error_deleting"] };
    if (!(allowed[s.status] ?? []).includes(status))
      throw badRequest(`Invalid input received: Provided snapshot status ${status} is not allowed for snapshot with status ${s.status}.`);
    setSnapshot(ctx.db, s.id, ctx.now(), { status, ...(progress !== undefined ? { progress } : {}) });
  });
}

export function setSnapshotMetadata(ctx: VolumeCtx, caller: Caller, id: string, meta: Record<string, string>, replace: boolean): Record<string, string> {
  return ctx.db.tx(() => {
    const s = findSnapshot(ctx, caller, id);
    const next = replace ? { ...meta } : { ...jsonMap(s.metadata), ...meta };
    setSnapshot(ctx.db, s.id, ctx.now(), { metadata: JSON.stringify(next) });
    return next;
  });
}

export function deleteSnapshotMetadataKey(ctx: VolumeCtx, caller: Caller, id: string, key: string): void {
  ctx.db.tx(() => {
    const s = findSnapshot(ctx, caller, id);
    const m = jsonMap(s.metadata);
    if (!(key in m)) throw notFound(`Snapshot ${id} has no metadata with key ${key}.`);
    delete m[key];
    setSnapshot(ctx.db, s.id, ctx.now(), { metadata: JSON.stringify(m) });
  });
}

