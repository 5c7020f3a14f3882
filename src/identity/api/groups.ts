import { Hono } from "hono";
import type { AppEnv } from "../../core/http.ts";
import { body, query } from "../../core/validate.ts";
import { collectionLinks, type IdentityCtx } from "../ctx.ts";
import {
  addMember,
  checkMember,
  createGroup,
  deleteGroup,
  listGroups,
  listMembers,
  removeMember,
  updateGroup,
} from "../logic/groups.ts";
import { getGroup, getUser, mustGroup } from "../model.ts";
import { GroupCreateSchema, GroupListQuery, GroupUpdateSchema } from "../schemas/groups.ts";
import { UserListQuery } from "../schemas/users.ts";
import { renderGroup, renderUser } from "../views.ts";
import { allow, allowWrite, callerDomain, domainManager, domainReader, listScope } from "./domains.ts";

/** /v3/groups and group membership. */
export function groupRoutes(ctx: IdentityCtx) {
  const app = new Hono<AppEnv>();
  const groupDomain = (id: string) => getGroup(ctx.db, id)?.domain_id;
  const userDomain = (id: string) => getUser(ctx.db, id)?.domain_id;

  app.get("/groups", query(GroupListQuery), (c) => {
    const onlyDomain = listScope(c.get("auth"));
    const rows = listGroups(ctx, c.req.valid("query"), c.req.query(), onlyDomain);
    return c.json({ groups: rows.map((g) => renderGroup(c, g)), links: collectionLinks(c) });
  });

  app.post("/groups", body(GroupCreateSchema), (c) => {
    const a = c.get("auth");
    const input = c.req.valid("json").group;
    allowWrite(a, domainManager(a, input.domain_id || callerDomain(a)));
    return c.json({ group: renderGroup(c, createGroup(ctx, input, callerDomain(a))) }, 201);
  });

  app.get("/groups/:id", (c) => {
    const a = c.get("auth");
    const id = c.req.param("id");
    allow(a, domainReader(a, groupDomain(id)));
    return c.json({ group: renderGroup(c, mustGroup(ctx.db, id)) });
  });

  app.patch("/groups/:id", body(GroupUpdateSchema), (c) => {
    const a = c.get("auth");
    const id = c.req.param("id");
    allowWrite(a, domainManager(a, groupDomain(id)));
    return c.json({ group: renderGroup(c, updateGroup(ctx, id, c.req.valid("json").group)) });
  });

  app.delete("/groups/:id", (c) => {
    const a = c.get("auth");
    const id = c.req.param("id");
    allowWrite(a, domainManager(a, groupDomain(id)));
    deleteGroup(ctx, id);
    return c.body(null, 204);
  });

  app.get("/groups/:id/users", query(UserListQuery), (c) => {
    const a = c.get("auth");
    const id = c.req.param("id");
    allow(a, domainReader(a, groupDomain(id)));
    const rows = listMembers(ctx, id, c.req.valid("query"), c.req.query());
    return c.json({ users: rows.map((u) => renderUser(c, u)), links: collectionLinks(c) });
  });

  // ---- membership (Hono answers HEAD with the GET handler, without a body) -------

  app.get("/groups/:id/users/:user", (c) => {
    const a = c.get("auth");
    const { id, user } = c.req.param();
    allow(a, domainReader(a, groupDomain(id)) && domainReader(a, userDomain(user)));
    checkMember(ctx, id, user);
    return c.body(null, 204);
  });

  app.put("/groups/:id/users/:user", (c) => {
    const a = c.get("auth");
    const { id, user } = c.req.param();
    allowWrite(a, domainManager(a, groupDomain(id)) && domainManager(a, userDomain(user)));
    addMember(ctx, id, user);
    return c.body(null, 204);
  });

  app.delete("/groups/:id/users/:user", (c) => {
    const a = c.get("auth");
    const { id, user } = c.req.param();
    allowWrite(a, domainManager(a, groupDomain(id)) && domainManager(a, userDomain(user)));
    removeMember(ctx, id, user);
    return c.body(null, 204);
  });

  return app;
}
