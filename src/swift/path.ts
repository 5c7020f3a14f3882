import { ApiError } from "../core/errors.ts";

export const MAX_ACCOUNT_NAME_LENGTH = 256;
export const MAX_CONTAINER_NAME_LENGTH = 256;
export const MAX_OBJECT_NAME_LENGTH = 1024;

/** A Swift request path split as the proxy does: `/v1/<account>[/<container>[/<object>]]`. */
export interface SwiftPath {
  version: string;
  account: string;
  container?: string;
  object?: string;
}

const VERSIONS = new Set(["v1", "v1.0"]);

/** UTF-8 length in bytes: Swift's name limits count bytes, not characters. */
export function byteLength(s: string): number {
  return Buffer.byteLength(s, "utf8");
}

/**
 * Unquote the raw path, then split it (Swift's `split_path(unquote(path), 1, 4, True)`):
 * the object name keeps any further slashes, `%2F` included. Invalid UTF-8 or a NUL
 * byte is 412 "Invalid UTF8 or contains NULL"; an unknown API version is 400.
 * Returns undefined for paths that are not under a version (the caller answers 404).
 */
export function parseSwiftPath(rawPath: string): SwiftPath | undefined {
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    throw new ApiError(412, "Invalid UTF8 or contains NULL");
  }
  if (path.includes("\0")) throw new ApiError(412, "Invalid UTF8 or contains NULL");
  if (!path.startsWith("/")) return undefined;
  const parts = path.slice(1).split("/");
  const version = parts[0] ?? "";
  const account = parts[1];
  if (!account) return undefined;
  if (!VERSIONS.has(version)) throw new ApiError(400, "Invalid API version");
  const container = parts[2] || undefined;
  const rest = parts.length > 3 ? parts.slice(3).join("/") : undefined;
  if (!container) return { version, account };
  return { version, account, container, object: rest || undefined };
}

export function checkContainerName(name: string): void {
  const n = byteLength(name);
  if (n > MAX_CONTAINER_NAME_LENGTH)
    throw new ApiError(400, `Container name length of ${n} longer than ${MAX_CONTAINER_NAME_LENGTH}`);
}

export function checkObjectName(name: string): void {
  const n = byteLength(name);
  if (n > MAX_OBJECT_NAME_LENGTH)
    throw new ApiError(400, `Object name length of ${n} longer than ${MAX_OBJECT_NAME_LENGTH}`);
}

/**
 * `<container>/<object>` as X-Copy-From, Destination and X-Object-Manifest carry it
 * (URL-quoted, an optional leading slash). 412 with Swift's message when malformed.
 */
export function splitContainerObject(value: string, header: string): { container: string; object: string } {
  let v = value;
  try {
    v = decodeURIComponent(value);
  } catch {
    throw new ApiError(412, `${header} header must be of the form <container name>/<object name>`);
  }
  if (v.startsWith("/")) v = v.slice(1);
  const i = v.indexOf("/");
  if (i <= 0 || i === v.length - 1)
    throw new ApiError(412, `${header} header must be of the form <container name>/<object name>`);
  return { container: v.slice(0, i), object: v.slice(i + 1) };
}
