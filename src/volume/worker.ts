/**
 * cinder-volume in-process: the consumers of the volume.* bus topics. Each
 * does the file work, then moves the status on in one UPDATE that checks the
 * row is still in the state the API left it in (a volume deleted meanwhile is
 * cleaned up, not resurrected). Failures end in `error` with a logged reason.
 * The topics are durable casts: a restart re-runs what was left unfinished.
 */
import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import type { VolumeCtx } from "./ctx.ts";
import type { CreateVolumeMsg } from "./logic/volumes.ts";
import { getSnapshotRow, getTypeRow, getVolumeRow, jsonMap, setSnapshot, setVolume } from "./store.ts";
import { noValidBackend } from "./logic/scheduler.ts";
import { recordMessage } from "./logic/messages.ts";
import { getBackupRow } from "./logic/backups.ts";

export interface UploadMsg {
  id: string;
  imageId: string;
  diskFormat: string;
  restore: string;
  caller: { projectId: string; isAdmin: boolean };
}

/** Listeners for tests and the client: called after a volume's status changes in the worker. */
export type StatusListener = (volumeId: string) => void;

export function startWorker(ctx: VolumeCtx, onChange: StatusListener): void {
  const { db, bus, backend, log } = ctx;
  const fail = (id: string, what: string, e: unknown) => {
    const msg = (e as Error)?.message ?? String(e);
    log.error(`volume ${id}: ${what} failed: ${msg}`);
    return msg;
  };

  bus.consume<CreateVolumeMsg, void>("volume.create", async ({ id, caller, requestId }) => {
    const v = getVolumeRow(db, id);
    if (!v || v.status !== "creating") return;
    let format: "raw" | "qcow2";
    try {
      const t = getTypeRow(db, v.type_id);
      const why = noValidBackend(db, jsonMap(t?.extra_specs));
      if (why) throw new Error(why);
      if (v.snapshot_id) {
        const s = getSnapshotRow(db, v.snapshot_id);
        const src = s && getVolumeRow(db, s.volume_id);
        if (!s) throw new Error(`snapshot ${v.snapshot_id} is gone`);
        format = await backend.createFromFile(id, backend.snapshotPath(s.id), src?.format ?? backend.format, v.size);
      } else if (v.source_volid) {
        const src = getVolumeRow(db, v.source_volid);
        if (!src) throw new Error(`source volume ${v.source_volid} is gone`);
        format = await backend.createFromFile(id, backend.volumePath(src.id), src.format, v.size);
      } else if (v.image_id) {
        const { image, body } = await ctx.image.openData(caller, v.image_id);
        format = await backend.createFromStream(id, body, image.diskFormat, v.size);
      } else {
        format = await backend.createBlank(id, v.size);
      }
    } catch (e) {
      const msg = fail(id, "create", e);
      db.run("UPDATE volume_volumes SET status = 'error', fault = ?, updated_at = ? WHERE id = ? AND status = 'creating'", msg, ctx.now(), id);
      const noBackend = msg.startsWith("No valid backend");
      recordMessage(ctx, {
        projectId: v.project_id,
        requestId,
        resourceUuid: id,
        eventId: noBackend ? "VOLUME_VOLUME_001_002" : "VOLUME_VOLUME_001_003",
        userMessage: noBackend
          ? "schedule allocate volume: Could not find any available weighted backend."
          : `create volume: ${msg}`,
      });
      onChange(id);
      return;
    }
    const r = db.run(
      "UPDATE volume_volumes SET status = 'available', format = ?, updated_at = ? WHERE id = ? AND status = 'creating'",
      format,
      ctx.now(),
      id,
    );
    if (!r.changes && !getVolumeRow(db, id)) backend.deleteVolume(id);
    onChange(id);
  });

  bus.consume<{ id: string }, void>("volume.delete", async ({ id }) => {
    const v = getVolumeRow(db, id);
    if (!v) return;
    try {
      for (const s of db.all<{ id: string }>("SELECT id FROM volume_snapshots WHERE volume_id = ? AND status = 'deleting'", id))
        backend.deleteSnapshot(s.id);
      backend.deleteVolume(id);
      db.tx(() => {
        db.run("DELETE FROM volume_snapshots WHERE volume_id = ? AND status = 'deleting'", id);
        db.run("DELETE FROM volume_volumes WHERE id = ?", id);
      });
      log.info(`volume ${id} deleted`);
    } catch (e) {
      const msg = fail(id, "delete", e);
      db.run("UPDATE volume_volumes SET status = 'error_deleting', fault = ?, updated_at = ? WHERE id = ?", msg, ctx.now(), id);
    }
    onChange(id);
  });

  bus.consume<{ id: string; newSize: number; restore: string }, void>("volume.extend", async ({ id, newSize, restore }) => {
    const v = getVolumeRow(db, id);
    if (!v || v.status !== "extending") return;
    try {
      await backend.extend(id, v.format, newSize);
      db.run("UPDATE volume_volumes SET size = ?, status = ?, updated_at = ? WHERE id = ? AND status = 'extending'", newSize, restore, ctx.now(), id);
    } catch (e) {
      const msg = fail(id, "extend", e);
      db.run("UPDATE volume_volumes SET status = 'error_extending', fault = ?, updated_at = ? WHERE id = ?", msg, ctx.now(), id);
    }
    onChange(id);
  });

  bus.consume<{ id: string; snapshotId: string }, void>("volume.revert", async ({ id, snapshotId }) => {
    const v = getVolumeRow(db, id);
    if (!v) return;
    try {
      await backend.createFromFile(id, backend.snapshotPath(snapshotId), v.format, v.size);
      setVolume(db, id, ctx.now(), { status: "available" });
    } catch (e) {
      fail(id, "revert", e);
      setVolume(db, id, ctx.now(), { status: "error" });
    }
    if (getSnapshotRow(db, snapshotId)) setSnapshot(db, snapshotId, ctx.now(), { status: "available" });
    onChange(id);
  });

  bus.consume<{ id: string; imageId: string; restore: string; caller: { projectId: string; isAdmin: boolean } }, void>(
    "volume.reimage",
    async ({ id, imageId, restore, caller }) => {
      const v = getVolumeRow(db, id);
      if (!v || v.status !== "downloading") return;
      try {
        const { image, body } = await ctx.image.openData(caller, imageId);
        const format = await backend.createFromStream(id, body, image.diskFormat, v.size);
        db.run("UPDATE volume_volumes SET status = ?, format = ?, updated_at = ? WHERE id = ? AND status = 'downloading'", restore, format, ctx.now(), id);
      } catch (e) {
        const msg = fail(id, `reimage from ${imageId}`, e);
        db.run("UPDATE volume_volumes SET status = 'error', fault = ?, updated_at = ? WHERE id = ?", msg, ctx.now(), id);
      }
      onChange(id);
    },
  );

  bus.consume<{ id: string }, void>("volume.snapshot.create", async ({ id }) => {
    const s = getSnapshotRow(db, id);
    if (!s || s.status !== "creating") return;
    const v = getVolumeRow(db, s.volume_id);
    try {
      if (!v) throw new Error(`volume ${s.volume_id} is gone`);
      await backend.snapshot(v.id, id, v.format);
      db.run("UPDATE volume_snapshots SET status = 'available', progress = '100%', updated_at = ? WHERE id = ? AND status = 'creating'", ctx.now(), id);
    } catch (e) {
      fail(s.volume_id, `snapshot ${id}`, e);
      db.run("UPDATE volume_snapshots SET status = 'error', updated_at = ? WHERE id = ? AND status = 'creating'", ctx.now(), id);
    }
    if (!getSnapshotRow(db, id)) backend.deleteSnapshot(id);
    onChange(id);
  });

  bus.consume<{ id: string }, void>("volume.snapshot.delete", async ({ id }) => {
    const s = getSnapshotRow(db, id);
    if (!s) return;
    try {
      backend.deleteSnapshot(id);
      db.run("DELETE FROM volume_snapshots WHERE id = ?", id);
    } catch (e) {
      fail(s.volume_id, `snapshot ${id} delete`, e);
      setSnapshot(db, id, ctx.now(), { status: "error_deleting" });
    }
    onChange(id);
  });

  // ---- backups ----
  bus.consume<{ id: string; restore: string }, void>("volume.backup.create", async ({ id, restore }) => {
    const b = getBackupRow(ctx, id);
    if (!b || b.status !== "creating") return;
    const v = getVolumeRow(db, b.volume_id);
    try {
      if (!v) throw new Error(`volume ${b.volume_id} is gone`);
      const src = b.snapshot_id ? backend.snapshotPath(b.snapshot_id) : backend.volumePath(v.id);
      await backend.backup(src, v.format, id);
      db.run("UPDATE volume_backups SET status = 'available', format = ?, updated_at = ? WHERE id = ? AND status = 'creating'", v.format, ctx.now(), id);
    } catch (e) {
      const msg = fail(b.volume_id, `backup ${id}`, e);
      db.run("UPDATE volume_backups SET status = 'error', fail_reason = ?, updated_at = ? WHERE id = ?", msg, ctx.now(), id);
    }
    if (!b.snapshot_id) db.run("UPDATE volume_volumes SET status = ?, updated_at = ? WHERE id = ? AND status = 'backing-up'", restore, ctx.now(), b.volume_id);
    onChange(b.volume_id);
  });

  bus.consume<{ id: string }, void>("volume.backup.delete", async ({ id }) => {
    const b = getBackupRow(ctx, id);
    if (!b) return;
    try {
      backend.deleteBackup(id);
      db.run("DELETE FROM volume_backups WHERE id = ?", id);
    } catch (e) {
      const msg = fail(b.volume_id, `backup ${id} delete`, e);
      db.run("UPDATE volume_backups SET status = 'error_deleting', fail_reason = ?, updated_at = ? WHERE id = ?", msg, ctx.now(), id);
    }
  });

  bus.consume<{ id: string; volumeId: string }, void>("volume.backup.restore", async ({ id, volumeId }) => {
    const b = getBackupRow(ctx, id);
    const v = getVolumeRow(db, volumeId);
    if (!b || !v) return;
    try {
      const format = await backend.createFromFile(volumeId, backend.backupPath(id), b.format as "raw" | "qcow2", v.size);
      // Cinder puts the source volume's metadata back on the restored volume.
      const meta = JSON.parse(b.volume_meta || "{}") as { metadata?: Record<string, string>; image_metadata?: Record<string, string>; bootable?: boolean };
      const cur = getVolumeRow(db, volumeId)!;
      db.run(
        "UPDATE volume_volumes SET status = 'available', format = ?, metadata = ?, image_metadata = ?, bootable = ?, updated_at = ? WHERE id = ? AND status = 'restoring-backup'",
        format,
        JSON.stringify({ ...jsonMap(cur.metadata), ...(meta.metadata ?? {}) }),
        JSON.stringify({ ...jsonMap(cur.image_metadata), ...(meta.image_metadata ?? {}) }),
        meta.bootable ? 1 : cur.bootable,
        ctx.now(),
        volumeId,
      );
    } catch (e) {
      const msg = fail(volumeId, `restore of backup ${id}`, e);
      db.run("UPDATE volume_volumes SET status = 'error_restoring', fault = ?, updated_at = ? WHERE id = ?", msg, ctx.now(), volumeId);
    }
    db.run("UPDATE volume_backups SET status = 'available', updated_at = ? WHERE id = ? AND status = 'restoring'", ctx.now(), id);
    onChange(volumeId);
  });

  bus.consume<UploadMsg, void>("volume.upload", async ({ id, imageId, diskFormat, restore, caller }) => {
    const v = getVolumeRow(db, id);
    if (!v) return;
    let exported: { path: string; size: number; done: () => void } | undefined;
    try {
      exported = await backend.exportAs(id, v.format, diskFormat);
      const stream = Readable.toWeb(createReadStream(exported.path)) as unknown as ReadableStream<Uint8Array>;
      await ctx.image.uploadData(caller, imageId, stream);
      log.info(`volume ${id} uploaded to image ${imageId}`);
    } catch (e) {
      fail(id, `upload to image ${imageId}`, e);
      await ctx.image.deleteImage(caller, imageId).catch(() => {});
    } finally {
      exported?.done();
    }
    db.run("UPDATE volume_volumes SET status = ?, updated_at = ? WHERE id = ? AND status = 'uploading'", restore, ctx.now(), id);
    onChange(id);
  });
}
