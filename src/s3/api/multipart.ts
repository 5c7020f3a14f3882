/** Multipart uploads: Create, UploadPart, UploadPartCopy, Complete, Abort, ListParts, ListMultipartUploads. */
import { s3err } from "../errors.ts";
import type { S3Req } from "../context.ts";
import { checkKey } from "../names.ts";
import { awsEncode } from "../sigv4.ts";
import { isoMs, parseXml, S3_NS, xmlResponse } from "../xml.ts";
import { mustBucket, owner } from "./buckets.ts";
import { conditional, contentLengthOf, copySourceOf, md5Of, metadataOf } from "./objects.ts";

const MAX_PARTS = 10000;

function partNumberOf(r: S3Req): number {
  const raw = r.query.get("partNumber") ?? "";
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > MAX_PARTS) {
    throw s3err("InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive", { ArgumentName: "partNumber", ArgumentValue: raw });
  }
  return n;
}

function uploadIdOf(r: S3Req): string {
  return r.query.get("uploadId") ?? "";
}

export async function createMultipartUpload(r: S3Req): Promise<Response> {
  checkKey(r.key!);
  await mustBucket(r);
  const { metadata, headers } = metadataOf(r);
  const uploadId = await r.deps.store.createUpload(r.account, r.bucket!, r.key!, {
    contentType: r.c.req.header("content-type") || "binary/octet-stream",
    metadata,
    headers,
  });
  return xmlResponse({
    InitiateMultipartUploadResult: { "@_xmlns": S3_NS, Bucket: r.bucket, Key: r.key, UploadId: uploadId },
  });
}

export async function uploadPart(r: S3Req): Promise<Response> {
  const part = partNumberOf(r);
  const md5 = md5Of(r);
  const size = contentLengthOf(r);
  const info = await r.deps.store.putPart(r.account, r.bucket!, r.key!, uploadIdOf(r), part, r.body(), { md5, size });
  return new Response(null, { status: 200, headers: { etag: `"${info.etag}"` } });
}

export async function uploadPartCopy(r: S3Req): Promise<Response> {
  const part = partNumberOf(r);
  const src = copySourceOf(r);
  const srcInfo = await r.deps.store.headObject(r.account, src.bucket, src.key);
  if (!srcInfo) throw s3err("NoSuchKey", undefined, { Key: src.key });
  conditional(r, srcInfo.etag, srcInfo.lastModified, "x-amz-copy-source-");
  let range: { start: number; end: number } | undefined;
  const rh = r.c.req.header("x-amz-copy-source-range");
  if (rh !== undefined) {
    const m = /^bytes=(\d+)-(\d+)$/.exec(rh.trim());
    if (!m) throw s3err("InvalidArgument", "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy", { ArgumentName: "x-amz-copy-source-range", ArgumentValue: rh });
    const start = Number(m[1]);
    const last = Number(m[2]);
    if (last < start || last >= srcInfo.bytes) throw s3err("InvalidRange", undefined, { ActualObjectSize: srcInfo.bytes });
    range = { start, end: last + 1 };
  }
  const opened = await r.deps.store.openObject(r.account, src.bucket, src.key, range);
  const size = range ? range.end - range.start : srcInfo.bytes;
  const body = opened.body instanceof Blob ? opened.body.stream() : opened.body;
  const info = await r.deps.store.putPart(r.account, r.bucket!, r.key!, uploadIdOf(r), part, body, { size });
  return xmlResponse({
    CopyPartResult: { "@_xmlns": S3_NS, LastModified: isoMs(info.lastModified), ETag: `"${info.etag}"` },
  });
}

