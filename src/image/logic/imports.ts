/**
 * The interoperable import (POST /v2/images/{id}/import) and its tasks.
 * glance-direct imports data staged with PUT …/stage; web-download fetches an
 * http(s) URL; glance-download copies an image of this cloud's Glance (the only
 * region there is). Like Glance, the image carries `os_glance_importing_to_stores`
 * while it runs and `os_glance_failed_import` (the store) when it failed.
 */
import { ApiError, badRequest, conflict } from "../../core/errors.ts";
import { parse } from "../../core/validate.ts";
import type { Caller, ImageCtx } from "../ctx.ts";
import { DATA_CONTAINER, STAGING_CONTAINER, STORE_ID } from "../ctx.ts";
import { ImportRequest, isUuid } from "../schemas/image.ts";
import type { Image, Task } from "../store.ts";
import { modifiableImage, visibleImage } from "./access.ts";
import { importFrom, importStream, track } from "./data.ts";

export const IMPORT_METHODS = ["glance-direct", "web-download", "glance-download"];

/** Properties glance-download copies from the source image (Glance's default `extra_properties`). */
const COPIED = [/^hw_/, /^trait:/, /^os_distro$/, /^os_secure_boot$/, /^os_type$/];

type MethodParams = { name: string; uri?: string; glance_image_id?: string; glance_region?: string; glance_service_interface?: string };

