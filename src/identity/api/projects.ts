import { Hono, type Context } from "hono";
import type { AuthContext } from "../../core/auth.ts";
import { badRequest, notFound } from "../../core/errors.ts";
import type { AppEnv } from "../../core/http.ts";
import { body, parse, query } from "../../core/validate.ts";
import { baseUrl, collectionLinks, type IdentityCtx } from "../ctx.ts";
import {
  addTag,
  createProject,
  deleteProject,
  deleteTag,
  domainOfLike,
  findProjectLike,
  hasTag,
  listProjects,
  listTags,
  listUserProjects,
  parentsAsIds,
  parentsOf,
  projectIdsOfUser,
  replaceTags,
  subtreeAsIds,
  subtreeOf,
  updateProject,
  type ProjectLike,
} from "../logic/projects.ts";
import { getUser } from "../model.ts";
import { tagSchema } from "../schemas/domains.ts";
import {
  ProjectCreateSchema,
  ProjectListQuery,
  ProjectShowQuery,
  ProjectTagsSchema,
  ProjectUpdateSchema,
  UserProjectsQuery,
} from "../schemas/projects.ts";
import { renderDomainAsProject, renderProject } from "../views.ts";
import { allow, allowWrite, callerDomain, domainManager, domainReader, listScope } from "./domains.ts";

export const renderLike = (c: Context, p: ProjectLike) =>
  p.kind === "project" ? renderProject(c, p.row) : renderDomainAsProject(c, p.row);

/** get_project: admin, system reader, a reader of the project's domain, or a token scoped to the project. */
function mayReadProject(a: AuthContext, id: string, p: ProjectLike | undefined): void {
  // A domain seen as a project has no domain_id, so only the first rules can match it.
  allow(a, a.projectId === id || (p?.kind === "project" && domainReader(a, domainOfLike(p))));
}

/** create/update/delete_project: admin or a manager of the project's domain. */
function mayWriteProject(a: AuthContext, p: ProjectLike | undefined): void {
  allowWrite(a, p?.kind === "project" && domainManager(a, domainOfLike(p)));
}

/** Keystone's `query_filter_is_true`: present and not "0". */
const flag = (v: string | undefined) => v !== undefined && v !== "0";

