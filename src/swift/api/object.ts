/**
 * Objects: PUT (streamed to the store, ETag checked), GET/HEAD (ranges,
 * conditionals, DLO/SLO concatenation), POST (metadata), DELETE, COPY and
 * PUT with X-Copy-From.
 */
import { ApiError } from "../../core/errors.ts";
import type { ObjectInfo } from "../../objectstore/client.ts";
import { authorize } from "../authz.ts";
import { type SwiftReq, reply } from "../context.ts";
import {
  type ByteRange,
  conditionalStatus,
  deleteAt as deleteAtOf,
  httpDate,
  metaFromHeaders,
  parseRange,
  titleHeader,
  xTimestamp,
} from "../http.ts";
import { checkObjectName, splitContainerObject } from "../path.ts";
import { dispositionFormat } from "../tempurl.ts";
import { mustContainer } from "./container.ts";
import { checkManifestHeader, dloSegments } from "./dlo.ts";
import { concatSegments, type Segment, sliceSegments } from "./segments.ts";
import { isSlo, SLO_ETAG, SLO_SIZE, sloDelete, sloManifestGet, sloPut, sloSegments } from "./slo.ts";

/** Headers stored with an object and returned on GET/HEAD (Swift's object-server allowed_headers). */
export const ALLOWED_HEADERS = [
  "content-disposition",
  "content-encoding",
  "x-object-manifest",
  "cache-control",
  "content-language",
  "expires",
  "x-robots-tag",
];
const TITLES: Record<string, string> = {
  "content-disposition": "Content-Disposition",
  "content-encoding": "Content-Encoding",
  "x-object-manifest": "X-Object-Manifest",
  "x-static-large-object": "X-Static-Large-Object",
  "cache-control": "Cache-Control",
  "content-language": "Content-Language",
  expires: "Expires",
  "x-robots-tag": "X-Robots-Tag",
};

export const objectNotFound = () => new ApiError(404, "The resource could not be found.");

const TRUE = /^(true|1|yes|on|t|y)$/i;

/** Swift's Content-Type guess (mimetypes.guess_type) for a PUT without one. */
export function guessType(name: string): string {
  const t = Bun.file(name).type;
  return t.split(";")[0]!.trim() || "application/octet-stream";
}

/** The content's ETag as Swift shows it: the stored bytes' MD5 (an S3 multipart object included). */
const etagOf = (info: ObjectInfo) => info.md5 || info.etag;

function objectHeaders(r: SwiftReq, info: ObjectInfo): Record<string, string> {
  const h: Record<string, string> = {
    "Content-Type": info.contentType,
    Etag: etagOf(info),
    "Last-Modified": httpDate(info.lastModified),
    "X-Timestamp": xTimestamp(info.lastModified),
    "Accept-Ranges": "bytes",
  };
  for (const [k, v] of Object.entries(info.metadata)) {
    // a TempURL download strips user metadata but x-object-meta-public-*
    if (r.tempurl && !k.startsWith("public-")) continue;
    h[titleHeader("X-Object-Meta-", k)] = v;
  }
  for (const [k, v] of Object.entries(info.headers)) {
    const t = TITLES[k];
    if (t) h[t] = v;
  }
  if (info.deleteAt) h["X-Delete-At"] = String(info.deleteAt);
  return h;
}

/** An object that exists and has not expired. */
async function mustObject(r: SwiftReq, container = r.container!, object = r.object!, account = r.account): Promise<ObjectInfo> {
  const info = await r.store.headObject(account, container, object);
  if (!info || (info.deleteAt && info.deleteAt * 1000 <= r.now)) throw objectNotFound();
  return info;
}

const emptyStream = () => new ReadableStream<Uint8Array>({ start: (c) => c.close() });

/** Allowed system headers given in a request (PUT/POST/COPY), names lowercased. */
function allowedHeadersOf(r: SwiftReq): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ALLOWED_HEADERS) {
    const v = r.headers.get(k);
    if (v !== null) out[k] = k === "x-object-manifest" ? checkManifestHeader(v) : v;
  }
  return out;
}

