/**
 * The typed interface of the block storage service (Cinder) for Compute:
 * volumes, their attachments (the 3.27+ attachments flow Nova uses) and boot
 * from volume. In one process it is a direct call. (Contract owned by
 * src/volume; Compute depends on it — extend, do not break.)
 */

export interface VolCaller {
  projectId: string;
  isAdmin: boolean;
  /** The acting user (recorded as the volume's user_id); the project id when absent. */
  userId?: string;
}

export interface VolumeRef {
  id: string;
  name: string | null;
  status: string;
  size: number;
  bootable: boolean;
  projectId: string;
  availabilityZone: string;
  multiattach: boolean;
  /** Image metadata copied from the source image (volume_image_metadata). */
  imageMetadata: Record<string, string>;
  attachments: { attachmentId: string; serverId: string; device: string | null; attachedAt: string | null }[];
}

/** What a hypervisor driver needs to plug the volume in: its backing file. */
export interface VolumeConnection {
  driverVolumeType: "file";
  path: string;
  format: "raw" | "qcow2";
}

export interface VolumeClient {
  getVolume(caller: VolCaller, id: string): Promise<VolumeRef | undefined>;
  /**
   * Create a volume (optionally from an image) and wait until it is available
   * (or throw with its fault when it ends in error) — boot from volume.
   */
  createVolume(
    caller: VolCaller,
    req: {
      size: number;
      name?: string;
      imageId?: string;
      snapshotId?: string;
      sourceVolId?: string;
      /** The instance's zone; like Nova with cross_az_attach = True, a zone Cinder lacks falls back to its default (nova). */
      availabilityZone?: string;
      volumeType?: string;
    },
  ): Promise<VolumeRef>;
  /**
   * Attachment create: available → reserved. Throws ApiError 400 (Cinder's
   * InvalidVolume, which Nova passes on as 400) when the volume is not attachable
   * (in use and not multiattach, or attached to that instance already); 404 when unknown.
   */
  reserveAttachment(caller: VolCaller, volumeId: string, instanceId: string): Promise<{ attachmentId: string }>;
  /** Attachment update + complete: reserved → in-use, returns what the driver plugs in. */
  completeAttachment(
    caller: VolCaller,
    attachmentId: string,
    opts: { host: string; mountpoint: string },
  ): Promise<VolumeConnection>;
  /** Attachment delete: in-use/reserved → available (detaching in between). */
  deleteAttachment(caller: VolCaller, attachmentId: string): Promise<void>;
  /** Delete a volume (delete_on_termination); waits until it is gone. */
  deleteVolume(caller: VolCaller, id: string): Promise<void>;
}

// ---- the implementation (in-process: direct calls into the service's logic) ----------------------

import { ApiError } from "../core/errors.ts";
import { DEFAULT_AZ, type VolumeCtx } from "./ctx.ts";
import * as att from "./logic/attachments.ts";
import * as vol from "./logic/volumes.ts";
import { attachmentsOf, getVolumeRow, jsonMap, type VolumeRow } from "./store.ts";

/** Waits for the worker to move volumes on (the worker calls `changed(id)`). */
export class VolumeWaiters {
  private waiters = new Map<string, Set<() => void>>();
  changed(id: string): void {
    const set = this.waiters.get(id);
    if (!set) return;
    this.waiters.delete(id);
    for (const fn of set) fn();
  }
  /** Resolves at the next change of `id`, or after `ms` (a safety net: callers re-check the row). */
  next(id: string, ms = 1000): Promise<void> {
    return new Promise((resolve) => {
      let set = this.waiters.get(id);
      if (!set) this.waiters.set(id, (set = new Set()));
      const done = () => {
        clearTimeout(timer);
        set!.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      set.add(done);
    });
  }
}

function toRef(ctx: VolumeCtx, v: VolumeRow): VolumeRef {
  return {
    id: v.id,
    name: v.name,
    status: v.status,
    size: v.size,
    bootable: !!v.bootable,
    projectId: v.project_id,
    availabilityZone: v.availability_zone,
    multiattach: !!v.multiattach,
    imageMetadata: jsonMap(v.image_metadata),
    attachments: attachmentsOf(ctx.db, v.id)
      .filter((a) => a.attach_status === "attached")
      .map((a) => ({ attachmentId: a.id, serverId: a.instance_id ?? "", device: a.mountpoint, attachedAt: a.attached_at })),
  };
}

const internal = (c: VolCaller) => ({ projectId: c.projectId, userId: c.userId ?? c.projectId, isAdmin: c.isAdmin });

export function volumeClient(ctx: VolumeCtx, waiters: VolumeWaiters, opts: { timeoutMs?: number } = {}): VolumeClient {
  const timeoutMs = opts.timeoutMs ?? 10 * 60_000;
  return {
    async getVolume(caller, id) {
      const v = getVolumeRow(ctx.db, id);
      if (!v || (!caller.isAdmin && v.project_id !== caller.projectId)) return undefined;
      return toRef(ctx, v);
    },

    async createVolume(caller, req) {
      const created = await vol.createVolume(ctx, internal(caller), {
        size: req.size,
        // Nova names the volumes it makes "" (not null), as Cinder then shows them.
        name: req.name ?? "",
        imageRef: req.imageId,
        snapshot_id: req.snapshotId,
        source_volid: req.sourceVolId,
        // Nova's default (cross_az_attach = True) does not pin a volume to the instance's zone:
        // a compute zone that is not a volume zone gets the volume default zone.
        availability_zone: req.availabilityZone === DEFAULT_AZ ? DEFAULT_AZ : undefined,
        volume_type: req.volumeType,
      });
      const end = Date.now() + timeoutMs;
      for (;;) {
        const v = getVolumeRow(ctx.db, created.id);
        if (!v) throw new ApiError(404, `Volume ${created.id} was deleted while it was being created.`);
        if (v.status === "available") return toRef(ctx, v);
        if (v.status === "error") throw new ApiError(500, `Volume ${v.id} failed to build: ${v.fault ?? "unknown error"}`);
        if (Date.now() > end) throw new ApiError(500, `Volume ${v.id} did not become available in time (status ${v.status}).`);
        await waiters.next(v.id);
      }
    },

    async reserveAttachment(caller, volumeId, instanceId) {
      const a = att.createAttachment(ctx, internal(caller), { volumeId, instanceId });
      return { attachmentId: a.id };
    },

    async completeAttachment(caller, attachmentId, o) {
      const cl = internal(caller);
      const { info } = att.updateAttachment(ctx, cl, attachmentId, { host: o.host, mountpoint: o.mountpoint });
      att.completeAttachment(ctx, cl, attachmentId, { host: o.host, mountpoint: o.mountpoint });
      return { driverVolumeType: "file", path: info.data.path, format: info.data.format as "raw" | "qcow2" };
    },

    async deleteAttachment(caller, attachmentId) {
      att.deleteAttachment(ctx, internal(caller), attachmentId);
    },

    async deleteVolume(caller, id) {
      vol.deleteVolume(ctx, internal(caller), id);
      const end = Date.now() + timeoutMs;
      for (;;) {
        const v = getVolumeRow(ctx.db, id);
        if (!v) return;
        if (v.status === "error_deleting") throw new ApiError(500, `Volume ${id} failed to delete: ${v.fault ?? "unknown error"}`);
        if (Date.now() > end) throw new ApiError(500, `Volume ${id} was not deleted in time (status ${v.status}).`);
        await waiters.next(id);
      }
    },
  };
}