/** /v3/projects, the hierarchy, project tags, and /v3/users/{id}/projects. */
export function projectRoutes(ctx: IdentityCtx) {
  const app = new Hono<AppEnv>();

  app.get("/projects", query(ProjectListQuery), (c) => {
    const onlyDomain = listScope(c.get("auth"));
    const rows = listProjects(ctx, c.req.valid("query"), c.req.query(), onlyDomain);
    return c.json({ projects: rows.map((p) => renderLike(c, p)), links: collectionLinks(c) });
  });

  app.post("/projects", body(ProjectCreateSchema), (c) => {
    const a = c.get("auth");
    const input = c.req.valid("json").project;
    const domainId = input.domain_id || callerDomain(a);
    allowWrite(a, input.is_domain !== true && domainManager(a, domainId));
    const p = createProject(ctx, input, callerDomain(a));
    return c.json({ project: renderLike(c, p) }, 201);
  });

  app.get("/projects/:id", query(ProjectShowQuery), (c) => {
    const a = c.get("auth");
    const id = c.req.param("id");
    const p = findProjectLike(ctx.db, id);
    mayReadProject(a, id, p);
    if (!p) throw notFound(`Could not find project: ${id}.`);
    const q = c.req.query();
    const parentsList = flag(q.parents_as_list), parentsIds = flag(q.parents_as_ids);
    const subtreeList = flag(q.subtree_as_list), subtreeIds = flag(q.subtree_as_ids);
    if (parentsList && parentsIds)
      throw badRequest("Cannot use parents_as_list and parents_as_ids query params at the same time.");
    if (subtreeList && subtreeIds)
      throw badRequest("Cannot use subtree_as_list and subtree_as_ids query params at the same time.");
    const out: Record<string, unknown> = renderLike(c, p);
    // The lists show only the projects the caller has a role on, as in Keystone.
    const mine = parentsList || subtreeList ? projectIdsOfUser(ctx, a.userId) : new Set<string>();
    if (parentsList)
      out.parents = parentsOf(ctx.db, p)
        .filter((x) => mine.has(x.row.id))
        .map((x) => ({ project: renderLike(c, x) }));
    else if (parentsIds) out.parents = parentsAsIds(ctx.db, p);
    if (subtreeList)
      out.subtree = subtreeOf(ctx.db, id)
        .filter((x) => mine.has(x.id))
        .map((row) => ({ project: renderLike(c, { kind: "project", row }) }));
    else if (subtreeIds) out.subtree = subtreeAsIds(ctx.db, id);
    return c.json({ project: out });
  });

  app.patch("/projects/:id", body(ProjectUpdateSchema), (c) => {
    const id = c.req.param("id");
    mayWriteProject(c.get("auth"), findProjectLike(ctx.db, id));
    const p = updateProject(ctx, id, c.req.valid("json").project);
    return c.json({ project: renderLike(c, p) });
  });

  app.delete("/projects/:id", (c) => {
    const id = c.req.param("id");
    mayWriteProject(c.get("auth"), findProjectLike(ctx.db, id));
    deleteProject(ctx, id);
    return c.body(null, 204);
  });

  // ---- tags ----------------------------------------------------------------------

  const tagsBody = (c: Context, tags: string[]) => {
    const u = new URL(c.req.url);
    return { tags, links: { self: `${baseUrl(c)}${u.pathname}` } };
  };

  app.get("/projects/:id/tags", (c) => {
    const id = c.req.param("id");
    mayReadProject(c.get("auth"), id, findProjectLike(ctx.db, id));
    return c.json(tagsBody(c, listTags(ctx, id)));
  });

  app.put("/projects/:id/tags", body(ProjectTagsSchema), (c) => {
    const id = c.req.param("id");
    mayWriteProject(c.get("auth"), findProjectLike(ctx.db, id));
    return c.json(tagsBody(c, replaceTags(ctx, id, c.req.valid("json").tags)));
  });

  app.delete("/projects/:id/tags", (c) => {
    const id = c.req.param("id");
    mayWriteProject(c.get("auth"), findProjectLike(ctx.db, id));
    replaceTags(ctx, id, []);
    return c.body(null, 204);
  });

  app.get("/projects/:id/tags/:tag", (c) => {
    const id = c.req.param("id");
    mayReadProject(c.get("auth"), id, findProjectLike(ctx.db, id));
    hasTag(ctx, id, c.req.param("tag"));
    return c.body(null, 204);
  });

  app.put("/projects/:id/tags/:tag", (c) => {
    const id = c.req.param("id");
    const tag = c.req.param("tag");
    mayWriteProject(c.get("auth"), findProjectLike(ctx.db, id));
    parse(tagSchema, tag);
    addTag(ctx, id, tag);
    c.header("Location", `${baseUrl(c)}/v3/projects/${id}/tags/${encodeURIComponent(tag.trim())}`);
    return c.body(null, 201);
  });

  app.delete("/projects/:id/tags/:tag", (c) => {
    const id = c.req.param("id");
    mayWriteProject(c.get("auth"), findProjectLike(ctx.db, id));
    deleteTag(ctx, id, c.req.param("tag"));
    return c.body(null, 204);
  });

  // ---- GET /v3/users/{id}/projects ---------------------------------------------------

  app.get("/users/:id/projects", query(UserProjectsQuery), (c) => {
    const a = c.get("auth");
    const id = c.req.param("id");
    // list_user_projects: admin, system reader, a reader of the user's domain, or the user.
    allow(a, a.userId === id || domainReader(a, getUser(ctx.db, id)?.domain_id));
    const rows = listUserProjects(ctx, id, c.req.valid("query"), c.req.query());
    return c.json({ projects: rows.map((p) => renderProject(c, p)), links: collectionLinks(c) });
  });

  return app;
}

