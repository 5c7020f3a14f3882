/**
 * The typed interface of the block storage service (Cinder) for Compute:
 * volumes, their attachments (the 3.27+ attachments flow Nova uses) and boot
 * from volume. In one process it is a direct call. (Contract owned by
 * src/volume; Compute depends on it — extend, do not break.)
 */

export interface VolCaller {
  projectId: string;
  isAdmin: boolean;
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
    req: { size: number; name?: string; imageId?: string; snapshotId?: string; sourceVolId?: string; availabilityZone?: string; volumeType?: string },
  ): Promise<VolumeRef>;
  /** Attachment create: available → reserved (409 when not attachable). */
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