function checkUri(uri: string | undefined): URL {
  if (!uri) throw badRequest("web-download requires a 'uri' in the import method.");
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    throw badRequest(`URI for web-download is not valid: ${uri}`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw badRequest(`URI for web-download does not pass filtering: ${uri} (http and https only)`);
  return u;
}

export function startImport(ctx: ImageCtx, c: Caller, id: string, body: unknown): Task {
  const req = parse(ImportRequest, body);
  const method = req.method.name;
  if (!IMPORT_METHODS.includes(method)) throw badRequest(`Import method ${method} is not valid: use one of ${IMPORT_METHODS.join(", ")}.`);
  if (req.stores) for (const s of req.stores) if (s !== STORE_ID) throw badRequest(`Unknown store ${s}.`);
  if (method === "web-download") checkUri(req.method.uri);
  const task = ctx.store.tx(() => {
    const img = modifiableImage(ctx, c, id, "import data into");
    if (method === "glance-direct") {
      if (img.status !== "uploading" || !img.staged) throw conflict(`Image ${id} has no staged data: status is '${img.status}', 'uploading' with staged data is required for glance-direct.`);
    } else {
      if (img.status !== "queued") throw conflict(`Image ${id} must be queued for ${method} (it is '${img.status}').`);
      if (method === "glance-download" && !isUuid(req.method.glance_image_id ?? "")) throw badRequest(`Remote image id does not look like a UUID: ${req.method.glance_image_id ?? ""}`);
      if (method === "web-download" && (!img.containerFormat || !img.diskFormat)) throw badRequest("Properties container_format, disk_format must be set prior to import.");
    }
    const now = ctx.clock.now();
    const t: Task = {
      id: crypto.randomUUID(),
      imageId: id,
      type: "api_image_import",
      status: "processing",
      owner: c.projectId || null,
      userId: c.userId ?? null,
      requestId: c.requestId ?? null,
      input: {
        image_id: id,
        import_req: { method: req.method, ...(req.stores ? { stores: req.stores } : {}), ...(req.all_stores !== undefined ? { all_stores: req.all_stores } : {}) },
        backend: [STORE_ID],
      },
      result: null,
      message: "",
      createdAt: now,
      updatedAt: now,
      expiresAt: null,
    };
    ctx.store.insertTask(t);
    const props = { ...img.properties, os_glance_importing_to_stores: STORE_ID, os_glance_failed_import: "" };
    ctx.store.update(id, { status: "importing", properties: props, updatedAt: now });
    return t;
  });
  void track(ctx, runImport(ctx, c, task, method, req.method).catch(() => {}));
  return task;
}

/** Set the os_glance_* import markers (the rest of the properties as they are now). */
function markers(ctx: ImageCtx, id: string, importing: string, failed: string): void {
  ctx.store.tx(() => {
    const img = ctx.store.get(id);
    if (!img) return;
    ctx.store.update(id, { properties: { ...img.properties, os_glance_importing_to_stores: importing, os_glance_failed_import: failed } });
  });
}

async function runImport(ctx: ImageCtx, c: Caller, task: Task, method: string, params: MethodParams): Promise<void> {
  const img = ctx.store.get(task.imageId);
  if (!img) return;
  try {
    if (method === "glance-direct") {
      await importFrom(ctx, img, { container: STAGING_CONTAINER, name: img.staged!, deleteAfter: true });
    } else if (method === "web-download") {
      const res = await fetch(checkUri(params.uri), { redirect: "follow", signal: AbortSignal.timeout(600_000) });
      if (!res.ok || !res.body) throw new Error(`GET ${params.uri}: HTTP ${res.status}`);
      const len = res.headers.get("content-length");
      await importStream(ctx, img, res.body, len && /^\d+$/.test(len) && !res.headers.get("content-encoding") ? Number(len) : undefined);
    } else {
      if (params.glance_region && params.glance_region !== ctx.cfg.region) throw new Error(`Unknown region ${params.glance_region}`);
      if (params.glance_service_interface && !["public", "internal", "admin"].includes(params.glance_service_interface))
        throw new Error(`Unknown interface ${params.glance_service_interface}`);
      let src: Image;
      try {
        src = visibleImage(ctx, c, params.glance_image_id!);
      } catch {
        throw new Error(`Image ${params.glance_image_id} not found in region ${ctx.cfg.region}`);
      }
      if (src.status !== "active" || !src.object) throw new Error(`Image ${src.id} is not active`);
      // Like Glance: the target takes the source's formats and the whitelisted properties.
      const props = { ...ctx.store.get(img.id)!.properties };
      for (const [k, v] of Object.entries(src.properties)) if (COPIED.some((r) => r.test(k))) props[k] = v;
      ctx.store.update(img.id, { diskFormat: src.diskFormat, containerFormat: src.containerFormat, properties: props });
      const cur = ctx.store.get(img.id)!;
      await importFrom(ctx, cur, { container: DATA_CONTAINER, name: src.object, deleteAfter: false });
    }
    markers(ctx, task.imageId, "", "");
    ctx.store.finishTask(task.id, "success", "", { image_id: task.imageId }, ctx.clock.now());
  } catch (e) {
    const msg = (e as Error).message;
    ctx.log.warn(`image ${task.imageId}: import (${method}) failed: ${msg}`);
    ctx.store.update(task.imageId, { status: "queued", updatedAt: ctx.clock.now() }, ["importing"]);
    markers(ctx, task.imageId, "", STORE_ID);
    ctx.store.finishTask(task.id, "failure", msg, null, ctx.clock.now());
  }
}

/** GET /v2/tasks: the caller's project's tasks (every task for an admin). */
export function listTasks(ctx: ImageCtx, c: Caller): Task[] {
  return ctx.store.allTasks(c.isAdmin ? undefined : c.projectId);
}

export function showTask(ctx: ImageCtx, c: Caller, id: string): Task {
  const t = ctx.store.task(id);
  if (!t || (!c.isAdmin && t.owner !== c.projectId)) throw new ApiError(404, `Task with identifier ${id} not found`);
  return t;
}

export function imageTasks(ctx: ImageCtx, c: Caller, id: string): Task[] {
  visibleImage(ctx, c, id);
  return ctx.store.tasks(id);
}

/** A restart interrupted uploads and imports: their images go back to queued, their tasks fail. */
export function recover(ctx: ImageCtx): void {
  const now = ctx.clock.now();
  for (const t of ctx.store.unfinishedTasks()) {
    ctx.store.finishTask(t.id, "failure", "Interrupted by a restart of the image service.", null, now);
    markers(ctx, t.imageId, "", STORE_ID);
  }
  for (const img of ctx.store.stuck()) {
    ctx.store.update(img.id, { status: "queued", updatedAt: now });
    ctx.log.warn(`image ${img.id}: ${img.status} when the service stopped; back to queued`);
  }
}
