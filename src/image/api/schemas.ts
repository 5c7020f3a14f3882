/** GET /v2/schemas/… (the documents clients read) and /v2/info/… (import methods, stores). */
import { Hono } from "hono";
import { ApiError } from "../../core/errors.ts";
import type { AppEnv } from "../../core/http.ts";
import { STORE_ID } from "../ctx.ts";
import { IMPORT_METHODS } from "../logic/imports.ts";
import { imageSchema, imagesSchema, memberSchema, membersSchema, metadefSchema, taskSchema } from "../schemas/image.ts";

export function schemaRoutes() {
  const app = new Hono<AppEnv>();
  const docs: Record<string, () => Record<string, unknown>> = {
    image: imageSchema,
    images: imagesSchema,
    member: memberSchema,
    members: membersSchema,
    task: taskSchema,
    tasks: () => ({ name: "tasks", properties: { tasks: { type: "array", items: taskSchema() }, schema: { type: "string" }, first: { type: "string" }, next: { type: "string" } } }),
  };
  app.get("/v2/schemas/metadefs/:name", (c) => {
    const doc = metadefSchema(`metadefs/${c.req.param("name")}`);
    if (!doc) throw new ApiError(404, "The resource could not be found.");
    return c.json(doc);
  });
  app.get("/v2/schemas/:name", (c) => {
    const doc = docs[c.req.param("name")];
    if (!doc) throw new ApiError(404, "The resource could not be found.");
    return c.json(doc());
  });
  app.get("/v2/info/import", (c) =>
    c.json({ "import-methods": { description: "Import methods available.", type: "array", value: IMPORT_METHODS } }),
  );
  app.get("/v2/info/stores", (c) =>
    c.json({ stores: [{ id: STORE_ID, description: "Image data kept in the object store's service account", default: true }] }),
  );
  return app;
}
