/** PutObject, GetObject, HeadObject, DeleteObject, DeleteObjects, CopyObject. */
import { s3err } from "../errors.ts";
import type { S3Req } from "../context.ts";
import { checkKey } from "../names.ts";
import { httpDate, isoMs, parseXml, S3_NS, xmlResponse } from "../xml.ts";
import { mustBucket } from "./buckets.ts";

/** Headers S3 stores with an object and returns on GET/HEAD. */
export const STORED_HEADERS = ["cache-control", "content-disposition", "content-encoding", "content-language", "expires"];

/** The user metadata (`x-amz-meta-*`, lowercased names) and stored headers of a request. */
export function metadataOf(r: S3Req): { metadata: Record<string, string>; headers: Record<string, string> } {
  const metadata: Record<string, string> = {};
  const headers: Record<string, string> = {};
  let size = 0;
  for (const [k, v] of r.c.req.raw.headers) {
    const name = k.toLowerCase();
    if (name.startsWith("x-amz-meta-")) {
      const key = name.slice("x-amz-meta-".length);
      metadata[key] = v;
      size += key.length + v.length;
    } else if (STORED_HEADERS.includes(name)) {
      // aws-chunked is the transfer framing, not the object's encoding.
      if (name === "content-encoding") {
        const rest = v.split(",").map((s) => s.trim()).filter((s) => s && s !== "aws-chunked");
        if (rest.length) headers[name] = rest.join(", ");
      } else headers[name] = v;
    }
  }
  if (size > 2048) throw s3err("MetadataTooLarge", undefined, { MaxSizeAllowed: 2048 });
  return { metadata, headers };
}

/** Content-MD5 (base64) → hex, or 400 InvalidDigest. */
export function md5Of(r: S3Req): string | undefined {
  const v = r.c.req.header("content-md5");
  if (v === undefined) return undefined;
  const buf = Buffer.from(v, "base64");
  if (buf.length !== 16 || buf.toString("base64") !== v.trim()) throw s3err("InvalidDigest", undefined, { "Content-MD5": v });
  return buf.toString("hex");
}

/** The declared length, if any (a chunked transfer has none; the store then counts). */
export function contentLengthOf(r: S3Req): number | undefined {
  const n = r.contentLength;
  if (n !== undefined && (!Number.isSafeInteger(n) || n < 0)) throw s3err("InvalidArgument", "Invalid Content-Length", { ArgumentName: "Content-Length" });
  return n;
}

export async function putObject(r: S3Req): Promise<Response> {
  checkKey(r.key!);
  await mustBucket(r);
  const md5 = md5Of(r);
  const size = contentLengthOf(r);
  const { metadata, headers } = metadataOf(r);
  const info = await r.deps.store.putObject(r.account, r.bucket!, r.key!, r.body(), {
    size,
    md5,
    contentType: r.c.req.header("content-type") || "binary/octet-stream",
    metadata,
    headers,
  });
  return new Response(null, { status: 200, headers: { etag: `"${info.etag}"` } });
}

