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
