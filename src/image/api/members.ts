/** /v2/images/{id}/members. */
import { Hono } from "hono";
import { readJson, type AppEnv } from "../../core/http.ts";
import { parse } from "../../core/validate.ts";
import type { ImageCtx } from "../ctx.ts";
import * as members from "../logic/members.ts";
import { CreateMember, UpdateMember } from "../schemas/image.ts";
import { memberView } from "../views.ts";
import { caller } from "./images.ts";

export function memberRoutes(ctx: ImageCtx) {
  const app = new Hono<AppEnv>();
  app.get("/v2/images/:id/members", (c) =>
    c.json({ members: members.listMembers(ctx, caller(c), c.req.param("id")).map(memberView), schema: "/v2/schemas/members" }),
  );
  app.post("/v2/images/:id/members", async (c) => {
    const b = parse(CreateMember, await readJson(c));
    return c.json(memberView(members.addMember(ctx, caller(c), c.req.param("id"), b.member)));
  });
  app.get("/v2/images/:id/members/:member", (c) =>
    c.json(memberView(members.showMember(ctx, caller(c), c.req.param("id"), c.req.param("member")))),
  );
  app.put("/v2/images/:id/members/:member", async (c) => {
    const b = parse(UpdateMember, await readJson(c));
    return c.json(memberView(members.updateMember(ctx, caller(c), c.req.param("id"), c.req.param("member"), b.status)));
  });
  app.delete("/v2/images/:id/members/:member", (c) => {
    members.removeMember(ctx, caller(c), c.req.param("id"), c.req.param("member"));
    return c.body(null, 204);
  });
  return app;
}
