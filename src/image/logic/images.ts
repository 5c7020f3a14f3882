/** Images: create, show, list, JSON-Patch update, delete, tags, deactivate/reactivate. */
import { ApiError, badRequest, conflict, forbidden } from "../../core/errors.ts";
import { parse } from "../../core/validate.ts";
import type { Caller, ImageCtx } from "../ctx.ts";
import { DATA_CONTAINER, STAGING_CONTAINER } from "../ctx.ts";
import { BASE, CreateImage, Patch, READ_ONLY, RESERVED, writable, VISIBILITIES, MEMBER_STATUSES } from "../schemas/image.ts";
import type { Image } from "../store.ts";
import { modifiableImage, visibleImage } from "./access.ts";

export const PROPERTY_QUOTA = 128;
export const TAG_QUOTA = 128;

const readOnly = (k: string) => forbidden(`Attribute '${k}' is read-only.`);
const reserved = (k: string) => forbidden(`Attribute '${k}' is reserved.`);

function checkKey(k: string): void {
  if (RESERVED.has(k) || k.startsWith("os_glance")) throw reserved(k);
  if (READ_ONLY.has(k)) throw readOnly(k);
}

function checkProperty(k: string, v: unknown): string {
  if (k.length > 255) throw badRequest(`Property name '${k.slice(0, 40)}…' is longer than 255 characters.`);
  if (typeof v !== "string") throw badRequest(`Provided object does not match schema 'image': ${JSON.stringify(v)} is not of type 'string' (property '${k}')`);
  if (v.length > 65535) throw badRequest(`Property '${k}' is longer than 65535 characters.`);
  return v;
}

function quota(props: Record<string, string>): void {
  const n = Object.keys(props).length;
  if (n > PROPERTY_QUOTA) throw new ApiError(413, `Attempted to add ${n} properties, maximum ${PROPERTY_QUOTA}`);
}

function publicize(c: Caller, v: string | undefined): void {
  if (v === "public" && !c.isAdmin) throw forbidden("You are not authorized to complete publicize_image action.");
}

function schemaError(e: unknown): never {
  if (e instanceof ApiError && e.status === 400) throw badRequest(`Provided object does not match schema 'image': ${e.message}`);
  throw e;
}

/** POST /v2/images: a queued image owned by the caller's project (or, for an admin, by `owner`). */
export function createImage(ctx: ImageCtx, c: Caller, body: unknown): Image {
  if (c.readOnly || (!c.projectId && !c.isAdmin)) throw forbidden("You are not authorized to complete add_image action.");
  if (!body || typeof body !== "object" || Array.isArray(body)) throw badRequest("Image body must be a JSON object.");
  for (const k of Object.keys(body)) if (k !== "id") checkKey(k);
  let b: CreateImage;
  try {
    b = parse(CreateImage, body);
  } catch (e) {
    schemaError(e);
  }
  publicize(c, b.visibility);
  if (b.owner != null && b.owner !== c.projectId && !c.isAdmin)
    throw forbidden(`You are not permitted to create images owned by '${b.owner}'.`);
  const properties: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) if (!BASE.has(k)) properties[k] = checkProperty(k, v);
  quota(properties);
  const now = ctx.clock.now();
  const id = b.id ? normalizeUuid(b.id) : crypto.randomUUID();
  const img: Image = {
    id,
    name: b.name ?? null,
    status: "queued",
    visibility: b.visibility ?? "shared",
    protected: b.protected ?? false,
    osHidden: b.os_hidden ?? false,
    owner: b.owner === undefined ? c.projectId || null : b.owner,
    diskFormat: b.disk_format ?? null,
    containerFormat: b.container_format ?? null,
    minDisk: b.min_disk ?? 0,
    minRam: b.min_ram ?? 0,
    size: null,
    virtualSize: null,
    checksum: null,
    osHashAlgo: null,
    osHashValue: null,
    object: null,
    staged: null,
    properties,
    tags: [...new Set(b.tags ?? [])],
    createdAt: now,
    updatedAt: now,
  };
  ctx.store.tx(() => {
    if (ctx.store.get(id)) throw conflict(`Image with identifier ${id} already exists!`);
    ctx.store.insert(img);
  });
  ctx.log.info(`image ${id} created (${img.name ?? "unnamed"}, owner ${img.owner}, ${img.visibility})`);
  return ctx.store.get(id)!;
}

