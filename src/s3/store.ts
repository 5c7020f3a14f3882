/**
 * What the S3 API needs of the object store: the port S3 is written against.
 * `fromObjectStore` (see service.ts) adapts the store's typed client to it;
 * `memstore.ts` is an in-memory implementation for tests.
 *
 * Errors are ApiErrors whose `type` is an S3 code where the concept exists
 * (NoSuchBucket, BucketNotEmpty, NoSuchKey, BadDigest, EntityTooLarge,
 * NoSuchUpload, InvalidPart…); the S3 dialect renders them.
 */
export interface S3ObjectInfo {
  name: string;
  bytes: number;
  /** Hex MD5 of the content, or `<md5-of-part-md5s>-<N>` for a multipart object. */
  etag: string;
  contentType: string;
  /** ms since the epoch */
  lastModified: number;
  /** User metadata, names lowercased (x-amz-meta-* / X-Object-Meta-*). */
  metadata: Record<string, string>;
  /** Stored content headers (content-encoding, content-disposition, cache-control…). */
  headers?: Record<string, string>;
}

export type S3ListEntry = { name: string; bytes: number; etag: string; lastModified: number } | { subdir: string };

export interface S3PartInfo {
  partNumber: number;
  etag: string;
  bytes: number;
  lastModified: number;
}

export interface S3UploadInfo {
  name: string;
  uploadId: string;
  createdAt: number;
}

export interface S3Store {
  listContainers(account: string, opts: { marker?: string; limit?: number }): Promise<{ name: string; createdAt: number }[]>;
  /** false when it already exists. */
  createContainer(account: string, name: string): Promise<boolean>;
  getContainer(account: string, name: string): Promise<{ name: string; createdAt: number } | undefined>;
  /** Throws BucketNotEmpty (409) when it holds objects. */
  deleteContainer(account: string, name: string): Promise<void>;
  listObjects(
    account: string,
    container: string,
    opts: { prefix?: string; delimiter?: string; marker?: string; limit: number },
  ): Promise<S3ListEntry[]>;

  /** Stream `body` into the object; throws BadDigest when `md5` (hex) differs, leaving nothing behind. */
  putObject(
    account: string,
    container: string,
    name: string,
    body: ReadableStream<Uint8Array>,
    opts: { size?: number; md5?: string; contentType: string; metadata: Record<string, string>; headers: Record<string, string> },
  ): Promise<S3ObjectInfo>;
  headObject(account: string, container: string, name: string): Promise<S3ObjectInfo | undefined>;
  /** The object's bytes, `range` end-exclusive. */
  openObject(
    account: string,
    container: string,
    name: string,
    range?: { start: number; end: number },
  ): Promise<{ info: S3ObjectInfo; body: Blob | ReadableStream<Uint8Array> }>;
  /** Deleting a missing object is not an error. */
  deleteObject(account: string, container: string, name: string): Promise<void>;
  /** Server-side copy; `replace` swaps the metadata and content type. */
  copyObject(
    src: { account: string; container: string; name: string },
    dst: { account: string; container: string; name: string },
    replace?: { metadata: Record<string, string>; headers: Record<string, string>; contentType: string },
  ): Promise<S3ObjectInfo>;

  createUpload(
    account: string,
    container: string,
    name: string,
    opts: { contentType: string; metadata: Record<string, string>; headers: Record<string, string> },
  ): Promise<string>;
  putPart(
    account: string,
    container: string,
    name: string,
    uploadId: string,
    partNumber: number,
    body: ReadableStream<Uint8Array>,
    opts: { size?: number; md5?: string },
  ): Promise<S3PartInfo>;
  listParts(
    account: string,
    container: string,
    name: string,
    uploadId: string,
    opts: { marker: number; limit: number },
  ): Promise<{ parts: S3PartInfo[] }>;
  listUploads(account: string, container: string, opts: { prefix?: string }): Promise<S3UploadInfo[]>;
  abortUpload(account: string, container: string, name: string, uploadId: string): Promise<void>;
  /** Throws InvalidPart when a part is missing or its ETag differs, EntityTooSmall for a small non-last part. */
  completeUpload(
    account: string,
    container: string,
    name: string,
    uploadId: string,
    parts: { partNumber: number; etag: string }[],
  ): Promise<S3ObjectInfo>;
}

import type { ObjectStoreClient } from "../objectstore/client.ts";

/** The object store's typed client as the S3 port (only the container listing differs in shape). */
export function fromObjectStore(s: ObjectStoreClient): S3Store {
  const b = <K extends keyof ObjectStoreClient>(k: K) => (s[k] as (...a: unknown[]) => unknown).bind(s) as ObjectStoreClient[K];
  return {
    listContainers: async (account, opts) =>
      (await s.listContainers(account, { marker: opts.marker, limit: opts.limit ?? 10000 })).flatMap((c) =>
        "name" in c ? [{ name: c.name, createdAt: c.createdAt }] : [],
      ),
    createContainer: (account, name) => s.createContainer(account, name),
    getContainer: b("getContainer"),
    deleteContainer: b("deleteContainer"),
    listObjects: b("listObjects"),
    putObject: b("putObject"),
    headObject: b("headObject"),
    openObject: b("openObject"),
    deleteObject: async (a, c, n) => void (await s.deleteObject(a, c, n)),
    copyObject: b("copyObject"),
    createUpload: b("createUpload"),
    putPart: b("putPart"),
    listParts: b("listParts"),
    listUploads: b("listUploads"),
    abortUpload: b("abortUpload"),
    completeUpload: b("completeUpload"),
  };
}
