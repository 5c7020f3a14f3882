/**
 * Static large objects (Swift's slo middleware): `PUT ?multipart-manifest=put`
 * with a JSON list of `{path, etag, size_bytes, range}` checked against the
 * segments; GET streams the concatenation (X-Static-Large-Object: True, ETag
 * the quoted MD5 of the segments' ETags); `?multipart-manifest=get` returns
 * the stored manifest; `DELETE ?multipart-manifest=delete` removes the
 * segments too.
 */
import { createHash } from "node:crypto";
import { ApiError } from "../../core/errors.ts";
import type { ObjectInfo } from "../../objectstore/client.ts";
import { authorize } from "../authz.ts";
import { type SwiftReq, reply } from "../context.ts";
import { parseRange } from "../http.ts";
import { listingTime } from "../listing.ts";
import { bulkBody, bulkOutType, runBulkDelete, statusLine } from "./bulk.ts";
import type { Segment } from "./segments.ts";

export const MAX_MANIFEST_SEGMENTS = 1000;
export const MAX_MANIFEST_SIZE = 8 * 1024 * 1024;
export const SLO_ETAG = "x-object-sysmeta-slo-etag";
export const SLO_SIZE = "x-object-sysmeta-slo-size";

/** One entry of a stored manifest (Swift's own format). */
interface StoredSeg {
  name: string;
  bytes: number;
  hash: string;
  content_type: string;
  last_modified: string;
  range?: string;
  sub_slo?: boolean;
}

interface InputSeg {
  path: string;
  etag?: string | null;
  size_bytes?: number | null;
  range?: string;
}

export const isSlo = (info: ObjectInfo) => /^(true|1|yes|on|t|y)$/i.test(info.headers["x-static-large-object"] ?? "");

function parseInput(body: string, selfPath: string): InputSeg[] {
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    throw new ApiError(400, "Manifest must be valid JSON.\n");
  }
  if (!Array.isArray(data)) throw new ApiError(400, "Manifest must be a list.\n");
  const errors: string[] = [];
  const out: InputSeg[] = [];
  data.forEach((seg: unknown, i) => {
    if (!seg || typeof seg !== "object" || Array.isArray(seg)) return errors.push(`Index ${i}: not a JSON object`);
    const d = seg as Record<string, unknown>;
    if ("data" in d) return errors.push(`Index ${i}: inline data segments are not supported`);
    if (!("path" in d)) return errors.push(`Index ${i}: expected keys to include one of 'path'`);
    const extra = Object.keys(d).filter((k) => !["path", "etag", "size_bytes", "range"].includes(k));
    if (extra.length) return errors.push(`Index ${i}: extraneous keys ${extra.sort().map((k) => JSON.stringify(k)).join(", ")}`);
    if (typeof d.path !== "string") return errors.push(`Index ${i}: "path" must be a string`);
    if (!(d.etag === undefined || d.etag === null || typeof d.etag === "string"))
      return errors.push(`Index ${i}: "etag" must be a string or null (if provided)`);
    const trimmed = d.path.replace(/^\/+|\/+$/g, "");
    if (!trimmed.includes("/"))
      return errors.push(`Index ${i}: path does not refer to an object. Path must be of the form /container/object.`);
    let size: number | undefined;
    if (d.size_bytes !== undefined && d.size_bytes !== null) {
      size = Number(d.size_bytes);
      if (!Number.isInteger(size) || (typeof d.size_bytes === "string" && !/^-?\d+$/.test(d.size_bytes)))
        return errors.push(`Index ${i}: invalid size_bytes`);
      if (size < 1 && i !== data.length - 1) return errors.push(`Index ${i}: too small; each segment must be at least 1 byte.`);
    }
    if ("/" + d.path.replace(/^\/+/, "") === selfPath) return errors.push(`Index ${i}: manifest must not include itself as a segment`);
    let range: string | undefined;
    if (d.range !== undefined && d.range !== null && d.range !== "") {
      if (typeof d.range !== "string" || !/^\s*\d*\s*-\s*\d*\s*$/.test(d.range) || /^\s*-\s*$/.test(d.range))
        return errors.push(`Index ${i}: invalid range`);
      range = d.range.replace(/\s+/g, "");
    }
    out.push({ path: d.path, etag: (d.etag as string | null | undefined) ?? undefined, size_bytes: size, range });
  });
  if (errors.length) throw new ApiError(400, errors.join("\n") + "\n");
  return out;
}

function splitSegPath(path: string): { container: string; object: string } {
  const p = path.replace(/^\/+/, "");
  const i = p.indexOf("/");
  return { container: p.slice(0, i), object: p.slice(i + 1) };
}