export async function completeMultipartUpload(r: S3Req): Promise<Response> {
  const doc = parseXml(await r.text()).CompleteMultipartUpload;
  if (!doc || typeof doc !== "object") throw s3err("MalformedXML");
  const parts: { PartNumber?: string; ETag?: string }[] = doc.Part ?? [];
  if (!parts.length) throw s3err("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema");
  const list: { partNumber: number; etag: string }[] = [];
  let prev = 0;
  for (const p of parts) {
    const n = Number(p.PartNumber);
    if (!Number.isInteger(n) || n < 1 || n > MAX_PARTS || typeof p.ETag !== "string") throw s3err("MalformedXML");
    if (n <= prev) throw s3err("InvalidPartOrder", undefined, { UploadId: uploadIdOf(r) });
    prev = n;
    list.push({ partNumber: n, etag: p.ETag.trim().replace(/^"|"$/g, "") });
  }
  const info = await r.deps.store.completeUpload(r.account, r.bucket!, r.key!, uploadIdOf(r), list);
  const url = new URL(r.c.req.url);
  return xmlResponse({
    CompleteMultipartUploadResult: {
      "@_xmlns": S3_NS,
      Location: `${url.protocol}//${url.host}/${r.bucket}/${awsEncode(r.key!, true)}`,
      Bucket: r.bucket,
      Key: r.key,
      ETag: `"${info.etag}"`,
    },
  });
}

export async function abortMultipartUpload(r: S3Req): Promise<Response> {
  await r.deps.store.abortUpload(r.account, r.bucket!, r.key!, uploadIdOf(r));
  return new Response(null, { status: 204 });
}

function intParam(r: S3Req, name: string, dflt: number, max: number): number {
  const raw = r.query.get(name);
  if (raw === null) return dflt;
  if (!/^\d+$/.test(raw)) throw s3err("InvalidArgument", `Provided ${name} not an integer or within integer range`, { ArgumentName: name, ArgumentValue: raw });
  return Math.min(Number(raw), max);
}

export async function listParts(r: S3Req): Promise<Response> {
  const max = intParam(r, "max-parts", 1000, 1000);
  const marker = intParam(r, "part-number-marker", 0, MAX_PARTS);
  const upload = await r.deps.store.listParts(r.account, r.bucket!, r.key!, uploadIdOf(r), { marker, limit: max + 1 });
  const truncated = upload.parts.length > max;
  const parts = upload.parts.slice(0, max);
  return xmlResponse({
    ListPartsResult: {
      "@_xmlns": S3_NS,
      Bucket: r.bucket,
      Key: r.key,
      UploadId: uploadIdOf(r),
      Initiator: owner(r),
      Owner: owner(r),
      StorageClass: "STANDARD",
      PartNumberMarker: marker,
      NextPartNumberMarker: parts.length ? parts[parts.length - 1]!.partNumber : marker,
      MaxParts: max,
      IsTruncated: truncated,
      Part: parts.map((p) => ({ PartNumber: p.partNumber, LastModified: isoMs(p.lastModified), ETag: `"${p.etag}"`, Size: p.bytes })),
    },
  });
}

export async function listMultipartUploads(r: S3Req): Promise<Response> {
  await mustBucket(r);
  const max = intParam(r, "max-uploads", 1000, 1000);
  const prefix = r.query.get("prefix") ?? "";
  const keyMarker = r.query.get("key-marker") ?? "";
  const uploadMarker = r.query.get("upload-id-marker") ?? "";
  const all = await r.deps.store.listUploads(r.account, r.bucket!, { prefix: prefix || undefined });
  const after = all.filter((u) => u.name > keyMarker || (u.name === keyMarker && uploadMarker !== "" && u.uploadId > uploadMarker));
  const truncated = after.length > max;
  const shown = after.slice(0, max);
  const last = shown[shown.length - 1];
  return xmlResponse({
    ListMultipartUploadsResult: {
      "@_xmlns": S3_NS,
      Bucket: r.bucket,
      KeyMarker: keyMarker,
      UploadIdMarker: uploadMarker,
      NextKeyMarker: last?.name ?? "",
      NextUploadIdMarker: last?.uploadId ?? "",
      ...(prefix ? { Prefix: prefix } : {}),
      MaxUploads: max,
      IsTruncated: truncated,
      Upload: shown.map((u) => ({
        Key: u.name,
        UploadId: u.uploadId,
        Initiator: owner(r),
        Owner: owner(r),
        StorageClass: "STANDARD",
        Initiated: isoMs(u.createdAt),
      })),
    },
  });
}