function unquote(s: string): string {
  return s.trim().replace(/^W\//, "").replace(/^"|"$/g, "");
}

function etagMatches(list: string, etag: string): boolean {
  return list.split(",").some((t) => t.trim() === "*" || unquote(t) === etag);
}

/** Evaluate If-Match / If-None-Match / If-(Un)Modified-Since as S3 does: 412 or a 304 response. */
export function conditional(r: S3Req, etag: string, lastModified: number, prefix = ""): Response | undefined {
  const h = (n: string) => r.c.req.header(`${prefix}${n}`);
  const secs = Math.floor(lastModified / 1000) * 1000;
  const ifMatch = h("if-match");
  const ifNone = h("if-none-match");
  const ifUnmod = h("if-unmodified-since");
  const ifMod = h("if-modified-since");
  const failed = () => s3err("PreconditionFailed", undefined, { Condition: ifMatch !== undefined ? "If-Match" : "If-Unmodified-Since" });
  if (ifMatch !== undefined) {
    if (!etagMatches(ifMatch, etag)) throw failed();
  } else if (ifUnmod !== undefined) {
    const t = Date.parse(ifUnmod);
    if (!Number.isNaN(t) && secs > t) throw failed();
  }
  const notModified = () => {
    if (prefix) throw s3err("PreconditionFailed", undefined, { Condition: "x-amz-copy-source-If-None-Match" });
    return new Response(null, { status: 304, headers: { etag: `"${etag}"`, "last-modified": httpDate(lastModified) } });
  };
  if (ifNone !== undefined) {
    if (etagMatches(ifNone, etag)) return notModified();
  } else if (ifMod !== undefined) {
    const t = Date.parse(ifMod);
    if (!Number.isNaN(t) && secs <= t) return notModified();
  }
  return undefined;
}

/** A `bytes=` range against a size: [start, end] inclusive, undefined for none/ignored, or 416. */
export function parseRange(header: string | undefined, size: number): [number, number] | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return undefined; // malformed or multiple ranges: whole object, as S3
  let start: number;
  let end: number;
  if (m[1] === "") {
    const n = Number(m[2]);
    if (n === 0) throw invalidRange(size);
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] !== "" && Number(m[2]) < start) return undefined;
  }
  if (start >= size) throw invalidRange(size);
  return [start, end];
}

function invalidRange(size: number) {
  return s3err("InvalidRange", undefined, { ActualObjectSize: size }, { "content-range": `bytes */${size}` });
}

const OVERRIDES: Record<string, string> = {
  "response-content-type": "content-type",
  "response-content-language": "content-language",
  "response-expires": "expires",
  "response-cache-control": "cache-control",
  "response-content-disposition": "content-disposition",
  "response-content-encoding": "content-encoding",
};

export function objectHeaders(info: { etag: string; bytes: number; contentType: string; lastModified: number; metadata: Record<string, string>; headers?: Record<string, string> }): Headers {
  const h = new Headers({
    etag: `"${info.etag}"`,
    "last-modified": httpDate(info.lastModified),
    "content-type": info.contentType,
    "accept-ranges": "bytes",
  });
  for (const [k, v] of Object.entries(info.headers ?? {})) if (STORED_HEADERS.includes(k.toLowerCase())) h.set(k, v);
  for (const [k, v] of Object.entries(info.metadata)) h.set(`x-amz-meta-${k.toLowerCase()}`, v);
  return h;
}

async function mustObject(r: S3Req) {
  const info = await r.deps.store.headObject(r.account, r.bucket!, r.key!);
  if (!info) {
    await mustBucket(r);
    throw s3err("NoSuchKey", undefined, { Key: r.key! });
  }
  return info;
}

export async function getObject(r: S3Req, head = false): Promise<Response> {
  checkKey(r.key!);
  const info = await mustObject(r);
  const cond = conditional(r, info.etag, info.lastModified);
  if (cond) return cond;
  const headers = objectHeaders(info);
  if (!head) {
    for (const [q, h] of Object.entries(OVERRIDES)) {
      const v = r.query.get(q);
      if (v !== null) headers.set(h, v);
    }
  }
  const range = parseRange(r.c.req.header("range"), info.bytes);
  if (range) {
    headers.set("content-range", `bytes ${range[0]}-${range[1]}/${info.bytes}`);
    headers.set("content-length", String(range[1] - range[0] + 1));
  } else headers.set("content-length", String(info.bytes));
  const status = range ? 206 : 200;
  if (head) return new Response(null, { status, headers });
  const opened = await r.deps.store.openObject(r.account, r.bucket!, r.key!, range ? { start: range[0], end: range[1] + 1 } : undefined);
  return new Response(opened.body, { status, headers });
}

export async function deleteObject(r: S3Req): Promise<Response> {
  await mustBucket(r);
  await r.deps.store.deleteObject(r.account, r.bucket!, r.key!);
  return new Response(null, { status: 204 });
}