function contentTypeOf(r: SwiftReq, name: string): string {
  const ct = r.headers.get("content-type");
  if (!ct || TRUE.test(r.headers.get("x-detect-content-type") ?? "")) return guessType(name);
  return ct;
}

// ---------------------------------------------------------------- PUT

export async function putObject(r: SwiftReq): Promise<Response> {
  if (r.query.get("multipart-manifest") === "put") {
    checkObjectName(r.object!);
    await mustContainer(r);
    if (r.tempurl) throw new ApiError(400, "Multipart manifests are not allowed in a TempURL PUT");
    const md = metaFromHeaders(r.headers, "object");
    return sloPut(r, contentTypeOf(r, r.object!), md.set, allowedHeadersOf(r), deleteAtOf(r.headers, r.now));
  }
  const copyFrom = r.headers.get("x-copy-from");
  if (copyFrom !== null) {
    const len = r.headers.get("content-length");
    if (len && Number(len) > 0) throw new ApiError(400, "Copy requests require a zero byte body");
    const src = splitContainerObject(copyFrom, "X-Copy-From");
    const srcAccount = r.headers.get("x-copy-from-account") ?? r.account;
    return copy(r, { account: srcAccount, container: src.container, object: src.object }, {
      account: r.account,
      container: r.container!,
      object: r.object!,
    });
  }
  checkObjectName(r.object!);
  if (r.headers.get("x-static-large-object") !== null)
    throw new ApiError(400, "X-Static-Large-Object is a reserved header. To create a static large object add query param multipart-manifest=put.");
  if (r.tempurl && r.headers.get("x-object-manifest") !== null)
    throw new ApiError(400, "The header X-Object-Manifest is not allowed in a TempURL PUT");
  const lenHeader = r.headers.get("content-length");
  const chunked = /chunked/i.test(r.headers.get("transfer-encoding") ?? "");
  const raw = r.c.req.raw.body;
  let size: number | undefined;
  if (lenHeader !== null && !chunked) {
    if (!/^\d+$/.test(lenHeader.trim())) throw new ApiError(400, "Invalid Content-Length");
    size = Number(lenHeader);
  } else if (!chunked && raw === null) throw new ApiError(411, "Missing Content-Length header.");
  if (size !== undefined && size > r.env.maxFileSize) throw new ApiError(413, "Your request is too large.");
  await mustContainer(r);
  const md = metaFromHeaders(r.headers, "object");
  const headers = allowedHeadersOf(r);
  const deleteAt = deleteAtOf(r.headers, r.now);
  const contentType = contentTypeOf(r, r.object!);
  const etagHeader = r.headers.get("etag");
  const md5 = etagHeader ? etagHeader.trim().replace(/^"(.*)"$/, "$1").toLowerCase() : undefined;
  if (r.headers.get("if-none-match") !== null) {
    const inm = r.headers.get("if-none-match")!.trim();
    if (inm !== "*") throw new ApiError(400, "If-None-Match only supports *");
    const existing = await r.store.headObject(r.account, r.container!, r.object!);
    if (existing && !(existing.deleteAt && existing.deleteAt * 1000 <= r.now)) throw new ApiError(412, "A precondition for this request was not met.");
  }
  // The store enforces the size limit while streaming (413, nothing left behind).
  const body = raw ?? emptyStream();
  let info: ObjectInfo;
  try {
    info = await r.store.putObject(r.account, r.container!, r.object!, body, { size, md5, contentType, metadata: md.set, headers, deleteAt });
  } catch (e) {
    if (e instanceof ApiError && e.status === 422) throw new ApiError(422, "Unable to process the contained instructions");
    if (e instanceof ApiError && (e.status === 413 || e.type === "EntityTooLarge")) throw new ApiError(413, "Your request is too large.");
    if (e instanceof ApiError && e.type === "IncompleteBody") throw new ApiError(499, "Client Disconnect");
    throw e;
  }
  return reply(r, 201, null, { Etag: etagOf(info), "Last-Modified": httpDate(info.lastModified) });
}

// ---------------------------------------------------------------- GET / HEAD

