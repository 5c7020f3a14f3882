import { Hono, type Context } from "hono";
import type { AppEnv } from "../../core/http.ts";
import { readJson } from "../../core/http.ts";
import { requireAdmin } from "../../core/policy.ts";
import { parse } from "../../core/validate.ts";
import { collectionLinks, selfLink, type IdentityCtx } from "../ctx.ts";
import { extraOf } from "../model.ts";
import {
  createConsumer,
  deleteConsumer,
  listConsumers,
  mustConsumer,
  updateConsumer,
  type ConsumerRow,
} from "../logic/oauth1.ts";
import { ConsumerCreateSchema, ConsumerUpdateSchema } from "../schemas/oauth1.ts";

export function renderConsumer(c: Context, r: ConsumerRow, withSecret = false) {
  return {
    ...extraOf(r),
    id: r.id,
    description: r.description,
    links: selfLink(c, `OS-OAUTH1/consumers/${r.id}`),
    ...(withSecret ? { secret: r.secret } : {}),
  };
}

/** /v3/OS-OAUTH1/consumers: admin only (Keystone's default policy). */
export function oauth1Routes(ctx: IdentityCtx) {
  const app = new Hono<AppEnv>();
  const { db } = ctx;
  const BASE = "/OS-OAUTH1/consumers";

  const list = (c: Context<AppEnv>) => {
    requireAdmin(c.get("auth"));
    return c.json({ consumers: listConsumers(db).map((r) => renderConsumer(c, r)), links: collectionLinks(c) });
  };
  app.get(BASE, list);
  app.get(`${BASE}/`, list);
  app.post(BASE, async (c) => {
    requireAdmin(c.get("auth"));
    // Keystone reads the body leniently: a missing body is an empty consumer.
    const input = parse(ConsumerCreateSchema, await readJson(c)).consumer;
    return c.json({ consumer: renderConsumer(c, createConsumer(ctx, input), true) }, 201);
  });
  app.get(`${BASE}/:id`, (c) => {
    requireAdmin(c.get("auth"));
    return c.json({ consumer: renderConsumer(c, mustConsumer(db, c.req.param("id"))) });
  });
  app.patch(`${BASE}/:id`, async (c) => {
    requireAdmin(c.get("auth"));
    const input = parse(ConsumerUpdateSchema, await readJson(c)).consumer;
    return c.json({ consumer: renderConsumer(c, updateConsumer(ctx, c.req.param("id"), input)) });
  });
  app.delete(`${BASE}/:id`, (c) => {
    requireAdmin(c.get("auth"));
    deleteConsumer(ctx, c.req.param("id"));
    return c.body(null, 204);
  });
  return app;
}
