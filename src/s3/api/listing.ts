/** ListObjects (v1) and ListObjectsV2: prefix, delimiter → CommonPrefixes, markers and continuation tokens. */
import { s3err } from "../errors.ts";
import type { S3Req } from "../context.ts";
import { awsEncode } from "../sigv4.ts";
import { isoMs, S3_NS, xmlResponse } from "../xml.ts";
import { mustBucket, owner } from "./buckets.ts";

interface Page {
  contents: { key: string; lastModified: number; etag: string; size: number }[];
  prefixes: string[];
  truncated: boolean;
  /** The last key or common prefix returned: where the next page starts. */
  last?: string;
}

function maxKeysOf(r: S3Req): number {
  const raw = r.query.get("max-keys");
  if (raw === null) return 1000;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n)) throw s3err("InvalidArgument", "Provided max-keys not an integer or within integer range", { ArgumentName: "max-keys", ArgumentValue: raw });
  return Math.min(n, 1000);
}

/**
 * One page of a bucket listing. A marker that is itself a common prefix
 * (`photos/` with delimiter `/`) resumes after every key under it, as S3 does.
 */
async function page(r: S3Req, prefix: string, delimiter: string, marker: string, maxKeys: number): Promise<Page> {
  if (maxKeys === 0) return { contents: [], prefixes: [], truncated: false };
  let from = marker;
  if (delimiter && marker.startsWith(prefix) && marker.endsWith(delimiter)) {
    const inner = marker.slice(prefix.length, -delimiter.length);
    if (!inner.includes(delimiter)) from = `${marker}\u{10ffff}`;
  }
  const entries = await r.deps.store.listObjects(r.account, r.bucket!, {
    prefix: prefix || undefined,
    delimiter: delimiter || undefined,
    marker: from || undefined,
    limit: maxKeys + 1,
  });
  const truncated = entries.length > maxKeys;
  const shown = truncated ? entries.slice(0, maxKeys) : entries;
  const out: Page = { contents: [], prefixes: [], truncated };
  for (const e of shown) {
    if ("subdir" in e) {
      out.prefixes.push(e.subdir);
      out.last = e.subdir;
    } else {
      out.contents.push({ key: e.name, lastModified: e.lastModified, etag: e.etag, size: e.bytes });
      out.last = e.name;
    }
  }
  return out;
}

export async function listObjects(r: S3Req): Promise<Response> {
  await mustBucket(r);
  const v2 = r.query.get("list-type") === "2";
  const prefix = r.query.get("prefix") ?? "";
  const delimiter = r.query.get("delimiter") ?? "";
  const encodingType = r.query.get("encoding-type");
  if (encodingType !== null && encodingType !== "url") throw s3err("InvalidArgument", "Invalid Encoding Method specified in Request", { ArgumentName: "encoding-type" });
  const enc = (s: string) => (encodingType === "url" ? awsEncode(s, true) : s);
  const encOpt = (s: string | null | undefined) => (s ? enc(s) : s ?? undefined);
  const maxKeys = maxKeysOf(r);
  const fetchOwner = r.query.get("fetch-owner") === "true";

  let marker: string;
  const token = r.query.get("continuation-token");
  const startAfter = r.query.get("start-after");
  if (v2) {
    if (token !== null) {
      marker = decodeToken(token);
    } else marker = startAfter ?? "";
  } else marker = r.query.get("marker") ?? "";

  const p = await page(r, prefix, delimiter, marker, maxKeys);
  const contents = p.contents.map((o) => ({
    Key: enc(o.key),
    LastModified: isoMs(o.lastModified),
    ETag: `"${o.etag}"`,
    Size: o.size,
    ...(v2 && !fetchOwner ? {} : { Owner: owner(r) }),
    StorageClass: "STANDARD",
  }));
  const common = p.prefixes.map((x) => ({ Prefix: enc(x) }));
  const body: Record<string, unknown> = { "@_xmlns": S3_NS, Name: r.bucket, Prefix: enc(prefix) };
  if (v2) {
    if (token !== null) body.ContinuationToken = token;
    if (startAfter !== null) body.StartAfter = enc(startAfter);
    body.KeyCount = contents.length + common.length;
    body.MaxKeys = maxKeys;
    if (delimiter) body.Delimiter = enc(delimiter);
    if (encodingType) body.EncodingType = encodingType;
    body.IsTruncated = p.truncated;
    if (p.truncated && p.last !== undefined) body.NextContinuationToken = encodeToken(p.last);
  } else {
    body.Marker = encOpt(r.query.get("marker")) ?? "";
    if (p.truncated && delimiter && p.last !== undefined) body.NextMarker = enc(p.last);
    body.MaxKeys = maxKeys;
    if (delimiter) body.Delimiter = enc(delimiter);
    if (encodingType) body.EncodingType = encodingType;
    body.IsTruncated = p.truncated;
  }
  if (contents.length) body.Contents = contents;
  if (common.length) body.CommonPrefixes = common;
  return xmlResponse({ ListBucketResult: body });
}

function encodeToken(last: string): string {
  return Buffer.from(last, "utf8").toString("base64url");
}

function decodeToken(token: string): string {
  if (!/^[A-Za-z0-9_-]*$/.test(token)) throw s3err("InvalidArgument", "The continuation token provided is incorrect", { ArgumentName: "continuation-token" });
  return Buffer.from(token, "base64url").toString("utf8");
}
