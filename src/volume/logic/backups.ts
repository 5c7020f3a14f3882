/**
 * Backups ("cinder-backup" in-process): a full copy of a volume (or of one of
 * its snapshots) under `<data>/volumes/backups/`, restorable into the same or
 * another volume, or into a new one. "Incremental" backups are accepted as
 * Cinder accepts them (they need a full backup first and mark it as having
 * dependents) but are stored whole.
 */
import { badRequest, forbidden, notFound } from "../../core/errors.ts";
import { uuid } from "../../core/ids.ts";
import type { Caller, VolumeCtx } from "../ctx.ts";
import { getVolumeRow, jsonMap, setVolume } from "../store.ts";
import { checkBackupQuota, checkQuota } from "./quotas.ts";
import { defaultType } from "./types.ts";
import { findSnapshot, findVolume } from "./volumes.ts";

export interface BackupRow {
  id: string;
  project_id: string;
  user_id: string;
  volume_id: string;
  snapshot_id: string | null;
  parent_id: string | null;
  name: string | null;
  description: string | null;
  status: string;
  size: number;
  availability_zone: string;
  container: string | null;
  is_incremental: number;
  fail_reason: string | null;
  metadata: string;
  /** What a restore puts back on the volume: its metadata, image metadata and bootable flag (JSON). */
  volume_meta: string;
  format: string;
  restore_volume_id: string | null;
  data_timestamp: string;
  created_at: string;
  updated_at: string | null;
}

export const getBackupRow = (ctx: VolumeCtx, id: string) => ctx.db.get<BackupRow>("SELECT * FROM volume_backups WHERE id = ?", id);

export function findBackup(ctx: VolumeCtx, caller: Caller, id: string): BackupRow {
  const b = getBackupRow(ctx, id);
  if (!b || (!caller.isAdmin && b.project_id !== caller.projectId)) throw notFound(`Backup ${id} could not be found.`);
  return b;
}

export function hasDependents(ctx: VolumeCtx, id: string): boolean {
  return !!ctx.db.get("SELECT 1 AS x FROM volume_backups WHERE parent_id = ? LIMIT 1", id);
}

export const setBackup = (ctx: VolumeCtx, id: string, fields: Partial<BackupRow>) => {
  const keys = Object.keys(fields) as (keyof BackupRow)[];
  ctx.db.run(
    `UPDATE volume_backups SET ${[...keys.map((k) => `${k} = ?`), "updated_at = ?"].join(", ")} WHERE id = ?`,
    ...keys.map((k) => fields[k] as any),
    ctx.now(),
    id,
  );
};

