/**
 * What the S3 API needs of the object store: the port S3 is written against.
 * `fromObjectStore` adapts the store's typed client to it.
 *
 * Errors are ApiErrors whose `type` is an S3 code where the concept exists
 * (NoSuchBucket, BucketNotEmpty, NoSuchKey, BadDigest, EntityTooLarge,
 * NoSuchUpload, InvalidPart…); the S3 dialect renders them.
 */
import type { ListEntry, ObjectInfo, ObjectStoreClient, PartInfo, UploadInfo } from "../objectstore/client.ts";

export type S3ObjectInfo = ObjectInfo;
export type S3ListEntry = ListEntry;
export type S3PartInfo = PartInfo;
export type S3UploadInfo = UploadInfo;

/** The store's operations S3 uses; only the bucket listing has its own (flatter) shape. */
export interface S3Store
  extends Omit<ObjectStoreClient, "listContainers" | "getAccount" | "updateAccountMetadata" | "updateContainer" | "updateObject"> {
  listContainers(account: string, opts: { marker?: string; limit?: number }): Promise<{ name: string; createdAt: number }[]>;
}

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
    deleteObject: b("deleteObject"),
    copyObject: b("copyObject"),
    createUpload: b("createUpload"),
    putPart: b("putPart"),
    listParts: b("listParts"),
    listUploads: b("listUploads"),
    abortUpload: b("abortUpload"),
    completeUpload: b("completeUpload"),
  };
}
