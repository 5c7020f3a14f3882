import { s3err } from "./errors.ts";

/**
 * Bucket names as S3 accepts them for new buckets (3–63 characters of
 * lowercase letters, digits, dots and hyphens; also `_` and capitals for
 * buckets made through Swift, which S3 can still address).
 */
export function checkNewBucketName(name: string): void {
  if (name.length < 3 || name.length > 63 || !/^[a-z0-9][a-z0-9.\-_]*[a-z0-9]$/.test(name) || /\.\./.test(name) || /^\d+\.\d+\.\d+\.\d+$/.test(name)) {
    throw s3err("InvalidBucketName", undefined, { BucketName: name });
  }
}

/** Any bucket name we route (existing Swift containers may have other shapes). */
export function checkBucketName(name: string): void {
  if (!name || name.length > 256 || name.includes("/")) throw s3err("InvalidBucketName", undefined, { BucketName: name });
}

export function checkKey(key: string): void {
  if (new TextEncoder().encode(key).length > 1024) throw s3err("KeyTooLongError", undefined, { MaxSizeAllowed: 1024 });
}
