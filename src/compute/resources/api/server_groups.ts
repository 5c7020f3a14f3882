/** /os-server-groups: `policies` (one of them) before 2.64, `policy` + `rules` from 2.64; soft policies from 2.15. */
import { Hono } from "hono";
import { badRequest } from "../../../core/errors.ts";
import type { AppEnv, Ctx } from "../../../core/http.ts";
import { requireMember } from "../../../core/policy.ts";
import { parse } from "../../../core/validate.ts";
import type { ServerGroup } from "../index.ts";
import { createGroup, deleteGroup, groupOr404, listGroups } from "../logic/server_groups.ts";
import { ServerGroupCreateV21, ServerGroupCreateV264, POLICIES, ServerGroupListQuery } from "../schemas/server_groups.ts";
import { callerOf, jsonBody, mvAtLeast, type ResCtx } from "./ctx.ts";

function view(c: Ctx, g: ServerGroup) {
  if (mvAtLeast(c, 2, 64)) {
    return { id: g.id, name: g.name, policy: g.policy, rules: g.rules, members: g.members, project_id: g.projectId, user_id: g.userId };
  }
  return {
    id: g.id,
    name: g.name,
    policies: [g.policy],
    members: g.members,
    metadata: {},
    ...(mvAtLeast(c, 2, 13) ? { project_id: g.projectId, user_id: g.userId } : {}),
  };
}

export function serverGroupRoutes(ctx: ResCtx) {
  const app = new Hono<AppEnv>();
  const { db } = ctx;

  app.get("/os-server-groups", (c) => {
    const caller = callerOf(c);
    const q = parse(ServerGroupListQuery, c.req.query());
    // Nova: the parameter's presence (whatever its value) asks for every project, for those allowed to.
    const all = q.all_projects !== undefined && caller.isAdmin;
    const groups = listGroups(db, all ? null : caller.projectId, {
      limit: q.limit !== undefined ? Math.min(Number(q.limit), 1000) : undefined,
      offset: q.offset !== undefined ? Number(q.offset) : undefined,
    });
    return c.json({ server_groups: groups.map((g) => view(c, g)) });
  });

  app.get("/os-server-groups/:id", (c) => c.json({ server_group: view(c, groupOr404(db, callerOf(c), c.req.param("id"))) }));

  app.post("/os-server-groups", async (c) => {
    requireMember(c.get("auth")); // a reader may look, not create (Nova's PROJECT_MEMBER)
    const caller = callerOf(c);
    const body = await jsonBody(c);
    let policy: ServerGroup["policy"];
    let rules: ServerGroup["rules"] = {};
    let name: string;
    if (mvAtLeast(c, 2, 64)) {
      const g = parse(ServerGroupCreateV264, body).server_group;
      name = g.name;
      policy = g.policy;
      if (g.rules && Object.keys(g.rules).length) {
        if (policy !== "anti-affinity") throw badRequest("Only anti-affinity policy supports rules.");
        rules = g.rules;
      }
    } else {
      const g = parse(ServerGroupCreateV21, body).server_group;
      name = g.name;
      const allowed: readonly string[] = mvAtLeast(c, 2, 15) ? POLICIES : POLICIES.slice(0, 2);
      const p = g.policies[0]!;
      if (!allowed.includes(p)) {
        throw badRequest(`Invalid input for field/attribute 0. Value: ${p}. '${p}' is not one of ${JSON.stringify(allowed)}`);
      }
      policy = p as ServerGroup["policy"];
    }
    const created = createGroup(db, ctx.clock.now(), { name, policy, rules, projectId: caller.projectId, userId: caller.userId });
    ctx.log.info(`server group ${created.id} (${policy}) created in project ${caller.projectId}`);
    return c.json({ server_group: view(c, created) });
  });

  app.delete("/os-server-groups/:id", (c) => {
    requireMember(c.get("auth"));
    deleteGroup(db, callerOf(c), c.req.param("id"));
    return c.body(null, 204);
  });

  return app;
}
