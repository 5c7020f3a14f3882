/**
 * Image data: uploads stream into the object store (service account,
 * container `glance`, object named by the image id) while MD5 (by the store)
 * and SHA-512 (here) are computed; downloads stream the object back. A failed
 * or interrupted upload leaves the image queued and no object behind.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiError, badRequest, conflict, forbidden } from "../../core/errors.ts";
import type { Caller, ImageCtx } from "../ctx.ts";
import { DATA_CONTAINER, STAGING_CONTAINER } from "../ctx.ts";
import type { Image, ImageStatus } from "../store.ts";
import { imageNotFound, modifiableImage, visibleImage } from "./access.ts";

export function sizeCap(ctx: ImageCtx): number {
  return Math.min(ctx.cfg.imageSizeCap, ctx.cfg.maxObjectSize);
}

const tooLarge = (cap: number) => new ApiError(413, `Image exceeds the storage quota: denying attempt to upload image larger than ${cap} bytes.`);

interface Written {
  object: string;
  size: number;
  md5: string;
  sha512: string;
}

/**
 * Stream `body` into `container/name` of the service account, hashing SHA-512
 * on the way (the store hashes MD5) and refusing more than the size cap.
 * Nothing is stored when it fails.
 */
async function write(ctx: ImageCtx, container: string, name: string, body: ReadableStream<Uint8Array>, declared?: number): Promise<Written> {
  const cap = sizeCap(ctx);
  if (declared !== undefined && declared > cap) {
    await body.cancel().catch(() => {});
    throw tooLarge(cap);
  }
  const sha = new Bun.CryptoHasher("sha512");
  let n = 0;
  let over = false;
  const reader = body.getReader();
  const hashed = new ReadableStream<Uint8Array>(
    {
      async pull(ctrl) {
        const { done, value } = await reader.read();
        if (done) return ctrl.close();
        n += value.byteLength;
        if (n > cap) {
          over = true;
          const e = tooLarge(cap);
          reader.cancel(e).catch(() => {});
          return ctrl.error(e);
        }
        sha.update(value);
        ctrl.enqueue(value);
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  const account = await ctx.account();
  try {
    const info = await ctx.objects.putObject(account, container, name, hashed, {
      size: declared,
      contentType: "application/octet-stream",
      metadata: {},
      headers: {},
    });
    return { object: name, size: info.bytes, md5: info.md5, sha512: sha.digest("hex") };
  } catch (e) {
    if (over) throw tooLarge(cap);
    if (e instanceof ApiError && e.status === 413) throw tooLarge(cap);
    if (e instanceof ApiError && (e.status === 499 || e.status === 400))
      throw badRequest(`The image data could not be read completely: ${e.message}`);
    if (!(e instanceof ApiError) && /closed|abort|reset/i.test(String((e as Error)?.message)))
      throw badRequest(`The image data could not be read completely: ${(e as Error).message}`);
    throw e;
  }
}

export interface Inspection {
  virtualSize: number | null;
  /** Why the data is refused: it refers to other files (a backing file, an external data file, VMDK extents elsewhere). */
  unsafe?: string;
}

/**
 * `qemu-img info -f <disk_format>` of the stored object: its virtual size
 * (null when qemu-img is absent or cannot tell), and whether the data refers
 * to other files — such an image would make a hypervisor read host files, so
 * it is refused (as Glance's format inspection does).
 */
export async function inspect(ctx: ImageCtx, img: Pick<Image, "id" | "diskFormat">, container: string, name: string, size: number): Promise<Inspection> {
  const fmt = img.diskFormat;
  if (!fmt || ["ami", "ari", "aki"].includes(fmt)) return { virtualSize: null };
  if (fmt === "raw" || fmt === "iso") return { virtualSize: size };
  if (!ctx.qemuImg) return { virtualSize: null };
  const qfmt: Record<string, string> = { qcow2: "qcow2", vmdk: "vmdk", vdi: "vdi", vhd: "vpc", vhdx: "vhdx", ploop: "parallels" };
  const f = qfmt[fmt];
  if (!f) return { virtualSize: null };
  let tmpDir: string | undefined;
  try {
    const { body } = await ctx.objects.openObject(await ctx.account(), container, name);
    let path = (body as Blob & { name?: unknown }).name;
    if (typeof path !== "string" || !path) {
      tmpDir = mkdtempSync(join(tmpdir(), "tenrec-img-"));
      path = join(tmpDir, "data");
      writeFileSync(path as string, new Uint8Array(await body.arrayBuffer()));
    }
    const p = Bun.spawn([ctx.qemuImg, "info", "--output=json", "-U", "-f", f, path as string], { stdout: "pipe", stderr: "pipe" });
    const timer = setTimeout(() => p.kill(), 30_000);
    const [out, code] = await Promise.all([new Response(p.stdout).text(), p.exited]);
    clearTimeout(timer);
    if (code !== 0) return { virtualSize: null };
    const info = JSON.parse(out) as {
      "virtual-size"?: number;
      "backing-filename"?: string;
      "format-specific"?: { data?: { "data-file"?: string; extents?: { filename?: string }[] } };
    };
    // An image that points at other files (a backing file, an external data
    // file, VMDK extents elsewhere) is not trusted to describe itself.
    const fs = info["format-specific"]?.data;
    const v = typeof info["virtual-size"] === "number" ? info["virtual-size"] : null;
    if (info["backing-filename"]) return { virtualSize: v, unsafe: `the ${fmt} data has a backing file` };
    if (fs?.["data-file"]) return { virtualSize: v, unsafe: `the ${fmt} data has an external data file` };
    if (fs?.extents?.some((e) => e.filename && e.filename !== path)) return { virtualSize: v, unsafe: `the ${fmt} data has extents in other files` };
    return { virtualSize: v };
  } catch (e) {
    ctx.log.warn(`image ${img.id}: qemu-img info failed: ${(e as Error).message}`);
    return { virtualSize: null };
  } finally {
    if (tmpDir) rmSync(tmpDir, { recursive: true, force: true });
  }
}

function track<T>(ctx: ImageCtx, p: Promise<T>): Promise<T> {
  ctx.inflight.add(p);
  p.finally(() => ctx.inflight.delete(p)).catch(() => {});
  return p;
}

/**
 * Move an image from `from` to `via` (compare-and-set), stream the data in,
 * then make it active. On any failure the image returns to `back` and the
 * object is gone; if the image was deleted meanwhile the object is removed.
 */
async function ingest(
  ctx: ImageCtx,
  img: Image,
  body: ReadableStream<Uint8Array>,
  opts: { from: ImageStatus[]; via: ImageStatus; back: ImageStatus; declared?: number; verb: string },
): Promise<Image> {
  if (!img.containerFormat || !img.diskFormat) {
    await body.cancel().catch(() => {});
    throw badRequest("Properties container_format, disk_format must be set prior to saving data.");
  }
  if (!ctx.store.update(img.id, { status: opts.via, updatedAt: ctx.clock.now() }, opts.from)) {
    await body.cancel().catch(() => {});
    const cur = ctx.store.get(img.id);
    throw conflict(`Image status transition from ${cur?.status ?? "deleted"} to ${opts.via} is not allowed`);
  }
  let w: Written;
  try {
    w = await write(ctx, DATA_CONTAINER, img.id, body, opts.declared);
  } catch (e) {
    ctx.store.update(img.id, { status: opts.back, updatedAt: ctx.clock.now() }, [opts.via]);
    ctx.log.warn(`image ${img.id}: ${opts.verb} failed, back to ${opts.back}: ${(e as Error).message}`);
    throw e;
  }
  const ins = await inspect(ctx, img, DATA_CONTAINER, w.object, w.size);
  if (ins.unsafe) {
    await ctx.objects.deleteObject(await ctx.account(), DATA_CONTAINER, w.object).catch(() => false);
    ctx.store.update(img.id, { status: opts.back, updatedAt: ctx.clock.now() }, [opts.via]);
    ctx.log.warn(`image ${img.id}: ${opts.verb} refused: ${ins.unsafe}`);
    throw badRequest(`Image data refused: ${ins.unsafe}, which could expose files of the host that runs it.`);
  }
  const done = ctx.store.update(
    img.id,
    {
      status: "active",
      size: w.size,
      virtualSize: ins.virtualSize,
      checksum: w.md5,
      osHashAlgo: "sha512",
      osHashValue: w.sha512,
      object: w.object,
      updatedAt: ctx.clock.now(),
    },
    [opts.via],
  );
  if (!done) {
    // Deleted (or otherwise moved on) while the data streamed in: leave nothing behind.
    await ctx.objects.deleteObject(await ctx.account(), DATA_CONTAINER, w.object).catch(() => false);
    throw conflict(`Image ${img.id} was deleted or changed during the ${opts.verb}.`);
  }
  ctx.log.info(`image ${img.id}: ${w.size} bytes ${opts.verb}ed, active`);
  return ctx.store.get(img.id)!;
}

/** PUT /v2/images/{id}/file (and the client's uploadData). */
export function upload(ctx: ImageCtx, c: Caller, id: string, body: ReadableStream<Uint8Array>, declared?: number): Promise<Image> {
  const img = modifiableImage(ctx, c, id, "upload data to");
  if (img.status !== "queued") {
    body.cancel().catch(() => {});
    throw conflict(`Image status transition from ${img.status} to saving is not allowed`);
  }
  return track(ctx, ingest(ctx, img, body, { from: ["queued"], via: "saving", back: "queued", declared, verb: "upload" }));
}

/** GET /v2/images/{id}/file: the object, or a range of it. */
export async function download(
  ctx: ImageCtx,
  c: Caller,
  id: string,
  range?: { start: number; end: number },
): Promise<{ image: Image; body: Blob } | { image: Image; body: null }> {
  const img = visibleImage(ctx, c, id);
  if (img.status === "deactivated" && !c.isAdmin) throw forbidden("The requested image has been deactivated. Image data download is forbidden.");
  if (!img.object) return { image: img, body: null };
  try {
    const { body } = await ctx.objects.openObject(await ctx.account(), DATA_CONTAINER, img.object, range);
    return { image: img, body };
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) throw new ApiError(404, `Image data for ${id} is missing from the store.`);
    throw e;
  }
}

/** PUT /v2/images/{id}/stage: the data of the interoperable import, kept apart until the import. */
export async function stage(ctx: ImageCtx, c: Caller, id: string, body: ReadableStream<Uint8Array>, declared?: number): Promise<void> {
  const img = modifiableImage(ctx, c, id, "stage data for");
  if (img.status !== "queued") {
    body.cancel().catch(() => {});
    throw conflict(`Image status transition from ${img.status} to uploading is not allowed`);
  }
  if (!ctx.store.update(id, { status: "uploading", updatedAt: ctx.clock.now() }, ["queued"])) {
    body.cancel().catch(() => {});
    throw conflict("Image is already being staged or uploaded.");
  }
  const p = (async () => {
    let w: Written;
    try {
      w = await write(ctx, STAGING_CONTAINER, id, body, declared);
    } catch (e) {
      ctx.store.update(id, { status: "queued", updatedAt: ctx.clock.now() }, ["uploading"]);
      throw e;
    }
    if (!ctx.store.update(id, { staged: w.object, size: w.size, updatedAt: ctx.clock.now() }, ["uploading"])) {
      await ctx.objects.deleteObject(await ctx.account(), STAGING_CONTAINER, w.object).catch(() => false);
      throw imageNotFound(id);
    }
  })();
  await track(ctx, p);
}

/** The import of staged data (glance-direct) or of another image's data (glance-download), run in the background. */
export async function importFrom(
  ctx: ImageCtx,
  img: Image,
  source: { container: string; name: string; deleteAfter: boolean },
): Promise<Image> {
  const account = await ctx.account();
  const { body } = await ctx.objects.openObject(account, source.container, source.name);
  const out = await ingest(ctx, img, body.stream(), { from: ["importing"], via: "importing", back: "queued", verb: "import" });
  if (source.deleteAfter) {
    await ctx.objects.deleteObject(account, source.container, source.name).catch(() => false);
    ctx.store.update(img.id, { staged: null });
  }
  return ctx.store.get(out.id) ?? out;
}

export { track };

/** The import of a stream (web-download): the image is `importing`; it becomes active, or queued again. */
export function importStream(ctx: ImageCtx, img: Image, body: ReadableStream<Uint8Array>, declared?: number): Promise<Image> {
  return ingest(ctx, img, body, { from: ["importing"], via: "importing", back: "queued", declared, verb: "import" });
}
