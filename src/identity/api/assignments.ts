import { Hono, type Context } from "hono";
import type { AuthContext } from "../../core/auth.ts";
import { forbidden } from "../../core/errors.ts";
import type { AppEnv } from "../../core/http.ts";
import { isAdmin, requireAdmin } from "../../core/policy.ts";
import { query } from "../../core/validate.ts";
import { baseUrl, collectionLinks, type IdentityCtx } from "../ctx.ts";
import {
  actorDomain,
  assignmentDomain,
  checkGrant,
  createGrant,
  deleteGrant,
  formatAssignment,
  listGrants,
  listRoleAssignments,
  type ActorKind,
  type Grant,
  type TargetKind,
} from "../logic/assignments.ts";
import { getDomain, getProject, getRole, mustProject } from "../model.ts";
import { flag, RoleAssignmentsQuery } from "../schemas/assignments.ts";
import { renderRole } from "../views.ts";

const systemReader = (a: AuthContext) => !!a.system && a.roles.includes("reader");

/**
 * Keystone's default grant read policy (check_grant, list_grants): admin, a
 * system reader, or a reader scoped to the domain that owns both the actor
 * and the target (and the role, when it is domain-specific).
 */
function mayReadGrant(ctx: IdentityCtx, a: AuthContext, g: Grant, roleId?: string): boolean {
  if (isAdmin(a) || systemReader(a)) return true;
  if (g.target === "system" || !a.domainId || !a.roles.includes("reader")) return false;
  const targetDomain = g.target === "project" ? getProject(ctx.db, g.targetId)?.domain_id : getDomain(ctx.db, g.targetId)?.id;
  if (actorDomain(ctx.db, g.actor, g.actorId) !== a.domainId || targetDomain !== a.domainId) return false;
  if (roleId) {
    const roleDomain = getRole(ctx.db, roleId)?.domain_id;
    if (roleDomain && roleDomain !== a.domainId) return false;
  }
  return true;
}

interface Spec {
  prefix: string;
  actor: ActorKind;
  target: TargetKind;
  inherited: boolean;
  list: boolean;
}

const SPECS: Spec[] = [];
for (const actor of ["user", "group"] as const) {
  const seg = actor === "user" ? "users" : "groups";
  SPECS.push(
    { prefix: `/projects/:target/${seg}/:actor/roles`, actor, target: "project", inherited: false, list: true },
    { prefix: `/domains/:target/${seg}/:actor/roles`, actor, target: "domain", inherited: false, list: true },
    { prefix: `/system/${seg}/:actor/roles`, actor, target: "system", inherited: false, list: true },
    { prefix: `/OS-INHERIT/domains/:target/${seg}/:actor/roles`, actor, target: "domain", inherited: true, list: true },
    // Keystone has no list form for project-inherited grants.
    { prefix: `/OS-INHERIT/projects/:target/${seg}/:actor/roles`, actor, target: "project", inherited: true, list: false },
  );
}

/** Grants (project, domain, system, OS-INHERIT) and /v3/role_assignments. */
export function assignmentRoutes(ctx: IdentityCtx) {
  const app = new Hono<AppEnv>();

  for (const s of SPECS) {
    const suffix = s.inherited ? "/inherited_to_projects" : "";
    const grant = (c: Context): Grant => ({
      actor: s.actor,
      actorId: c.req.param("actor")!,
      target: s.target,
      targetId: s.target === "system" ? "system" : c.req.param("target")!,
      inherited: s.inherited,
    });

    app.put(`${s.prefix}/:role${suffix}`, (c) => {
      requireAdmin(c.get("auth"));
      createGrant(ctx, grant(c), c.req.param("role"));
      return c.body(null, 204);
    });

    // GET and HEAD (Hono routes HEAD here): 204 when the grant exists.
    app.get(`${s.prefix}/:role${suffix}`, (c) => {
      const g = grant(c);
      if (!mayReadGrant(ctx, c.get("auth"), g, c.req.param("role"))) throw forbidden();
      checkGrant(ctx, g, c.req.param("role"));
      return c.body(null, 204);
    });

    app.delete(`${s.prefix}/:role${suffix}`, (c) => {
      requireAdmin(c.get("auth"));
      deleteGrant(ctx, grant(c), c.req.param("role"));
      return c.body(null, 204);
    });

    if (s.list)
      app.get(`${s.prefix}${suffix}`, (c) => {
        const g = grant(c);
        if (!mayReadGrant(ctx, c.get("auth"), g)) throw forbidden();
        const roles = listGrants(ctx, g);
        return c.json({ roles: roles.map((r) => renderRole(c, r)), links: collectionLinks(c) });
      });
  }

  app.get("/role_assignments", query(RoleAssignmentsQuery), (c) => {
    const a = c.get("auth");
    const q = c.req.valid("query");
    const includeSubtree = flag(q.include_subtree);
    const projectId = q["scope.project.id"];
    const reader = a.roles.includes("reader");
    // identity:list_role_assignments(_for_tree): admin, a system reader, or a
    // domain reader (whose view is then limited to their domain).
    if (includeSubtree) {
      const project = mustProject(ctx.db, projectId!);
      if (!(isAdmin(a) || systemReader(a) || (reader && a.domainId === project.domain_id))) throw forbidden();
    } else if (!(isAdmin(a) || systemReader(a) || (reader && a.domainId))) throw forbidden();

    const inheritedTo = q["scope.OS-INHERIT:inherited_to"];
    let refs = listRoleAssignments(ctx, {
      roleId: q["role.id"],
      userId: q["user.id"],
      groupId: q["group.id"],
      projectId,
      domainId: q["scope.domain.id"],
      system: q["scope.system"] === "all",
      inherited: inheritedTo === undefined ? undefined : inheritedTo === "projects",
      effective: flag(q.effective),
      includeSubtree,
    });
    if (a.domainId && !includeSubtree) refs = refs.filter((r) => assignmentDomain(ctx.db, r) === a.domainId);

    const base = `${baseUrl(c)}/v3`;
    const includeNames = flag(q.include_names);
    return c.json({
      role_assignments: refs.map((r) => formatAssignment(ctx.db, r, base, includeNames)),
      links: collectionLinks(c),
    });
  });

  return app;
}
