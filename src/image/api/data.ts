/** Image data: upload, download (with Range), stage, import, and the image's import tasks. */
import { Hono } from "hono";
import { ApiError } from "../../core/errors.ts";
import { readJson, type AppEnv, type Ctx } from "../../core/http.ts";
import type { ImageCtx } from "../ctx.ts";
import * as data from "../logic/data.ts";
import { imageTasks, listTasks, showTask, startImport } from "../logic/imports.ts";
import { taskView } from "../views.ts";
import { caller } from "./images.ts";

function bodyOf(c: Ctx): { stream: ReadableStream<Uint8Array>; declared?: number } {
  const ct = (c.req.header("content-type") ?? "application/octet-stream").split(";")[0]!.trim().toLowerCase();
  if (ct !== "application/octet-stream") throw new ApiError(415, `Unsupported Content-Type '${ct}': image data must be sent as application/octet-stream`);
  const len = c.req.header("content-length");
  const declared = len !== undefined && /^\d+$/.test(len) && !c.req.header("transfer-encoding") ? Number(len) : undefined;
  const stream = c.req.raw.body ?? new ReadableStream<Uint8Array>({ start: (ctrl) => ctrl.close() });
  return { stream, declared };
}

/** `bytes=a-b`, `bytes=a-`, `bytes=-n` → an end-exclusive range within `size`; null when unsatisfiable. */
export function parseRange(h: string, size: number): { start: number; end: number } | null | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(h.trim());
  if (!m || (!m[1] && !m[2])) return undefined; // malformed: ignored, as HTTP says
  let start: number;
  let end: number;
  if (!m[1]) {
    const n = Number(m[2]);
    if (n === 0) return null;
    start = Math.max(0, size - n);
    end = size;
  } else {
    start = Number(m[1]);
    end = m[2] ? Math.min(Number(m[2]) + 1, size) : size;
    if (m[2] && Number(m[2]) < start) return undefined;
  }
  if (start >= size) return null;
  return { start, end };
}

export function dataRoutes(ctx: ImageCtx) {
  const app = new Hono<AppEnv>();

  app.put("/v2/images/:id/file", async (c) => {
    const { stream, declared } = bodyOf(c);
    await data.upload(ctx, caller(c), c.req.param("id"), stream, declared);
    return c.body(null, 204);
  });

  app.get("/v2/images/:id/file", async (c) => {
    const id = c.req.param("id");
    const who = caller(c);
    const first = await data.download(ctx, who, id);
    if (!first.body) return c.body(null, 204);
    const img = first.image;
    const size = img.size ?? first.body.size;
    const rh = c.req.header("range");
    if (rh) {
      const r = parseRange(rh, size);
      if (r === null) {
        throw new ApiError(416, `Requested range not satisfiable`, undefined, { "Content-Range": `bytes */${size}` });
      }
      if (r) {
        const part = await data.download(ctx, who, id, r);
        return new Response(part.body, {
          status: 206,
          headers: {
            "Content-Type": "application/octet-stream",
            "Content-Range": `bytes ${r.start}-${r.end - 1}/${size}`,
            "Content-Length": String(r.end - r.start),
          },
        });
      }
    }
    const headers: Record<string, string> = {
      "Content-Type": "application/octet-stream",
      "Content-Length": String(size),
    };
    if (img.checksum) headers["Content-MD5"] = img.checksum;
    return new Response(first.body, { status: 200, headers });
  });

  app.put("/v2/images/:id/stage", async (c) => {
    const { stream, declared } = bodyOf(c);
    await data.stage(ctx, caller(c), c.req.param("id"), stream, declared);
    return c.body(null, 204);
  });

  app.post("/v2/images/:id/import", async (c) => {
    startImport(ctx, caller(c), c.req.param("id"), await readJson(c));
    return c.body(null, 202);
  });

  app.get("/v2/images/:id/tasks", (c) => c.json({ tasks: imageTasks(ctx, caller(c), c.req.param("id")).map(taskView) }));
  app.get("/v2/tasks", (c) => c.json({ tasks: listTasks(ctx, caller(c)).map(taskView), first: "/v2/tasks", schema: "/v2/schemas/tasks" }));
  app.get("/v2/tasks/:id", (c) => c.json(taskView(showTask(ctx, caller(c), c.req.param("id")))));
  return app;
}
