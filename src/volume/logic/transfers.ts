/**
 * Volume transfers: the owner offers an available volume (it waits in
 * `awaiting-transfer`), another project accepts it with the transfer's
 * id and auth key; the volume (and, unless no_snapshots, its snapshots) then
 * belong to the accepting project, inside its quota.
 */
import { createHash } from "node:crypto";
import { badRequest, notFound } from "../../core/errors.ts";
import { randomToken, uuid } from "../../core/ids.ts";
import type { Caller, VolumeCtx } from "../ctx.ts";
import { getTypeRow, getVolumeRow, setVolume } from "../store.ts";
import { checkQuota } from "./quotas.ts";
import { findVolume } from "./volumes.ts";

export interface TransferRow {
  id: string;
  volume_id: string;
  name: string | null;
  salt: string;
  crypt_hash: string;
  source_project_id: string;
  no_snapshots: number;
  created_at: string;
}

const hashOf = (salt: string, key: string) => createHash("sha256").update(`${salt}:${key}`).digest("hex");

export function findTransfer(ctx: VolumeCtx, caller: Caller, id: string): TransferRow {
  const t = ctx.db.get<TransferRow>("SELECT * FROM volume_transfers WHERE id = ?", id);
  if (!t || (!caller.isAdmin && t.source_project_id !== caller.projectId)) throw notFound(`Transfer ${id} could not be found.`);
  return t;
}

export function listTransfers(ctx: VolumeCtx, caller: Caller, allProjects: boolean): TransferRow[] {
  return caller.isAdmin && allProjects
    ? ctx.db.all<TransferRow>("SELECT * FROM volume_transfers ORDER BY created_at, rowid")
    : ctx.db.all<TransferRow>("SELECT * FROM volume_transfers WHERE source_project_id = ? ORDER BY created_at, rowid", caller.projectId);
}

export function createTransfer(ctx: VolumeCtx, caller: Caller, req: { volume_id: string; name?: string | null; no_snapshots?: boolean }): { row: TransferRow; authKey: string } {
  const id = uuid();
  const salt = randomToken(8);
  const authKey = randomToken(12).replace(/[-_]/g, "x").slice(0, 16);
  return ctx.db.tx(() => {
    const v = findVolume(ctx, caller, req.volume_id);
    if (v.status !== "available") throw badRequest(`Invalid volume: Status of volume ${v.id} must be available to transfer, but is ${v.status}.`);
    ctx.db.run(
      "INSERT INTO volume_transfers (id, volume_id, name, salt, crypt_hash, source_project_id, no_snapshots, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      id,
      v.id,
      req.name ?? null,
      salt,
      hashOf(salt, authKey),
      v.project_id,
      req.no_snapshots ? 1 : 0,
      ctx.now(),
    );
    setVolume(ctx.db, v.id, ctx.now(), { status: "awaiting-transfer" });
    return { row: ctx.db.get<TransferRow>("SELECT * FROM volume_transfers WHERE id = ?", id)!, authKey };
  });
}

export function deleteTransfer(ctx: VolumeCtx, caller: Caller, id: string): void {
  ctx.db.tx(() => {
    const t = findTransfer(ctx, caller, id);
    ctx.db.run("DELETE FROM volume_transfers WHERE id = ?", id);
    const v = getVolumeRow(ctx.db, t.volume_id);
    if (v?.status === "awaiting-transfer") setVolume(ctx.db, v.id, ctx.now(), { status: "available" });
  });
}

export function acceptTransfer(ctx: VolumeCtx, caller: Caller, id: string, authKey: string): TransferRow {
  return ctx.db.tx(() => {
    const t = ctx.db.get<TransferRow>("SELECT * FROM volume_transfers WHERE id = ?", id);
    if (!t) throw notFound(`Transfer ${id} could not be found.`);
    if (hashOf(t.salt, authKey) !== t.crypt_hash) throw badRequest(`Invalid auth key: Attempt to transfer ${id} with invalid auth key.`);
    const v = getVolumeRow(ctx.db, t.volume_id);
    if (!v || v.status !== "awaiting-transfer") throw badRequest(`Invalid volume: Volume ${t.volume_id} is not awaiting transfer.`);
    const snaps = t.no_snapshots
      ? []
      : ctx.db.all<{ id: string; size: number }>("SELECT id, size FROM volume_snapshots WHERE volume_id = ?", v.id);
    const type = getTypeRow(ctx.db, v.type_id);
    checkQuota(ctx.db, caller.projectId, type?.name ?? null, {
      volumes: 1,
      gigabytes: v.size + snaps.reduce((a, s) => a + s.size, 0),
      snapshots: snaps.length,
      perVolumeGb: v.size,
    });
    setVolume(ctx.db, v.id, ctx.now(), { status: "available", project_id: caller.projectId, user_id: caller.userId });
    if (snaps.length)
      ctx.db.run("UPDATE volume_snapshots SET project_id = ?, user_id = ?, updated_at = ? WHERE volume_id = ?", caller.projectId, caller.userId, ctx.now(), v.id);
    ctx.db.run("UPDATE volume_attachments SET project_id = ? WHERE volume_id = ?", caller.projectId, v.id);
    ctx.db.run("DELETE FROM volume_transfers WHERE id = ?", id);
    return t;
  });
}