/** A multipart/byteranges body for several ranges of one content. */
function multipartBody(
  parts: { range: ByteRange; open: () => ReadableStream<Uint8Array> }[],
  total: number,
  contentType: string,
): { body: ReadableStream<Uint8Array>; length: number; boundary: string } {
  const boundary = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("hex");
  const enc = new TextEncoder();
  const pieces: (Uint8Array | (() => ReadableStream<Uint8Array>))[] = [];
  let length = 0;
  parts.forEach((p, i) => {
    const head = enc.encode(
      `${i ? "\r\n" : ""}--${boundary}\r\nContent-Type: ${contentType}\r\nContent-Range: bytes ${p.range.start}-${p.range.end - 1}/${total}\r\n\r\n`,
    );
    pieces.push(head, p.open);
    length += head.byteLength + (p.range.end - p.range.start);
  });
  const tail = enc.encode(`\r\n--${boundary}--`);
  pieces.push(tail);
  length += tail.byteLength;
  let i = 0;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  const body = new ReadableStream<Uint8Array>({
    async pull(ctl) {
      for (;;) {
        if (reader) {
          const { done, value } = await reader.read();
          if (!done) {
            ctl.enqueue(value);
            return;
          }
          reader = undefined;
        }
        const p = pieces[i++];
        if (p === undefined) {
          ctl.close();
          return;
        }
        if (p instanceof Uint8Array) {
          ctl.enqueue(p);
          return;
        }
        reader = p().getReader() as ReadableStreamDefaultReader<Uint8Array>;
      }
    },
    async cancel() {
      await reader?.cancel();
    },
  });
  return { body, length, boundary };
}

/**
 * Answer a GET/HEAD of some content of `total` bytes: conditionals, then
 * Range (206, multipart for several ranges, 416), else 200.
 */
function serveContent(
  r: SwiftReq,
  headers: Record<string, string>,
  etag: string,
  lastModified: number,
  total: number,
  open: (range: ByteRange) => ReadableStream<Uint8Array> | Blob,
): Response {
  const cond = conditionalStatus(r.headers, etag.replace(/^"(.*)"$/, "$1"), lastModified);
  if (cond === 304) {
    const h = { ...headers };
    delete h["Content-Length"];
    return reply(r, 304, null, h);
  }
  if (cond === 412) throw new ApiError(412, "A precondition for this request was not met.", undefined, { Etag: headers.Etag ?? etag, "Last-Modified": headers["Last-Modified"] ?? "" });
  const ranges = parseRange(r.headers.get("range") ?? undefined, total);
  if (ranges && ranges.length === 0)
    throw new ApiError(416, "The Range requested is not available.", undefined, { "Content-Range": `bytes */${total}`, "Accept-Ranges": "bytes" });
  if (!ranges) {
    headers["Content-Length"] = String(total);
    if (r.method === "HEAD") return reply(r, 200, null, headers);
    return reply(r, 200, open({ start: 0, end: total }), headers);
  }
  if (ranges.length === 1) {
    const rg = ranges[0]!;
    headers["Content-Length"] = String(rg.end - rg.start);
    headers["Content-Range"] = `bytes ${rg.start}-${rg.end - 1}/${total}`;
    if (r.method === "HEAD") return reply(r, 206, null, headers);
    return reply(r, 206, open(rg), headers);
  }
  const asStream = (rg: ByteRange) => {
    const b = open(rg);
    return b instanceof Blob ? (b.stream() as ReadableStream<Uint8Array>) : b;
  };
  const mp = multipartBody(
    ranges.map((range) => ({ range, open: () => asStream(range) })),
    total,
    headers["Content-Type"] ?? "application/octet-stream",
  );
  headers["Content-Type"] = `multipart/byteranges;boundary=${mp.boundary}`;
  headers["Content-Length"] = String(mp.length);
  if (r.method === "HEAD") return reply(r, 206, null, headers);
  return reply(r, 206, mp.body, headers);
}

