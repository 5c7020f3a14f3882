/**
 * The typed interface of the object store: what Swift, S3 and (later) Glance
 * use. Accounts are `AUTH_<project_id>`; one store behind both APIs, so an S3
 * bucket is a Swift container of the same project and the other way round.
 *
 * Errors are ApiErrors with the status Swift answers and, as `type`, the S3
 * code where the concept exists (NoSuchBucket, BucketNotEmpty, NoSuchKey,
 * BadDigest, EntityTooLarge, IncompleteBody, NoSuchUpload, InvalidPart,
 * InvalidPartOrder, EntityTooSmall, InvalidRange); each API renders them.
 */
export interface ObjectInfo {
  name: string;
  bytes: number;
  /** What clients see: hex MD5 of the content, or `<md5-of-part-md5s>-<N>` for an S3 multipart object. */
  etag: string;
  /** Hex MD5 of the stored bytes (what the auditor checks). */
  md5: string;
  contentType: string;
  /** ms since the epoch */
  lastModified: number;
  /** User metadata, names lowercased, without prefix (x-amz-meta-* / X-Object-Meta-*). */
  metadata: Record<string, string>;
  /** Stored system headers, names lowercased (content-encoding, content-disposition, x-object-manifest, x-static-large-object…). */
  headers: Record<string, string>;
  /** X-Delete-At, seconds since the epoch. */
  deleteAt?: number;
}

export type ListEntry = { name: string; bytes: number; etag: string; lastModified: number; contentType: string } | { subdir: string };

export interface ListOptions {
  prefix?: string;
  delimiter?: string;
  /** Names strictly after this one. */
  marker?: string;
  /** Names strictly before this one. */
  endMarker?: string;
  limit: number;
  reverse?: boolean;
}

export interface ContainerInfo {
  name: string;
  createdAt: number;
  objectCount: number;
  bytesUsed: number;
  /** User metadata, names lowercased, without prefix (X-Container-Meta-*). */
  metadata: Record<string, string>;
  readAcl?: string;
  writeAcl?: string;
  lastModified: number;
}

export interface AccountInfo {
  account: string;
  createdAt: number;
  containerCount: number;
  objectCount: number;
  bytesUsed: number;
  metadata: Record<string, string>;
}

export interface PartInfo {
  partNumber: number;
  etag: string;
  bytes: number;
  lastModified: number;
}

export interface UploadInfo {
  name: string;
  uploadId: string;
  createdAt: number;
}

export interface PutOptions {
  /** Expected length (Content-Length / x-amz-decoded-content-length): a shorter or longer body fails with IncompleteBody. */
  size?: number;
  /** Expected hex MD5: a mismatch fails with BadDigest (422), leaving nothing behind. */
  md5?: string;
  contentType: string;
  metadata: Record<string, string>;
  headers: Record<string, string>;
  deleteAt?: number;
}

export interface ObjectStoreClient {
  // accounts
  getAccount(account: string): Promise<AccountInfo>;
  /** Merge metadata; a null or empty value removes the key. */
  updateAccountMetadata(account: string, metadata: Record<string, string | null>): Promise<void>;

  // containers
  listContainers(account: string, opts: ListOptions): Promise<(ContainerInfo | { subdir: string })[]>;
  /** false when it already exists (its metadata/ACLs are then updated with what was given). */
  createContainer(
    account: string,
    name: string,
    opts?: { metadata?: Record<string, string>; readAcl?: string; writeAcl?: string },
  ): Promise<boolean>;
  getContainer(account: string, name: string): Promise<ContainerInfo | undefined>;
  /** Merge metadata (null/empty removes); readAcl/writeAcl: a string sets, null clears, undefined keeps. */
  updateContainer(
    account: string,
    name: string,
    changes: { metadata?: Record<string, string | null>; readAcl?: string | null; writeAcl?: string | null },
  ): Promise<void>;
  /** Throws BucketNotEmpty (409) when it holds objects, NoSuchBucket (404) when missing. */
  deleteContainer(account: string, name: string): Promise<void>;
  listObjects(account: string, container: string, opts: ListOptions): Promise<ListEntry[]>;

  // objects
  /** Stream `body` into the object: temp file, MD5 while streaming, fsync, rename, one transaction. */
  putObject(account: string, container: string, name: string, body: ReadableStream<Uint8Array>, opts: PutOptions): Promise<ObjectInfo>;
  headObject(account: string, container: string, name: string): Promise<ObjectInfo | undefined>;
  /** The object's bytes, `range` end-exclusive; `body` is a file slice (sent with sendfile, never buffered). */
  openObject(
    account: string,
    container: string,
    name: string,
    range?: { start: number; end: number },
  ): Promise<{ info: ObjectInfo; body: Blob }>;
  /** Replace user metadata (and, when given, content type, system headers, expiry). */
  updateObject(
    account: string,
    container: string,
    name: string,
    changes: { metadata: Record<string, string>; contentType?: string; headers?: Record<string, string>; deleteAt?: number | null },
  ): Promise<ObjectInfo>;
  /** Returns false when it did not exist. */
  deleteObject(account: string, container: string, name: string): Promise<boolean>;
  /** Server-side copy; `replace` swaps the metadata, content type and headers. */
  copyObject(
    src: { account: string; container: string; name: string },
    dst: { account: string; container: string; name: string },
    replace?: { metadata: Record<string, string>; headers: Record<string, string>; contentType: string; deleteAt?: number },
  ): Promise<ObjectInfo>;

  // multipart uploads (S3)
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
  ): Promise<PartInfo>;
  listParts(
    account: string,
    container: string,
    name: string,
    uploadId: string,
    opts: { marker: number; limit: number },
  ): Promise<{ parts: PartInfo[] }>;
  listUploads(account: string, container: string, opts: { prefix?: string }): Promise<UploadInfo[]>;
  abortUpload(account: string, container: string, name: string, uploadId: string): Promise<void>;
  /** Throws InvalidPart / InvalidPartOrder / EntityTooSmall; the object's ETag is `<md5-of-part-md5s>-<N>`. */
  completeUpload(
    account: string,
    container: string,
    name: string,
    uploadId: string,
    parts: { partNumber: number; etag: string }[],
  ): Promise<ObjectInfo>;
}

/** Limits (Swift's constraints). */
export const MAX_CONTAINER_NAME = 256;
export const MAX_OBJECT_NAME = 1024;