const normEtag = (e: string | null | undefined) => (e ? e.replace(/^"(.*)"$/, "$1") : e);

export async function sloPut(r: SwiftReq, contentType: string, metadata: Record<string, string>, headers: Record<string, string>, deleteAt?: number): Promise<Response> {
  if (r.headers.get("x-copy-from")) throw new ApiError(405, "Multipart Manifest PUTs cannot be COPY requests");
  const len = r.headers.get("content-length");
  if (len === null && !/chunked/i.test(r.headers.get("transfer-encoding") ?? "")) throw new ApiError(411, "Length Required");
  if (len !== null && Number(len) > MAX_MANIFEST_SIZE) throw new ApiError(413, `Manifest File > ${MAX_MANIFEST_SIZE} bytes`);
  const body = await r.c.req.text();
  if (Buffer.byteLength(body) > MAX_MANIFEST_SIZE) throw new ApiError(413, `Manifest File > ${MAX_MANIFEST_SIZE} bytes`);
  const input = parseInput(body, `/${r.container}/${r.object}`);
  if (input.length > MAX_MANIFEST_SEGMENTS)
    throw new ApiError(413, `Number of object-backed segments must be <= ${MAX_MANIFEST_SEGMENTS}`);
  const outType = bulkOutType(r.headers.get("accept"));

  const heads = new Map<string, Promise<{ info?: ObjectInfo; status: number }>>();
  for (const seg of input) {
    if (heads.has(seg.path)) continue;
    const { container, object } = splitSegPath(seg.path);
    heads.set(
      seg.path,
      (async () => {
        try {
          const cinfo = await r.store.getContainer(r.account, container);
          authorize({ auth: r.auth, account: r.account, method: "HEAD", isObject: true, acl: cinfo?.readAcl });
          const info = cinfo ? await r.store.headObject(r.account, container, object) : undefined;
          return info ? { info, status: 200 } : { status: 404 };
        } catch (e) {
          if (e instanceof ApiError) return { status: e.status };
          throw e;
        }
      })(),
    );
  }
  const problems: [string, string][] = [];
  const stored: StoredSeg[] = [];
  let total = 0;
  for (let i = 0; i < input.length; i++) {
    const seg = input[i]!;
    const name = encodeURI(seg.path);
    const head = await heads.get(seg.path)!;
    if (!head.info) {
      problems.push([name, statusLine(head.status)]);
      continue;
    }
    const info = head.info;
    let segLen = info.bytes;
    let range = seg.range;
    if (range) {
      const rs = parseRange(`bytes=${range}`, info.bytes);
      if (!rs || rs.length !== 1) {
        problems.push([name, "Unsatisfiable Range"]);
        range = undefined;
      } else if (rs[0]!.start === 0 && rs[0]!.end === info.bytes) range = undefined;
      else {
        range = `${rs[0]!.start}-${rs[0]!.end - 1}`;
        segLen = rs[0]!.end - rs[0]!.start;
      }
    }
    if (segLen < 1 && i !== input.length - 1) problems.push([name, "Too small; each segment must be at least 1 byte."]);
    if (seg.size_bytes !== undefined && seg.size_bytes !== info.bytes) problems.push([name, "Size Mismatch"]);
    if (seg.etag !== undefined && normEtag(seg.etag) !== info.etag) problems.push([name, "Etag Mismatch"]);
    const entry: StoredSeg = {
      name: "/" + seg.path.replace(/^\/+/, ""),
      bytes: info.bytes,
      hash: info.etag,
      content_type: info.contentType,
      last_modified: listingTime(info.lastModified),
    };
    if (range) entry.range = range;
    if (isSlo(info)) entry.sub_slo = true;
    stored.push(entry);
    total += segLen;
  }
  if (problems.length) {
    return reply(r, 400, bulkBody(outType, {}, problems, "upload"), { "Content-Type": outType });
  }
  const md5 = createHash("md5");
  for (const s of stored) md5.update(s.range ? `${s.hash}:${s.range};` : s.hash);
  const sloEtag = md5.digest("hex");
  const clientEtag = normEtag(r.headers.get("etag"));
  if (clientEtag && clientEtag !== sloEtag) throw new ApiError(422, "Unable to process the contained instructions");
  const json = JSON.stringify(stored);
  const info = await r.store.putObject(r.account, r.container!, r.object!, new Blob([json]).stream(), {
    size: Buffer.byteLength(json),
    contentType,
    metadata,
    headers: { ...headers, "x-static-large-object": "True", [SLO_ETAG]: sloEtag, [SLO_SIZE]: String(total) },
    deleteAt,
  });
  return reply(r, 201, null, { Etag: `"${sloEtag}"`, "Last-Modified": new Date(Math.ceil(info.lastModified / 1000) * 1000).toUTCString() });
}