function withDisposition(r: SwiftReq, headers: Record<string, string>): void {
  if (!r.tempurl) return;
  const { filename, inline } = r.tempurl.params;
  const base = r.object!.replace(/\/+$/, "").split("/").pop() ?? r.object!;
  if (inline) headers["Content-Disposition"] = filename ? dispositionFormat("inline", filename) : "inline";
  else if (filename) headers["Content-Disposition"] = dispositionFormat("attachment", filename);
  else if (!headers["Content-Disposition"]) headers["Content-Disposition"] = dispositionFormat("attachment", base);
  headers["Expires"] = new Date(r.tempurl.params.expires * 1000).toUTCString();
}

export async function getObject(r: SwiftReq): Promise<Response> {
  // A GET opens the file at once: its slices go out with sendfile, and the
  // headers describe exactly the bytes sent even if the object is replaced meanwhile.
  let info: ObjectInfo;
  let blob: Blob | undefined;
  if (r.method === "HEAD") info = await mustObject(r);
  else {
    let opened;
    try {
      opened = await r.store.openObject(r.account, r.container!, r.object!);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) throw objectNotFound();
      throw e;
    }
    info = opened.info;
    blob = opened.body;
    if (info.deleteAt && info.deleteAt * 1000 <= r.now) throw objectNotFound();
  }
  const headers = objectHeaders(r, info);
  withDisposition(r, headers);
  const mm = r.query.get("multipart-manifest");
  if (isSlo(info)) {
    if (mm === "get") return sloManifestGet(r, info, headers);
    const etag = info.headers[SLO_ETAG];
    const sizeHeader = info.headers[SLO_SIZE];
    const segs = await sloSegments(r, r.container!, r.object!);
    const total = sizeHeader !== undefined ? Number(sizeHeader) : segs.reduce((n, s) => n + (s.end - s.start), 0);
    headers["Etag"] = `"${etag ?? ""}"`;
    headers["X-Manifest-Etag"] = info.etag;
    return largeObject(r, headers, headers["Etag"], info.lastModified, total, segs);
  }
  const manifest = info.headers["x-object-manifest"];
  if (manifest !== undefined && mm !== "get") {
    const dlo = await dloSegments(r, manifest);
    headers["Etag"] = dlo.etag;
    return largeObject(r, headers, dlo.etag, info.lastModified, dlo.bytes, dlo.segs);
  }
  return serveContent(r, headers, etagOf(info), info.lastModified, info.bytes, (rg) =>
    // always a slice: Bun labels a whole BunFile body with Content-Disposition: filename="<its path>"
    blob!.slice(rg.start, rg.end),
  );
}

function largeObject(
  r: SwiftReq,
  headers: Record<string, string>,
  etag: string,
  lastModified: number,
  total: number,
  segs: Segment[],
): Response {
  return serveContent(r, headers, etag, lastModified, total, (rg) =>
    concatSegments(r.store, sliceSegments(segs, rg), (m) => r.env.log.warn(m)),
  );
}

// ---------------------------------------------------------------- POST / DELETE

export async function postObject(r: SwiftReq): Promise<Response> {
  const info = await mustObject(r);
  const md = metaFromHeaders(r.headers, "object");
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(info.headers)) if (!ALLOWED_HEADERS.includes(k)) headers[k] = v;
  Object.assign(headers, allowedHeadersOf(r));
  const deleteAt = r.headers.get("x-remove-delete-at") !== null ? null : (deleteAtOf(r.headers, r.now) ?? null);
  const ct = r.headers.get("content-type");
  await r.store.updateObject(r.account, r.container!, r.object!, {
    metadata: md.set,
    contentType: ct ?? undefined,
    headers,
    deleteAt,
  });
  return reply(r, 202, "<html><h1>Accepted</h1><p>The request is accepted for processing.</p></html>");
}

export async function deleteObject(r: SwiftReq): Promise<Response> {
  if (r.query.get("multipart-manifest") === "delete") return sloDelete(r);
  const info = await r.store.headObject(r.account, r.container!, r.object!);
  if (!info) {
    await mustContainer(r);
    throw objectNotFound();
  }
  const existed = await r.store.deleteObject(r.account, r.container!, r.object!);
  if (!existed || (info.deleteAt && info.deleteAt * 1000 <= r.now)) throw objectNotFound();
  return reply(r, 204, null);
}

