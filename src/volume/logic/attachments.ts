/**
 * Attaching volumes: the 3.27+ attachments API that Nova uses (create →
 * reserved, update with a connector → attaching + connection info, complete →
 * in-use, delete → available when it was the last one) and the older actions
 * (os-reserve, os-attach, os-begin_detaching, os-detach, …) Tempest still calls.
 */
import { badRequest, notFound } from "../../core/errors.ts";
import { uuid } from "../../core/ids.ts";
import type { Caller, VolumeCtx } from "../ctx.ts";
import { attachmentsOf, getAttachmentRow, getVolumeRow, setVolume, type AttachmentRow, type VolumeRow } from "../store.ts";
import { findVolume } from "./volumes.ts";

export interface ConnectionInfo {
  driver_volume_type: "file";
  data: { path: string; format: string; volume_id: string; access_mode: string; name: string; device_path: string };
}

export function connectionInfo(ctx: VolumeCtx, v: VolumeRow, mode: string): ConnectionInfo {
  const path = ctx.backend.volumePath(v.id);
  return {
    driver_volume_type: "file",
    data: { path, device_path: path, format: v.format, volume_id: v.id, access_mode: v.readonly ? "ro" : mode, name: `volume-${v.id}` },
  };
}

export function findAttachment(ctx: VolumeCtx, caller: Caller, id: string): AttachmentRow {
  const a = getAttachmentRow(ctx.db, id);
  if (!a || a.attach_status === "detached" || (!caller.isAdmin && a.project_id !== caller.projectId))
    throw notFound(`VolumeAttachment ${id} could not be found.`);
  return a;
}

function attachable(v: VolumeRow): boolean {
  if (v.status === "available") return true;
  // A multiattach volume takes more attachments while in use or reserved.
  return !!v.multiattach && ["in-use", "reserved", "attaching"].includes(v.status);
}