export async function deleteObjects(r: S3Req): Promise<Response> {
  await mustBucket(r);
  const text = await r.text();
  const md5 = md5Of(r);
  if (md5 !== undefined && new Bun.CryptoHasher("md5").update(text).digest("hex") !== md5) throw s3err("BadDigest");
  const doc = parseXml(text).Delete;
  if (!doc || typeof doc !== "object") throw s3err("MalformedXML");
  const objects: { Key?: string }[] = doc.Object ?? [];
  if (objects.length > 1000) throw s3err("MalformedXML");
  const quiet = String(doc.Quiet ?? "false").toLowerCase() === "true";
  const deleted: { Key: string }[] = [];
  const errors: { Key: string; Code: string; Message: string }[] = [];
  for (const o of objects) {
    const key = typeof o.Key === "string" ? o.Key : String(o.Key ?? "");
    if (!key) throw s3err("MalformedXML");
    try {
      await r.deps.store.deleteObject(r.account, r.bucket!, key);
      deleted.push({ Key: key });
    } catch (e) {
      errors.push({ Key: key, Code: (e as { type?: string }).type ?? "InternalError", Message: (e as Error).message });
    }
  }
  return xmlResponse({
    DeleteResult: {
      "@_xmlns": S3_NS,
      ...(quiet || !deleted.length ? {} : { Deleted: deleted }),
      ...(errors.length ? { Error: errors } : {}),
    },
  });
}

/** `x-amz-copy-source: /bucket/key` (URL-encoded, optional leading slash, `?versionId=` ignored). */
export function copySourceOf(r: S3Req): { bucket: string; key: string } {
  const raw = r.c.req.header("x-amz-copy-source")!;
  let src = raw.split("?")[0]!;
  try {
    src = decodeURIComponent(src);
  } catch {
    throw s3err("InvalidArgument", "Invalid copy source encoding", { ArgumentName: "x-amz-copy-source" });
  }
  if (src.startsWith("/")) src = src.slice(1);
  const slash = src.indexOf("/");
  if (slash <= 0 || slash === src.length - 1) throw s3err("InvalidArgument", "Copy Source must mention the source bucket and key: sourcebucket/sourcekey", { ArgumentName: "x-amz-copy-source", ArgumentValue: raw });
  return { bucket: src.slice(0, slash), key: src.slice(slash + 1) };
}

export async function copyObject(r: S3Req): Promise<Response> {
  checkKey(r.key!);
  const src = copySourceOf(r);
  const directive = (r.c.req.header("x-amz-metadata-directive") ?? "COPY").toUpperCase();
  if (directive !== "COPY" && directive !== "REPLACE") throw s3err("InvalidArgument", "Unknown metadata directive.", { ArgumentName: "x-amz-metadata-directive", ArgumentValue: directive });
  await mustBucket(r);
  const srcInfo = await r.deps.store.headObject(r.account, src.bucket, src.key);
  if (!srcInfo) {
    if (!(await r.deps.store.getContainer(r.account, src.bucket))) throw s3err("NoSuchBucket", undefined, { BucketName: src.bucket });
    throw s3err("NoSuchKey", undefined, { Key: src.key });
  }
  conditional(r, srcInfo.etag, srcInfo.lastModified, "x-amz-copy-source-");
  if (src.bucket === r.bucket && src.key === r.key && directive === "COPY") {
    throw s3err("InvalidRequest", "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.");
  }
  const replace = directive === "REPLACE" ? { ...metadataOf(r), contentType: r.c.req.header("content-type") || "binary/octet-stream" } : undefined;
  const info = await r.deps.store.copyObject(
    { account: r.account, container: src.bucket, name: src.key },
    { account: r.account, container: r.bucket!, name: r.key! },
    replace,
  );
  return xmlResponse({
    CopyObjectResult: { "@_xmlns": S3_NS, LastModified: isoMs(info.lastModified), ETag: `"${info.etag}"` },
  });
}