async function readManifest(r: SwiftReq, container: string, object: string): Promise<StoredSeg[]> {
  const { body } = await r.store.openObject(r.account, container, object);
  try {
    const data = JSON.parse(await body.text());
    if (!Array.isArray(data)) throw new Error("not a list");
    return data as StoredSeg[];
  } catch {
    throw new ApiError(500, "Unable to load SLO manifest");
  }
}

/** The leaf segments of an SLO, sub-SLOs expanded (to a depth of 10). */
export async function sloSegments(r: SwiftReq, container: string, object: string, depth = 0): Promise<Segment[]> {
  if (depth > 10) throw new ApiError(409, "Max recursion depth exceeded on SLO manifest");
  const out: Segment[] = [];
  for (const s of await readManifest(r, container, object)) {
    const { container: c, object: o } = splitSegPath(s.name);
    let start = 0;
    let end = s.bytes;
    if (s.range) {
      const rs = parseRange(`bytes=${s.range}`, s.bytes);
      if (rs?.length === 1) ({ start, end } = rs[0]!);
    }
    if (s.sub_slo) {
      const subs = await sloSegments(r, c, o, depth + 1);
      // apply this entry's range to the sub-SLO's concatenation
      let pos = 0;
      for (const sub of subs) {
        const len = sub.end - sub.start;
        const a = Math.max(start, pos);
        const b = Math.min(end, pos + len);
        if (a < b) out.push({ ...sub, start: sub.start + (a - pos), end: sub.start + (b - pos) });
        pos += len;
      }
      continue;
    }
    out.push({ account: r.account, container: c, name: o, bytes: s.bytes, etag: s.hash, start, end });
  }
  return out;
}

/** `GET ?multipart-manifest=get`: the stored manifest (or, with format=raw, the PUT form). */
export async function sloManifestGet(r: SwiftReq, info: ObjectInfo, base: Record<string, string>): Promise<Response> {
  const segs = await readManifest(r, r.container!, r.object!);
  if (r.query.get("format") === "raw") {
    const raw = JSON.stringify(
      segs.map((s) => ({ path: s.name, etag: s.hash, size_bytes: s.bytes, ...(s.range ? { range: s.range } : {}) })),
    );
    return reply(r, 200, raw, {
      ...base,
      "Content-Type": info.contentType,
      Etag: createHash("md5").update(raw).digest("hex"),
      "Content-Length": String(Buffer.byteLength(raw)),
    });
  }
  const json = JSON.stringify(segs);
  return reply(r, 200, json, {
    ...base,
    "Content-Type": "application/json; charset=utf-8",
    Etag: info.etag,
    "Content-Length": String(Buffer.byteLength(json)),
  });
}

/** `DELETE ?multipart-manifest=delete`: the segments (sub-SLOs recursively), then the manifest. */
export async function sloDelete(r: SwiftReq): Promise<Response> {
  const type = bulkOutType(r.headers.get("accept"));
  const items: { name: string; error?: { code: number; message: string } }[] = [];
  const queue: { name: string; sub: boolean }[] = [{ name: `/${r.container}/${r.object}`, sub: true }];
  while (queue.length) {
    if (queue.length > MAX_MANIFEST_SEGMENTS * 10) throw new ApiError(400, "Too many buffered slo segments to delete.");
    const seg = queue.shift()!;
    if (!seg.sub) {
      items.push({ name: seg.name });
      continue;
    }
    const { container, object } = splitSegPath(seg.name);
    let error: { code: number; message: string } | undefined;
    try {
      const cinfo = await r.store.getContainer(r.account, container);
      authorize({ auth: r.auth, account: r.account, method: "GET", isObject: true, acl: cinfo?.readAcl });
      const info = cinfo ? await r.store.headObject(r.account, container, object) : undefined;
      if (!info) error = { code: 404, message: "SLO manifest not found" };
      else if (!isSlo(info)) error = { code: 400, message: "Not an SLO manifest" };
      else for (const s of await readManifest(r, container, object)) queue.push({ name: s.name, sub: !!s.sub_slo });
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      error = { code: e.status, message: e.message };
    }
    // the manifest itself goes after its segments
    queue.push({ name: seg.name, sub: false });
    if (error) {
      queue.pop();
      items.push({ name: seg.name, error });
    }
  }
  return runBulkDelete(r, items, type);
}