/** POST /attachments: reserve the volume for an instance; with a connector, it moves on to attaching. */
export function createAttachment(
  ctx: VolumeCtx,
  caller: Caller,
  req: { volumeId: string; instanceId?: string | null; connector?: Record<string, unknown> | null; mode?: string },
): AttachmentRow {
  const id = uuid();
  const now = ctx.now();
  const mode = req.mode ?? "rw";
  if (!["rw", "ro"].includes(mode)) throw badRequest(`Invalid input received: Invalid attach mode '${mode}'.`);
  return ctx.db.tx(() => {
    const v = findVolume(ctx, caller, req.volumeId);
    if (!attachable(v))
      throw badRequest(`Invalid volume: Volume ${v.id} status must be available or downloading to reserve, but the current status is ${v.status}.`);
    if (req.instanceId && attachmentsOf(ctx.db, v.id).some((a) => a.instance_id === req.instanceId))
      throw badRequest(`Invalid volume: Volume ${v.id} is already attached to instance ${req.instanceId}.`);
    const status = req.connector ? "attaching" : "reserved";
    ctx.db.run(
      `INSERT INTO volume_attachments (id, volume_id, project_id, instance_id, host, attach_status, attach_mode, connector, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      id,
      v.id,
      v.project_id,
      req.instanceId ?? null,
      (req.connector?.host as string | undefined) ?? null,
      status,
      mode,
      req.connector ? JSON.stringify(req.connector) : null,
      now,
      now,
    );
    if (v.status === "available") setVolume(ctx.db, v.id, now, { status: status === "attaching" ? "attaching" : "reserved", attach_status: "attaching" });
    return getAttachmentRow(ctx.db, id)!;
  });
}

/** PUT /attachments/{id} with a connector: returns the connection info; the volume is attaching. */
export function updateAttachment(ctx: VolumeCtx, caller: Caller, id: string, connector: Record<string, unknown>): { row: AttachmentRow; info: ConnectionInfo } {
  return ctx.db.tx(() => {
    const a = findAttachment(ctx, caller, id);
    const v = getVolumeRow(ctx.db, a.volume_id)!;
    const now = ctx.now();
    ctx.db.run(
      "UPDATE volume_attachments SET connector = ?, host = COALESCE(?, host), mountpoint = COALESCE(?, mountpoint), attach_status = CASE WHEN attach_status = 'attached' THEN 'attached' ELSE 'attaching' END, updated_at = ? WHERE id = ?",
      JSON.stringify(connector),
      (connector.host as string | undefined) ?? null,
      (connector.mountpoint as string | undefined) ?? null,
      now,
      id,
    );
    if (v.status === "reserved" || v.status === "available") setVolume(ctx.db, v.id, now, { status: "attaching" });
    return { row: getAttachmentRow(ctx.db, id)!, info: connectionInfo(ctx, v, a.attach_mode) };
  });
}

/** POST /attachments/{id}/action os-complete: the volume is in use. */
export function completeAttachment(ctx: VolumeCtx, caller: Caller, id: string, opts: { mountpoint?: string | null; host?: string | null } = {}): AttachmentRow {
  return ctx.db.tx(() => {
    const a = findAttachment(ctx, caller, id);
    const now = ctx.now();
    ctx.db.run(
      "UPDATE volume_attachments SET attach_status = 'attached', attached_at = COALESCE(attached_at, ?), mountpoint = COALESCE(?, mountpoint), host = COALESCE(?, host), updated_at = ? WHERE id = ?",
      now,
      opts.mountpoint ?? null,
      opts.host ?? null,
      now,
      id,
    );
    setVolume(ctx.db, a.volume_id, now, { status: "in-use", attach_status: "attached" });
    return getAttachmentRow(ctx.db, id)!;
  });
}

/** After an attachment goes: in-use while others remain, else available. */
function settle(ctx: VolumeCtx, volumeId: string, now: string): void {
  const rest = attachmentsOf(ctx.db, volumeId);
  const v = getVolumeRow(ctx.db, volumeId);
  if (!v) return;
  if (rest.some((r) => r.attach_status === "attached")) setVolume(ctx.db, volumeId, now, { status: "in-use", attach_status: "attached" });
  else if (rest.length) setVolume(ctx.db, volumeId, now, { status: "reserved", attach_status: "attaching" });
  else setVolume(ctx.db, volumeId, now, { status: v.status === "deleting" ? "deleting" : "available", attach_status: "detached" });
}

/** DELETE /attachments/{id}: detaching, then available when it was the last attachment. */
export function deleteAttachment(ctx: VolumeCtx, caller: Caller, id: string): void {
  ctx.db.tx(() => {
    const a = findAttachment(ctx, caller, id);
    const now = ctx.now();
    setVolume(ctx.db, a.volume_id, now, { status: "detaching" });
    ctx.db.run("UPDATE volume_attachments SET attach_status = 'detached', updated_at = ? WHERE id = ?", now, id);
    settle(ctx, a.volume_id, now);
  });
}

// ---- the older actions ---------------------------------------------------------------------------

export function reserve(ctx: VolumeCtx, caller: Caller, id: string): void {
  ctx.db.tx(() => {
    const v = findVolume(ctx, caller, id);
    if (!attachable(v)) throw badRequest(`Invalid volume: Volume ${id} status must be available to reserve, but the current status is ${v.status}.`);
    setVolume(ctx.db, id, ctx.now(), { status: "attaching" });
  });
}

export function unreserve(ctx: VolumeCtx, caller: Caller, id: string): void {
  ctx.db.tx(() => {
    const v = findVolume(ctx, caller, id);
    if (v.status !== "attaching" && v.status !== "reserved") return;
    settle(ctx, id, ctx.now());
  });
}

export function legacyAttach(
  ctx: VolumeCtx,
  caller: Caller,
  id: string,
  req: { instance_uuid?: string | null; host_name?: string | null; mountpoint: string; mode?: string },
): AttachmentRow {
  if (!req.instance_uuid && !req.host_name) throw badRequest("Invalid request to attach volume to an invalid target");
  const mode = req.mode ?? "rw";
  if (!["rw", "ro"].includes(mode)) throw badRequest("Invalid request to attach volume with an invalid mode. Attaching mode should be 'rw' or 'ro'");
  const aid = uuid();
  return ctx.db.tx(() => {
    const v = findVolume(ctx, caller, id);
    if (!(v.status === "attaching" || v.status === "reserved" || attachable(v)))
      throw badRequest(`Invalid volume: Volume ${id} status must be available or attaching, but the current status is ${v.status}.`);
    if (v.readonly && mode === "rw") throw badRequest("Invalid volume: The volume is read-only; attach it in 'ro' mode.");
    const now = ctx.now();
    ctx.db.run(
      `INSERT INTO volume_attachments (id, volume_id, project_id, instance_id, host, mountpoint, attach_status, attach_mode, attached_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, 'attached', ?, ?, ?, ?)`,
      aid,
      v.id,
      v.project_id,
      req.instance_uuid ?? null,
      req.host_name ?? null,
      req.mountpoint,
      mode,
      now,
      now,
      now,
    );
    setVolume(ctx.db, v.id, now, { status: "in-use", attach_status: "attached" });
    return getAttachmentRow(ctx.db, aid)!;
  });
}

export function beginDetaching(ctx: VolumeCtx, caller: Caller, id: string): void {
  ctx.db.tx(() => {
    const v = findVolume(ctx, caller, id);
    if (v.status !== "in-use") throw badRequest(`Invalid volume: Unable to detach volume. Volume status must be 'in-use' and attach_status must be 'attached' to detach (it is ${v.status}).`);
    setVolume(ctx.db, id, ctx.now(), { status: "detaching" });
  });
}

export function rollDetaching(ctx: VolumeCtx, caller: Caller, id: string): void {
  ctx.db.tx(() => {
    const v = findVolume(ctx, caller, id);
    if (v.status === "detaching") setVolume(ctx.db, id, ctx.now(), { status: "in-use" });
  });
}

/** os-detach / os-force_detach: one attachment (or the only one) goes. */
export function legacyDetach(ctx: VolumeCtx, caller: Caller, id: string, attachmentId?: string | null): void {
  ctx.db.tx(() => {
    const v = findVolume(ctx, caller, id);
    const atts = attachmentsOf(ctx.db, v.id);
    let target: AttachmentRow | undefined;
    if (attachmentId) target = atts.find((a) => a.id === attachmentId);
    else if (atts.length === 1) target = atts[0];
    else if (atts.length > 1) throw badRequest("Invalid volume: Volume has more than one attachment; give the attachment_id to detach.");
    if (!target) {
      if (attachmentId) throw notFound(`VolumeAttachment ${attachmentId} could not be found.`);
      // Nothing attached: Cinder accepts the detach (it is cast to the volume manager) and nothing changes.
      if (v.status === "detaching" || v.status === "in-use") settle(ctx, v.id, ctx.now());
      return;
    }
    const now = ctx.now();
    ctx.db.run("UPDATE volume_attachments SET attach_status = 'detached', updated_at = ? WHERE id = ?", now, target.id);
    settle(ctx, v.id, now);
  });
}

/** For views: attachments as Cinder shows them on a volume. */
export function volumeAttachments(ctx: VolumeCtx, v: VolumeRow) {
  return attachmentsOf(ctx.db, v.id).filter((a) => a.attach_status === "attached");
}