export function createBackup(
  ctx: VolumeCtx,
  caller: Caller,
  req: { volume_id: string; name?: string | null; description?: string | null; container?: string | null; incremental?: boolean; force?: boolean; snapshot_id?: string | null; metadata?: Record<string, string> | null },
): BackupRow {
  const id = uuid();
  const now = ctx.now();
  return ctx.db.tx(() => {
    const v = findVolume(ctx, caller, req.volume_id);
    let snapTs: string | undefined;
    if (req.snapshot_id) {
      const s = findSnapshot(ctx, caller, req.snapshot_id);
      if (s.volume_id !== v.id) throw badRequest(`Invalid snapshot: Snapshot ${s.id} is not a snapshot of volume ${v.id}.`);
      if (s.status !== "available") throw badRequest(`Invalid snapshot: Snapshot ${s.id} status must be available, but is ${s.status}.`);
      snapTs = s.created_at;
    } else if (!(v.status === "available" || (v.status === "in-use" && req.force))) {
      throw badRequest(`Invalid volume: Volume to be backed up must be available or in-use with force, but the current status is "${v.status}".`);
    }
    let parent: string | null = null;
    if (req.incremental) {
      const p = ctx.db.get<{ id: string }>(
        "SELECT id FROM volume_backups WHERE volume_id = ? AND status = 'available' ORDER BY data_timestamp DESC, rowid DESC LIMIT 1",
        v.id,
      );
      if (!p) throw badRequest("Invalid backup: No backups available to do an incremental backup.");
      parent = p.id;
    }
    checkBackupQuota(ctx.db, v.project_id, v.size);
    ctx.db.run(
      `INSERT INTO volume_backups (id, project_id, user_id, volume_id, snapshot_id, parent_id, name, description, status, size,
         availability_zone, container, is_incremental, metadata, volume_meta, format, data_timestamp, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'creating', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      id,
      v.project_id,
      caller.userId,
      v.id,
      req.snapshot_id ?? null,
      parent,
      req.name ?? null,
      req.description ?? null,
      v.size,
      v.availability_zone,
      req.container ?? "volumebackups",
      req.incremental ? 1 : 0,
      JSON.stringify(req.metadata ?? {}),
      JSON.stringify({ metadata: jsonMap(v.metadata), image_metadata: jsonMap(v.image_metadata), bootable: !!v.bootable }),
      v.format,
      snapTs ?? now,
      now,
      now,
    );
    if (!req.snapshot_id) setVolume(ctx.db, v.id, now, { status: "backing-up" });
    ctx.bus.castDurable("volume.backup.create", { id, restore: v.status });
    return getBackupRow(ctx, id)!;
  });
}

export function deleteBackup(ctx: VolumeCtx, caller: Caller, id: string, force = false): void {
  ctx.db.tx(() => {
    const b = findBackup(ctx, caller, id);
    if (force && !caller.isAdmin) throw forbidden();
    if (!force && !["available", "error"].includes(b.status))
      throw badRequest(`Invalid backup: Backup status must be available or error, but is ${b.status}.`);
    if (hasDependents(ctx, id)) throw badRequest("Invalid backup: Incremental backups exist for this backup.");
    setBackup(ctx, id, { status: "deleting" });
    ctx.bus.castDurable("volume.backup.delete", { id });
  });
}

/** Restore into `volumeId`, or into a new volume of the backup's size. Returns the target volume. */
export function restoreBackup(ctx: VolumeCtx, caller: Caller, id: string, req: { volume_id?: string | null; name?: string | null }) {
  return ctx.db.tx(() => {
    const b = findBackup(ctx, caller, id);
    if (b.status !== "available") throw badRequest(`Invalid backup: Backup status must be available, but is ${b.status}.`);
    let volumeId = req.volume_id ?? null;
    let name: string;
    const now = ctx.now();
    if (volumeId) {
      const v = findVolume(ctx, caller, volumeId);
      if (v.status !== "available") throw badRequest(`Invalid volume: Volume to be restored to must be available, but is ${v.status}.`);
      if (v.size < b.size) throw badRequest(`Invalid volume: volume size ${v.size} is too small to restore backup of size ${b.size}.`);
      setVolume(ctx.db, v.id, now, { status: "restoring-backup" });
      name = v.name ?? "";
    } else {
      const type = defaultType(ctx, caller.projectId);
      checkQuota(ctx.db, caller.projectId, type.name, { volumes: 1, gigabytes: b.size, perVolumeGb: b.size });
      volumeId = uuid();
      name = req.name ?? `restore_backup_${b.id}`;
      const src = getVolumeRow(ctx.db, b.volume_id);
      ctx.db.run(
        `INSERT INTO volume_volumes (id, project_id, user_id, name, description, size, status, availability_zone, type_id, bootable,
           image_metadata, format, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, 'restoring-backup', ?, ?, ?, ?, ?, ?, ?)`,
        volumeId,
        caller.projectId,
        caller.userId,
        name,
        null,
        b.size,
        b.availability_zone,
        type.id,
        src?.bootable ?? 0,
        src?.image_metadata ?? "{}",
        ctx.backend.format,
        now,
        now,
      );
    }
    setBackup(ctx, b.id, { status: "restoring", restore_volume_id: volumeId });
    ctx.bus.castDurable("volume.backup.restore", { id: b.id, volumeId });
    return { backup_id: b.id, volume_id: volumeId, volume_name: name };
  });
}

export function resetBackupStatus(ctx: VolumeCtx, caller: Caller, id: string, status: string): void {
  if (!["available", "error"].includes(status)) throw badRequest(`Invalid input received: Invalid backup status '${status}'.`);
  ctx.db.tx(() => {
    findBackup(ctx, caller, id);
    setBackup(ctx, id, { status });
  });
}

export function updateBackup(ctx: VolumeCtx, caller: Caller, id: string, req: { name?: string | null; description?: string | null; metadata?: Record<string, string> | null }): BackupRow {
  return ctx.db.tx(() => {
    const b = findBackup(ctx, caller, id);
    const fields: Partial<BackupRow> = {};
    if (req.name !== undefined) fields.name = req.name;
    if (req.description !== undefined) fields.description = req.description;
    if (req.metadata !== undefined) fields.metadata = JSON.stringify({ ...jsonMap(b.metadata), ...(req.metadata ?? {}) });
    setBackup(ctx, id, fields);
    return getBackupRow(ctx, id)!;
  });
}

