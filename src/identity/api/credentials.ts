import { Hono, type Context } from "hono";
import type { AppEnv } from "../../core/http.ts";
import { body, query } from "../../core/validate.ts";
import { collectionLinks, selfLink, type IdentityCtx } from "../ctx.ts";
import { extraOf } from "../model.ts";
import {
  createCredential,
  deleteCredential,
  listCredentials,
  mustReadableCredential,
  updateCredential,
  type CredentialRow,
} from "../logic/credentials.ts";
import { CredentialCreateSchema, CredentialListQuery, CredentialUpdateSchema } from "../schemas/credentials.ts";

export function renderCredential(c: Context, r: CredentialRow) {
  return {
    ...extraOf(r),
    id: r.id,
    user_id: r.user_id,
    project_id: r.project_id,
    type: r.type,
    blob: r.blob,
    links: selfLink(c, `credentials/${r.id}`),
  };
}

/** /v3/credentials: admins manage all, users their own (Keystone's default policy). */
export function credentialRoutes(ctx: IdentityCtx) {
  const app = new Hono<AppEnv>();
  const { db } = ctx;

  app.get("/credentials", query(CredentialListQuery), (c) => {
    const rows = listCredentials(db, c.get("auth"), c.req.valid("query"));
    return c.json({ credentials: rows.map((r) => renderCredential(c, r)), links: collectionLinks(c) });
  });
  app.post("/credentials", body(CredentialCreateSchema), (c) => {
    const r = createCredential(ctx, c.get("auth"), c.req.valid("json").credential);
    return c.json({ credential: renderCredential(c, r) }, 201);
  });
  app.get("/credentials/:id", (c) => {
    const r = mustReadableCredential(db, c.get("auth"), c.req.param("id"));
    return c.json({ credential: renderCredential(c, r) });
  });
  app.patch("/credentials/:id", body(CredentialUpdateSchema), (c) => {
    const r = updateCredential(ctx, c.get("auth"), c.req.param("id"), c.req.valid("json").credential);
    return c.json({ credential: renderCredential(c, r) });
  });
  app.delete("/credentials/:id", (c) => {
    deleteCredential(ctx, c.get("auth"), c.req.param("id"));
    return c.body(null, 204);
  });
  return app;
}
