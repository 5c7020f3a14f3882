import { Hono } from "hono";
import type { AppEnv } from "../../core/http.ts";
import { body, query } from "../../core/validate.ts";
import { collectionLinks, type IdentityCtx } from "../ctx.ts";
import { changePassword, createUser, deleteUser, listUserGroups, listUsers, updateUser } from "../logic/users.ts";
import { getUser, mustUser } from "../model.ts";
import { PasswordChangeSchema, UserCreateSchema, UserListQuery, UserUpdateSchema } from "../schemas/users.ts";
import { renderGroup, renderUser } from "../views.ts";
import { allow, allowWrite, callerDomain, domainManager, domainReader, listScope } from "./domains.ts";

/** /v3/users, self-service password change, and a user's groups. */
export function userRoutes(ctx: IdentityCtx) {
  const app = new Hono<AppEnv>();

  app.get("/users", query(UserListQuery), (c) => {
    const onlyDomain = listScope(c.get("auth"));
    const rows = listUsers(ctx, c.req.valid("query"), c.req.query(), { onlyDomain });
    return c.json({ users: rows.map((u) => renderUser(c, u)), links: collectionLinks(c) });
  });

  app.post("/users", body(UserCreateSchema), async (c) => {
    const a = c.get("auth");
    const input = c.req.valid("json").user;
    allowWrite(a, domainManager(a, input.domain_id || callerDomain(a)));
    const u = await createUser(ctx, input, callerDomain(a));
    return c.json({ user: renderUser(c, u) }, 201);
  });

  app.get("/users/:id", (c) => {
    const a = c.get("auth");
    const id = c.req.param("id");
    // get_user: admin, system reader, a reader of the user's domain, or the user.
    allow(a, a.userId === id || domainReader(a, getUser(ctx.db, id)?.domain_id));
    return c.json({ user: renderUser(c, mustUser(ctx.db, id)) });
  });

  app.patch("/users/:id", body(UserUpdateSchema), async (c) => {
    const a = c.get("auth");
    const id = c.req.param("id");
    allowWrite(a, domainManager(a, getUser(ctx.db, id)?.domain_id));
    const u = await updateUser(ctx, id, c.req.valid("json").user);
    return c.json({ user: renderUser(c, u) });
  });

  app.delete("/users/:id", (c) => {
    const a = c.get("auth");
    const id = c.req.param("id");
    allowWrite(a, domainManager(a, getUser(ctx.db, id)?.domain_id));
    deleteUser(ctx, id);
    return c.body(null, 204);
  });

  // Unenforced in Keystone: knowing the original password is the authorization.
  app.post("/users/:id/password", body(PasswordChangeSchema), async (c) => {
    const { original_password, password } = c.req.valid("json").user;
    await changePassword(ctx, c.req.param("id"), original_password, password);
    return c.body(null, 204);
  });

  app.get("/users/:id/groups", (c) => {
    const a = c.get("auth");
    const id = c.req.param("id");
    // list_groups_for_user: admin, system reader, a reader of the user's domain, or the user.
    allow(a, a.userId === id || domainReader(a, getUser(ctx.db, id)?.domain_id));
    let rows = listUserGroups(ctx, id, c.req.query());
    if (a.domainId) rows = rows.filter((g) => g.domain_id === a.domainId);
    return c.json({
      groups: rows.map((g) => ({ ...renderGroup(c, g), membership_expires_at: null })),
      links: collectionLinks(c),
    });
  });

  return app;
}
