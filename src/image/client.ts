/**
 * The typed interface of the image service (Glance) for the other services:
 * Compute boots from images and stores snapshots as images; Block Storage
 * makes volumes from images and images from volumes. In one process it is a
 * direct call, never an HTTP round trip. (Contract owned by src/image; other
 * services depend on it — extend, do not break.)
 */

/** Who is asking: visibility rules are Glance's (private, shared+accepted, public, community). */
export interface ImageCaller {
  projectId: string;
  isAdmin: boolean;
}

export interface ImageRef {
  id: string;
  name: string | null;
  status: "queued" | "saving" | "uploading" | "importing" | "active" | "deactivated" | "killed" | "deleted" | "pending_delete";
  diskFormat: string | null;
  containerFormat: string | null;
  visibility: "public" | "private" | "shared" | "community";
  owner: string | null;
  size: number | null;
  virtualSize: number | null;
  checksum: string | null;
  minDisk: number;
  minRam: number;
  protected: boolean;
  /** Additional properties (kernel_id, hw_*, os_distro, image_type, instance_uuid, ...). */
  properties: Record<string, string>;
  tags: string[];
  createdAt: string;
  updatedAt: string;
}

export interface NewImage {
  name: string;
  diskFormat?: string;
  containerFormat?: string;
  visibility?: ImageRef["visibility"];
  minDisk?: number;
  minRam?: number;
  properties?: Record<string, string>;
}

export interface ImageClient {
  /** The image if the caller may see it (undefined otherwise: treat as not found). */
  getImage(caller: ImageCaller, id: string): Promise<ImageRef | undefined>;
  /** The image's bytes (it must be active). `body` streams from the object store. */
  openData(caller: ImageCaller, id: string): Promise<{ image: ImageRef; size: number; body: ReadableStream<Uint8Array> }>;
  /**
   * Create an image owned by `caller.projectId`, then (when `data` is given) stream
   * the data in and make it active — how Compute stores a server snapshot and Block
   * Storage a volume upload. Without `data` the image stays queued (a snapshot in progress).
   */
  createImage(caller: ImageCaller, image: NewImage, data?: ReadableStream<Uint8Array>): Promise<ImageRef>;
  /** Stream data into a queued image (queued → saving → active). */
  uploadData(caller: ImageCaller, id: string, data: ReadableStream<Uint8Array>): Promise<ImageRef>;
  /** Delete an image (used to clean up a failed snapshot). */
  deleteImage(caller: ImageCaller, id: string): Promise<void>;
}

// --- the implementation (in-process: direct calls into the image logic) -------------

import { isoSeconds } from "../core/clock.ts";
import type { ImageCtx } from "./ctx.ts";
import { visibleImage } from "./logic/access.ts";
import { download, upload } from "./logic/data.ts";
import { createImage as create, deleteImage as remove } from "./logic/images.ts";
import type { Image } from "./store.ts";
import { ApiError } from "../core/errors.ts";

export function toRef(img: Image): ImageRef {
  return {
    id: img.id,
    name: img.name,
    status: img.status,
    diskFormat: img.diskFormat,
    containerFormat: img.containerFormat,
    visibility: img.visibility,
    owner: img.owner,
    size: img.size,
    virtualSize: img.virtualSize,
    checksum: img.checksum,
    minDisk: img.minDisk,
    minRam: img.minRam,
    protected: img.protected,
    properties: { ...img.properties },
    tags: [...img.tags],
    createdAt: isoSeconds(img.createdAt),
    updatedAt: isoSeconds(img.updatedAt),
  };
}

export function imageClient(ctx: ImageCtx): ImageClient {
  return {
    async getImage(caller, id) {
      const img = ctx.store.get(id);
      if (!img) return undefined;
      try {
        return toRef(visibleImage(ctx, caller, id));
      } catch {
        return undefined;
      }
    },
    async openData(caller, id) {
      const r = await download(ctx, caller, id);
      if (r.image.status !== "active" || !r.body) throw new ApiError(409, `Image ${id} is not active (it is ${r.image.status}).`);
      return { image: toRef(r.image), size: r.body.size, body: r.body.stream() };
    },
    async createImage(caller, image, data) {
      const body: Record<string, unknown> = { ...(image.properties ?? {}), name: image.name };
      if (image.diskFormat !== undefined) body.disk_format = image.diskFormat;
      if (image.containerFormat !== undefined) body.container_format = image.containerFormat;
      if (image.visibility !== undefined) body.visibility = image.visibility;
      if (image.minDisk !== undefined) body.min_disk = image.minDisk;
      if (image.minRam !== undefined) body.min_ram = image.minRam;
      const img = create(ctx, caller, body);
      if (!data) return toRef(img);
      try {
        return toRef(await upload(ctx, caller, img.id, data));
      } catch (e) {
        // A failed snapshot or volume upload leaves no queued orphan behind.
        await remove(ctx, { ...caller, isAdmin: true }, img.id).catch(() => {});
        throw e;
      }
    },
    async uploadData(caller, id, data) {
      return toRef(await upload(ctx, caller, id, data));
    },
    async deleteImage(caller, id) {
      await remove(ctx, caller, id);
    },
  };
}