// ---------------------------------------------------------------- COPY

type Loc = { account: string; container: string; object: string };

/** COPY with `Destination: <container>/<object>` (and optional Destination-Account). */
export async function copyMethod(r: SwiftReq): Promise<Response> {
  const dest = r.headers.get("destination");
  if (!dest) throw new ApiError(412, "You must provide a Destination header");
  const d = splitContainerObject(dest, "Destination");
  const account = r.headers.get("destination-account") ?? r.account;
  return copy(r, { account: r.account, container: r.container!, object: r.object! }, { account, container: d.container, object: d.object });
}

async function copy(r: SwiftReq, src: Loc, dst: Loc): Promise<Response> {
  checkObjectName(dst.object);
  // the caller must be able to read the source and write the destination
  const srcC = await r.store.getContainer(src.account, src.container);
  authorize({ auth: r.auth, account: src.account, method: "GET", isObject: true, acl: srcC?.readAcl, referer: r.headers.get("referer") ?? undefined });
  const dstC = await r.store.getContainer(dst.account, dst.container);
  if (!r.tempurl || dst.account !== r.account || dst.container !== r.container)
    authorize({ auth: r.auth, account: dst.account, method: "PUT", isObject: true, acl: dstC?.writeAcl });
  if (!srcC) throw objectNotFound();
  const info = await mustObject(r, src.container, src.object, src.account);
  if (!dstC) throw objectNotFound();

  const fresh = TRUE.test(r.headers.get("x-fresh-metadata") ?? "");
  const md = metaFromHeaders(r.headers, "object");
  const metadata = fresh ? md.set : { ...info.metadata, ...md.set };
  for (const k of md.remove) delete metadata[k];
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(info.headers))
    if (k !== "x-object-manifest" && k !== "x-static-large-object" && !k.startsWith("x-object-sysmeta-slo-")) headers[k] = v;
  Object.assign(headers, allowedHeadersOf(r));
  const contentType = r.headers.get("content-type") ?? info.contentType;
  const deleteAt = deleteAtOf(r.headers, r.now);
  const mm = r.query.get("multipart-manifest") === "get";

  let out: ObjectInfo;
  const srcIsSlo = isSlo(info);
  const srcDlo = info.headers["x-object-manifest"];
  if ((srcIsSlo || srcDlo !== undefined) && !mm) {
    // a large object is copied as its concatenated content
    const sr = { ...r, account: src.account };
    const segs = srcIsSlo ? await sloSegments(sr, src.container, src.object) : (await dloSegments(sr, srcDlo!)).segs;
    const total = segs.reduce((n, s) => n + (s.end - s.start), 0);
    if (total > r.env.maxFileSize) throw new ApiError(413, "Your request is too large.");
    out = await r.store.putObject(dst.account, dst.container, dst.object, concatSegments(r.store, segs), {
      size: total,
      contentType,
      metadata,
      headers,
      deleteAt,
    });
  } else {
    if (mm) {
      for (const k of ["x-object-manifest", "x-static-large-object", SLO_ETAG, SLO_SIZE])
        if (info.headers[k] !== undefined) headers[k] = info.headers[k]!;
    }
    out = await r.store.copyObject(
      { account: src.account, container: src.container, name: src.object },
      { account: dst.account, container: dst.container, name: dst.object },
      { metadata, headers, contentType, deleteAt },
    );
  }
  const meta: Record<string, string> = {};
  for (const [k, v] of Object.entries(out.metadata)) meta[titleHeader("X-Object-Meta-", k)] = v;
  return reply(r, 201, null, {
    ...meta,
    Etag: srcIsSlo && mm ? out.etag : etagOf(out),
    "Last-Modified": httpDate(out.lastModified),
    "X-Copied-From": encodeURI(`${src.container}/${src.object}`),
    "X-Copied-From-Account": encodeURI(src.account),
    "X-Copied-From-Last-Modified": httpDate(info.lastModified),
  });
}