export function normalizeUuid(s: string): string {
  const h = s.replaceAll("-", "").toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export const showImage = (ctx: ImageCtx, c: Caller, id: string): Image => visibleImage(ctx, c, id);

type Op = { op: "add" | "replace" | "remove"; path: string; value?: unknown };

function normalizeOps(body: unknown): Op[] {
  const ops = parse(Patch, body);
  return ops.map((o) => {
    if ("op" in o) return o as Op;
    if ("add" in o) return { op: "add", path: o.add, value: o.value };
    if ("replace" in o) return { op: "replace", path: o.replace, value: o.value };
    return { op: "remove", path: (o as { remove: string }).remove };
  });
}

function pointer(path: string): string[] {
  if (!path.startsWith("/")) throw badRequest(`Pointer \`${path}\` does not start with "/".`);
  return path
    .slice(1)
    .split("/")
    .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
}

/** PATCH /v2/images/{id}: all operations apply, or none (one transaction, validated first). */
export function patchImage(ctx: ImageCtx, c: Caller, id: string, body: unknown): Image {
  const ops = normalizeOps(body);
  return ctx.store.tx(() => {
    const img = modifiableImage(ctx, c, id);
    const d: Image = { ...img, properties: { ...img.properties }, tags: [...img.tags] };
    for (const op of ops) {
      const segs = pointer(op.path);
      const k = segs[0]!;
      if (k === "locations") throw forbidden("It's not allowed to update locations if locations are invisible.");
      if (segs.length !== 1 || !k) throw badRequest(`Invalid JSON pointer for this resource: '${op.path}'`);
      checkKey(k);
      if (BASE.has(k)) {
        if (op.op === "remove") throw forbidden(`Property ${k} may not be removed.`);
        applyBase(c, d, img, k, op.value);
      } else if (op.op === "remove") {
        if (!(k in d.properties)) throw conflict(`Property ${k} does not exist.`);
        delete d.properties[k];
      } else {
        if (op.op === "replace" && !(k in d.properties)) throw conflict(`Property ${k} does not exist.`);
        d.properties[k] = checkProperty(k, op.value);
      }
    }
    quota(d.properties);
    d.updatedAt = ctx.clock.now();
    const { tags, id: _id, ...cols } = d;
    ctx.store.update(id, cols);
    if (tags.join("\n") !== img.tags.join("\n")) ctx.store.setTags(id, tags, d.updatedAt);
    return ctx.store.get(id)!;
  });
}

function applyBase(c: Caller, d: Image, orig: Image, k: string, value: unknown): void {
  const field = (writable as Record<string, import("zod").ZodType>)[k];
  if (!field) throw readOnly(k);
  const r = field.safeParse(value);
  if (!r.success) throw badRequest(`Provided object does not match schema 'image': Invalid value ${JSON.stringify(value)} for '${k}': ${r.error.issues[0]?.message ?? "invalid"}`);
  const v = r.data as never;
  switch (k) {
    case "name": d.name = v; break;
    case "visibility":
      if (v !== orig.visibility) publicize(c, v);
      d.visibility = v;
      break;
    case "protected": d.protected = v; break;
    case "os_hidden": d.osHidden = v; break;
    case "owner":
      if (!c.isAdmin && v !== orig.owner) throw readOnly("owner");
      d.owner = v;
      break;
    case "disk_format":
    case "container_format":
      if (orig.status !== "queued" && v !== (k === "disk_format" ? orig.diskFormat : orig.containerFormat))
        throw forbidden(`Attribute ${k} can be only replaced for a queued image.`);
      if (k === "disk_format") d.diskFormat = v;
      else d.containerFormat = v;
      break;
    case "min_disk": d.minDisk = v; break;
    case "min_ram": d.minRam = v; break;
    case "tags": {
      const tags = [...new Set(v as string[])];
      if (tags.length > TAG_QUOTA) throw new ApiError(413, `Attempted to add ${tags.length} tags, maximum ${TAG_QUOTA}`);
      d.tags = tags;
      break;
    }
    default:
      throw readOnly(k);
  }
}

/** DELETE /v2/images/{id}: the row first (the image is gone at once), then its objects. */
export async function deleteImage(ctx: ImageCtx, c: Caller, id: string): Promise<void> {
  const img = ctx.store.tx(() => {
    const img = modifiableImage(ctx, c, id, "delete");
    if (img.protected) throw forbidden(`Image ${id} is protected and cannot be deleted.`);
    ctx.store.delete(id);
    return img;
  });
  ctx.log.info(`image ${id} deleted`);
  await removeObjects(ctx, img);
}

export async function removeObjects(ctx: ImageCtx, img: Pick<Image, "id" | "object" | "staged">): Promise<void> {
  const account = await ctx.account();
  for (const [container, name] of [[DATA_CONTAINER, img.object], [STAGING_CONTAINER, img.staged]] as const) {
    if (!name) continue;
    try {
      await ctx.objects.deleteObject(account, container, name);
    } catch (e) {
      ctx.log.warn(`image ${img.id}: could not delete ${container}/${name}: ${(e as Error).message}`);
    }
  }
}

export function addTag(ctx: ImageCtx, c: Caller, id: string, tag: string): void {
  if (!tag || tag.length > 255) throw badRequest(`Invalid tag: must be 1 to 255 characters.`);
  ctx.store.tx(() => {
    const img = modifiableImage(ctx, c, id);
    if (img.tags.includes(tag)) return;
    if (img.tags.length + 1 > TAG_QUOTA) throw new ApiError(413, `Attempted to add ${img.tags.length + 1} tags, maximum ${TAG_QUOTA}`);
    const now = ctx.clock.now();
    ctx.store.addTag(id, tag, now);
    ctx.store.update(id, { updatedAt: now });
  });
}

export function deleteTag(ctx: ImageCtx, c: Caller, id: string, tag: string): void {
  ctx.store.tx(() => {
    modifiableImage(ctx, c, id);
    if (!ctx.store.removeTag(id, tag)) throw new ApiError(404, `Tag ${tag} not found.`);
    ctx.store.update(id, { updatedAt: ctx.clock.now() });
  });
}

export function deactivate(ctx: ImageCtx, c: Caller, id: string): void {
  ctx.store.tx(() => {
    const img = modifiableImage(ctx, c, id, "deactivate");
    if (img.status === "deactivated") return;
    if (img.status !== "active") throw forbidden(`Not allowed to deactivate image in status '${img.status}'`);
    ctx.store.update(id, { status: "deactivated", updatedAt: ctx.clock.now() });
  });
}

export function reactivate(ctx: ImageCtx, c: Caller, id: string): void {
  ctx.store.tx(() => {
    const img = modifiableImage(ctx, c, id, "reactivate");
    if (img.status === "active") return;
    if (img.status !== "deactivated") throw forbidden(`Not allowed to reactivate image in status '${img.status}'`);
    ctx.store.update(id, { status: "active", updatedAt: ctx.clock.now() });
  });
}

// --- list -----------------------------------------------------------------------

const SORT_KEYS: Record<string, (i: Image) => string | number | null> = {
  name: (i) => i.name,
  status: (i) => i.status,
  container_format: (i) => i.containerFormat,
  disk_format: (i) => i.diskFormat,
  size: (i) => i.size,
  virtual_size: (i) => i.virtualSize,
  id: (i) => i.id,
  created_at: (i) => i.createdAt,
  updated_at: (i) => i.updatedAt,
  min_disk: (i) => i.minDisk,
  min_ram: (i) => i.minRam,
  owner: (i) => i.owner,
  visibility: (i) => i.visibility,
  protected: (i) => (i.protected ? 1 : 0),
  os_hidden: (i) => (i.osHidden ? 1 : 0),
};

const COLUMN_FILTERS: Record<string, { col: string; type: "str" | "int" | "bool" }> = {
  name: { col: "name", type: "str" },
  status: { col: "status", type: "str" },
  owner: { col: "owner", type: "str" },
  id: { col: "id", type: "str" },
  disk_format: { col: "disk_format", type: "str" },
  container_format: { col: "container_format", type: "str" },
  checksum: { col: "checksum", type: "str" },
  os_hash_value: { col: "os_hash_value", type: "str" },
  size: { col: "size", type: "int" },
  virtual_size: { col: "virtual_size", type: "int" },
  min_disk: { col: "min_disk", type: "int" },
  min_ram: { col: "min_ram", type: "int" },
  protected: { col: "protected", type: "bool" },
};

const OPS: Record<string, string> = { eq: "=", neq: "!=", gt: ">", gte: ">=", lt: "<", lte: "<=" };

export interface ListResult {
  images: Image[];
  next?: string;
}

/**
 * GET /v2/images: visibility rules in SQL, then the filters, sort keys and
 * marker/limit pagination Glance accepts.
 */
export function listImages(ctx: ImageCtx, c: Caller, q: URLSearchParams): ListResult {
  const where: string[] = [];
  const params: (string | number)[] = [];
  const one = (k: string) => {
    const all = q.getAll(k);
    return all.length ? all[all.length - 1] : undefined;
  };

  const visibility = one("visibility");
  if (visibility && visibility !== "all" && !(VISIBILITIES as readonly string[]).includes(visibility))
    throw badRequest(`Invalid visibility value: ${visibility}`);
  const memberStatus = one("member_status") ?? "accepted";
  if (memberStatus !== "all" && !(MEMBER_STATUSES as readonly string[]).includes(memberStatus))
    throw badRequest(`Invalid status value: ${memberStatus}`);
  const memberClause = memberStatus === "all"
    ? "EXISTS (SELECT 1 FROM image_members m WHERE m.image_id = i.id AND m.member = ?)"
    : "EXISTS (SELECT 1 FROM image_members m WHERE m.image_id = i.id AND m.member = ? AND m.status = ?)";
  const memberParams = memberStatus === "all" ? [c.projectId] : [c.projectId, memberStatus];

  if (c.isAdmin) {
    if (visibility && visibility !== "all") {
      where.push("i.visibility = ?");
      params.push(visibility);
    }
  } else {
    const p = c.projectId;
    switch (visibility) {
      case undefined:
        where.push(`(i.visibility = 'public' OR i.owner = ? OR (i.visibility = 'shared' AND ${memberClause}))`);
        params.push(p, ...memberParams);
        break;
      case "all":
        where.push(`(i.visibility IN ('public', 'community') OR i.owner = ? OR (i.visibility = 'shared' AND ${memberClause}))`);
        params.push(p, ...memberParams);
        break;
      case "public":
      case "community":
        where.push("i.visibility = ?");
        params.push(visibility);
        break;
      case "private":
        where.push("i.visibility = 'private' AND i.owner = ?");
        params.push(p);
        break;
      case "shared":
        if (q.has("member_status")) where.push(`i.visibility = 'shared' AND ${memberClause}`);
        else where.push(`i.visibility = 'shared' AND (${memberClause} OR i.owner = ?)`);
        params.push(...memberParams);
        if (!q.has("member_status")) params.push(p);
        break;
    }
  }

  const hidden = one("os_hidden");
  if (hidden !== undefined && !["true", "false"].includes(hidden.toLowerCase())) throw badRequest(`Invalid value for os_hidden: ${hidden}`);
  where.push("i.os_hidden = ?");
  params.push(hidden?.toLowerCase() === "true" ? 1 : 0);

  const reservedParams = new Set(["visibility", "member_status", "os_hidden", "limit", "marker", "sort", "sort_key", "sort_dir", "tag", "size_min", "size_max", "created_at", "updated_at"]);
  for (const [k, raw] of q) {
    if (reservedParams.has(k)) continue;
    const f = COLUMN_FILTERS[k];
    let expr: string;
    if (f) expr = `i.${f.col}`;
    else expr = `json_extract(i.properties, ?)`;
    const keyParam = f ? [] : [`$."${k.replaceAll('"', '""')}"`];
    if (raw.startsWith("in:") && f?.type !== "bool") {
      const vals = splitIn(raw.slice(3));
      where.push(`${expr} IN (${vals.map(() => "?").join(", ")})`);
      params.push(...keyParam, ...vals.map((v) => conv(f?.type ?? "str", v, k)));
    } else {
      where.push(`${expr} = ?`);
      params.push(...keyParam, conv(f?.type ?? "str", raw, k));
    }
  }
  for (const tag of q.getAll("tag")) {
    where.push("EXISTS (SELECT 1 FROM image_tags t WHERE t.image_id = i.id AND t.tag = ?)");
    params.push(tag);
  }
  for (const [k, op] of [["size_min", ">="], ["size_max", "<="]] as const) {
    const v = one(k);
    if (v === undefined) continue;
    const n = Number(v);
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(n)) throw badRequest(`Invalid value for ${k}: ${v}`);
    where.push(`i.size ${op} ?`);
    params.push(n);
  }
  for (const k of ["created_at", "updated_at"] as const) {
    for (const raw of q.getAll(k)) {
      const m = /^(?:(eq|neq|gt|gte|lt|lte):)?(.+)$/.exec(raw)!;
      const t = Date.parse(m[2]!);
      if (Number.isNaN(t)) throw badRequest(`Unable to filter on a unknown date '${m[2]}'`);
      const col = k === "created_at" ? "created_at" : "updated_at";
      // Glance compares at a precision of seconds.
      where.push(`(i.${col} / 1000) ${OPS[m[1] ?? "eq"]} ?`);
      params.push(Math.floor(t / 1000));
    }
  }

  // sort
  const keys: { key: string; dir: "asc" | "desc" }[] = [];
  if (q.has("sort")) {
    if (q.has("sort_key") || q.has("sort_dir")) throw badRequest("The 'sort' parameter cannot be used with 'sort_key' or 'sort_dir'.");
    for (const part of q.getAll("sort").join(",").split(",")) {
      const [key, dir = "asc", extra] = part.trim().split(":");
      if (extra !== undefined || !key) throw badRequest(`Invalid sort: ${part}`);
      keys.push({ key: key.trim(), dir: dir.trim() as "asc" | "desc" });
    }
  } else {
    const sk = q.getAll("sort_key");
    const sd = q.getAll("sort_dir");
    if (sd.length > 1 && sd.length !== sk.length) throw badRequest("Number of sort dirs does not match the number of sort keys");
    sk.forEach((key, i) => keys.push({ key, dir: (sd.length > 1 ? sd[i] : sd[0] ?? "desc") as "asc" | "desc" }));
    if (!sk.length && sd.length) keys.push({ key: "created_at", dir: sd[0] as "asc" | "desc" });
  }
  for (const k of keys) {
    if (!SORT_KEYS[k.key]) throw badRequest(`Invalid sort key: ${k.key}. It must be one of the following: ${Object.keys(SORT_KEYS).join(", ")}.`);
    if (k.dir !== "asc" && k.dir !== "desc") throw badRequest(`Invalid sort direction: ${k.dir}`);
  }
  if (!keys.length) keys.push({ key: "created_at", dir: "desc" });
  if (!keys.some((k) => k.key === "id")) keys.push({ key: "id", dir: keys[keys.length - 1]!.dir });

  // limit and marker
  const limitRaw = one("limit");
  let limit = 25;
  if (limitRaw !== undefined) {
    if (!/^-?\d+$/.test(limitRaw)) throw badRequest("limit param must be an integer");
    limit = Number(limitRaw);
    if (limit < 0) throw badRequest("limit param must be positive");
  }
  limit = Math.min(limit, 1000);

  const images = ctx.store.select(where.join(" AND "), params);
  const cmp = (a: Image, b: Image): number => {
    for (const k of keys) {
      const x = SORT_KEYS[k.key]!(a);
      const y = SORT_KEYS[k.key]!(b);
      let r = 0;
      if (x === y) r = 0;
      else if (x === null) r = -1;
      else if (y === null) r = 1;
      else r = x < y ? -1 : 1;
      if (r) return k.dir === "asc" ? r : -r;
    }
    return 0;
  };
  images.sort(cmp);
  let start = 0;
  const marker = one("marker");
  if (marker !== undefined) {
    const idx = images.findIndex((i) => i.id === marker);
    if (idx < 0) {
      const m = ctx.store.get(marker);
      if (!m) throw badRequest(`Invalid marker. Image ${marker} could not be found.`);
      // The marker no longer matches the filters: resume after where it would sort.
      start = images.findIndex((i) => cmp(i, m) > 0);
      if (start < 0) start = images.length;
    } else start = idx + 1;
  }
  const page = images.slice(start, start + limit);
  const result: ListResult = { images: page };
  if (page.length && page.length === limit && start + limit < images.length) {
    const nq = new URLSearchParams(q);
    nq.delete("marker");
    nq.append("marker", page[page.length - 1]!.id);
    result.next = `/v2/images?${nq.toString()}`;
  }
  return result;
}

function splitIn(s: string): string[] {
  // Glance: `in:"a,b",c` — quoted values may hold commas.
  const out: string[] = [];
  const re = /\s*(?:"((?:[^"\\]|\\.)*)"|([^,]*))\s*(?:,|$)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) && m[0] !== "") {
    out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2]!);
    if (re.lastIndex >= s.length) break;
  }
  return out;
}

function conv(type: "str" | "int" | "bool", v: string, k: string): string | number {
  if (type === "int") {
    if (!/^\d+$/.test(v)) throw badRequest(`Invalid value for ${k}: ${v}`);
    return Number(v);
  }
  if (type === "bool") {
    const l = v.toLowerCase();
    if (l !== "true" && l !== "false") throw badRequest(`Invalid value for ${k}: ${v}`);
    return l === "true" ? 1 : 0;
  }
  return v;
}

