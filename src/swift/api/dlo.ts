/**
 * Dynamic large objects: a manifest object whose `X-Object-Manifest:
 * <container>/<prefix>` names its segments, concatenated in name order. Its
 * ETag is the quoted MD5 of the segments' ETags.
 */
import { createHash } from "node:crypto";
import { ApiError } from "../../core/errors.ts";
import type { SwiftReq } from "../context.ts";
import type { Segment } from "./segments.ts";

export const MAX_DLO_SEGMENTS = 10000;

/** Validate an X-Object-Manifest value (`container/prefix`, URL-quoted). */
export function checkManifestHeader(v: string): string {
  let d = v;
  try {
    d = decodeURIComponent(v);
  } catch {
    throw new ApiError(400, "X-Object-Manifest must be UTF-8 encoded");
  }
  if (d.startsWith("/")) d = d.slice(1);
  if (!d || !d.includes("/") || d.startsWith("/") || d.includes("?") || d.includes("&"))
    throw new ApiError(400, "X-Object-Manifest must be in the format container/prefix");
  return v;
}

export async function dloSegments(r: SwiftReq, manifest: string): Promise<{ segs: Segment[]; etag: string; bytes: number }> {
  let v = manifest;
  try {
    v = decodeURIComponent(manifest);
  } catch {
    /* stored as given */
  }
  if (v.startsWith("/")) v = v.slice(1);
  const i = v.indexOf("/");
  const container = v.slice(0, i);
  const prefix = v.slice(i + 1);
  const segs: Segment[] = [];
  const md5 = createHash("md5");
  let bytes = 0;
  let marker: string | undefined;
  const exists = await r.store.getContainer(r.account, container);
  while (exists && segs.length < MAX_DLO_SEGMENTS) {
    const page = await r.store.listObjects(r.account, container, { prefix, marker, limit: 1000 });
    if (!page.length) break;
    for (const e of page) {
      if ("subdir" in e) continue;
      segs.push({ account: r.account, container, name: e.name, bytes: e.bytes, start: 0, end: e.bytes });
      md5.update(e.etag);
      bytes += e.bytes;
      marker = e.name;
    }
    if (page.length < 1000) break;
  }
  return { segs, etag: `"${md5.digest("hex")}"`, bytes };
}
