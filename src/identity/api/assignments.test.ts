import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { hexId } from "../../core/ids.ts";
import { testCloud, type TestCloud } from "../../../test/harness.ts";

let t: TestCloud;
let admin: string;
let demo: string;
beforeAll(async () => {
  t = await testCloud();
  admin = await t.token();
  demo = await t.token("demo", "secret", "demo");
});
afterAll(() => t.close());

const json = async (res: Response) => (await res.json()) as any;
const short = () => hexId().slice(0, 8);

// Users, groups, projects and domains are made with SQL here (their APIs are another module's).
const db = () => t.cloud.db;
function mkDomain(name = `dom-${short()}`) {
  const id = hexId();
  db().run("INSERT INTO identity_domains (id, name) VALUES (?, ?)", id, name);
  return { id, name };
}
function mkProject(domainId: string, parentId: string | null = null, name = `proj-${short()}`) {
  const id = hexId();
  db().run("INSERT INTO identity_projects (id, name, domain_id, parent_id) VALUES (?, ?, ?, ?)", id, name, domainId, parentId);
  return { id, name };
}
async function mkUser(domainId: string, password = "pw", name = `user-${short()}`) {
  const id = hexId();
  const hash = await t.cloud.identity.ctx.hashSecret(password);
  db().run(
    "INSERT INTO identity_users (id, name, domain_id, password_hash, password_created_at, created_at) VALUES (?, ?, ?, ?, ?, ?)",
    id, name, domainId, hash, Date.now(), Date.now(),
  );
  return { id, name };
}
function mkGroup(domainId: string, name = `grp-${short()}`) {
  const id = hexId();
  db().run("INSERT INTO identity_groups (id, name, domain_id) VALUES (?, ?, ?)", id, name, domainId);
  return { id, name };
}
const addMember = (groupId: string, userId: string) =>
  db().run("INSERT INTO identity_group_members (group_id, user_id) VALUES (?, ?)", groupId, userId);
async function mkRole(extra: Record<string, unknown> = {}) {
  const res = await t.req("POST", "/v3/roles", { token: admin, json: { role: { name: `role-${short()}`, ...extra } } });
  expect(res.status).toBe(201);
  return (await json(res)).role as { id: string; name: string };
}
async function login(userId: string, password: string, scope?: unknown) {
  return t.req("POST", "/v3/auth/tokens", {
    json: { auth: { identity: { methods: ["password"], password: { user: { id: userId, password } } }, ...(scope ? { scope } : {}) } },
  });
}
const put = (path: string, token = admin) => t.req("PUT", path, { token });
const del = (path: string, token = admin) => t.req("DELETE", path, { token });
const head = (path: string, token = admin) => t.req("HEAD", path, { token });
const ras = async (qs: string, token = admin) => {
  const res = await t.req("GET", `/v3/role_assignments${qs}`, { token });
  expect(res.status).toBe(200);
  return (await json(res)).role_assignments as any[];
};

describe("grants", () => {
  test("user on project: put, check, list, delete (and the 404s)", async () => {
    const d = mkDomain();
    const p = mkProject(d.id);
    const u = await mkUser(d.id);
    const r = await mkRole();
    const path = `/v3/projects/${p.id}/users/${u.id}/roles/${r.id}`;
    expect((await head(path)).status).toBe(404);
    expect((await put(path)).status).toBe(204);
    expect((await put(path)).status).toBe(204); // idempotent
    expect((await head(path)).status).toBe(204);
    expect((await t.req("GET", path, { token: admin })).status).toBe(204);
    const list = await json(await t.req("GET", `/v3/projects/${p.id}/users/${u.id}/roles`, { token: admin }));
    expect(list.roles.map((x: any) => x.id)).toEqual([r.id]);
    expect(list.roles[0].links.self).toEndWith(`/v3/roles/${r.id}`);
    expect(list.links.next).toBeNull();
    expect((await del(path)).status).toBe(204);
    expect((await del(path)).status).toBe(404);
    expect((await head(path)).status).toBe(404);

    expect((await put(`/v3/projects/nope/users/${u.id}/roles/${r.id}`)).status).toBe(404);
    expect((await put(`/v3/projects/${p.id}/users/nope/roles/${r.id}`)).status).toBe(404);
    expect((await put(`/v3/projects/${p.id}/users/${u.id}/roles/nope`)).status).toBe(404);
    expect((await put(`/v3/projects/${p.id}/groups/nope/roles/${r.id}`)).status).toBe(404);
    expect((await put(`/v3/domains/nope/users/${u.id}/roles/${r.id}`)).status).toBe(404);
    expect((await t.req("GET", `/v3/projects/nope/users/${u.id}/roles`, { token: admin })).status).toBe(404);
    expect((await t.req("GET", `/v3/projects/${p.id}/users/nope/roles`, { token: admin })).status).toBe(404);
  });

  test("every grant kind: user/group × project/domain/system, and OS-INHERIT", async () => {
    const d = mkDomain();
    const p = mkProject(d.id);
    const u = await mkUser(d.id);
    const g = mkGroup(d.id);
    const r = await mkRole();
    const kinds = [
      [`/v3/projects/${p.id}/users/${u.id}/roles`, ""],
      [`/v3/projects/${p.id}/groups/${g.id}/roles`, ""],
      [`/v3/domains/${d.id}/users/${u.id}/roles`, ""],
      [`/v3/domains/${d.id}/groups/${g.id}/roles`, ""],
      [`/v3/system/users/${u.id}/roles`, ""],
      [`/v3/system/groups/${g.id}/roles`, ""],
      [`/v3/OS-INHERIT/domains/${d.id}/users/${u.id}/roles`, "/inherited_to_projects"],
      [`/v3/OS-INHERIT/domains/${d.id}/groups/${g.id}/roles`, "/inherited_to_projects"],
      [`/v3/OS-INHERIT/projects/${p.id}/users/${u.id}/roles`, "/inherited_to_projects"],
      [`/v3/OS-INHERIT/projects/${p.id}/groups/${g.id}/roles`, "/inherited_to_projects"],
    ] as const;
    for (const [base, suffix] of kinds) {
      const one = `${base}/${r.id}${suffix}`;
      expect([base, (await put(one)).status]).toEqual([base, 204]);
      expect([base, (await head(one)).status]).toEqual([base, 204]);
      if (!base.startsWith("/v3/OS-INHERIT/projects")) {
        const list = await json(await t.req("GET", `${base}${suffix}`, { token: admin }));
        expect([base, list.roles.map((x: any) => x.id)]).toEqual([base, [r.id]]);
      }
    }
    // inherited and direct grants are distinct
    expect((await head(`/v3/domains/${d.id}/users/${u.id}/roles/${r.id}`)).status).toBe(204);
    const all = await ras(`?role.id=${r.id}`);
    expect(all.length).toBe(kinds.length);
    const inherited = await ras(`?role.id=${r.id}&scope.OS-INHERIT:inherited_to=projects`);
    expect(inherited.length).toBe(4);
    for (const a of inherited) {
      expect(a.scope["OS-INHERIT:inherited_to"]).toBe("projects");
      expect(a.links.assignment).toMatch(/\/v3\/OS-INHERIT\/.*\/inherited_to_projects$/);
    }
    for (const [base, suffix] of kinds) expect((await del(`${base}/${r.id}${suffix}`)).status).toBe(204);
    expect(await ras(`?role.id=${r.id}`)).toEqual([]);
  });

  test("domain-specific roles: project must be in the role's domain; never on the system", async () => {
    const d = mkDomain();
    const other = mkDomain();
    const p = mkProject(d.id);
    const q = mkProject(other.id);
    const u = await mkUser(d.id);
    const dr = await mkRole({ domain_id: d.id });
    expect((await put(`/v3/projects/${p.id}/users/${u.id}/roles/${dr.id}`)).status).toBe(204);
    expect((await put(`/v3/projects/${q.id}/users/${u.id}/roles/${dr.id}`)).status).toBe(403);
    expect((await put(`/v3/system/users/${u.id}/roles/${dr.id}`)).status).toBe(400);
  });

  test("a member may neither grant, revoke nor read grants", async () => {
    const d = mkDomain();
    const p = mkProject(d.id);
    const u = await mkUser(d.id);
    const r = await mkRole();
    const path = `/v3/projects/${p.id}/users/${u.id}/roles/${r.id}`;
    expect((await put(path, demo)).status).toBe(403);
    expect((await put(path)).status).toBe(204);
    expect((await head(path, demo)).status).toBe(403);
    expect((await t.req("GET", `/v3/projects/${p.id}/users/${u.id}/roles`, { token: demo })).status).toBe(403);
    expect((await del(path, demo)).status).toBe(403);
    expect((await put(`/v3/system/users/${u.id}/roles/${r.id}`, demo)).status).toBe(403);
    expect((await head(path)).status).toBe(204);
  });

  test("removing a user's only role on a project invalidates their project token", async () => {
    const d = mkDomain();
    const p = mkProject(d.id);
    const u = await mkUser(d.id, "s3cret");
    const r = await mkRole();
    const path = `/v3/projects/${p.id}/users/${u.id}/roles/${r.id}`;
    expect((await login(u.id, "s3cret", { project: { id: p.id } })).status).toBe(401);
    expect((await put(path)).status).toBe(204);
    const res = await login(u.id, "s3cret", { project: { id: p.id } });
    expect(res.status).toBe(201);
    const tok = res.headers.get("x-subject-token")!;
    expect((await json(res)).token.roles.map((x: any) => x.id)).toEqual([r.id]);
    const check = () => t.req("GET", "/v3/auth/tokens", { token: admin, headers: { "x-subject-token": tok } });
    expect((await check()).status).toBe(200);
    expect((await del(path)).status).toBe(204);
    expect((await check()).status).toBe(404);
    // and the token itself no longer authenticates
    expect((await t.req("GET", "/v3/role_inferences", { token: tok })).status).toBe(401);
  });

  test("a group grant reaches the group's members in their tokens", async () => {
    const d = mkDomain();
    const p = mkProject(d.id);
    const u = await mkUser(d.id, "pw");
    const g = mkGroup(d.id);
    addMember(g.id, u.id);
    const r = await mkRole();
    expect((await put(`/v3/projects/${p.id}/groups/${g.id}/roles/${r.id}`)).status).toBe(204);
    const res = await login(u.id, "pw", { project: { id: p.id } });
    expect(res.status).toBe(201);
    expect((await json(res)).token.roles.map((x: any) => x.id)).toEqual([r.id]);
  });

  test("deleting a role removes its assignments", async () => {
    const d = mkDomain();
    const p = mkProject(d.id);
    const u = await mkUser(d.id);
    const r = await mkRole();
    await put(`/v3/projects/${p.id}/users/${u.id}/roles/${r.id}`);
    await put(`/v3/system/users/${u.id}/roles/${r.id}`);
    expect((await ras(`?user.id=${u.id}`)).length).toBe(2);
    expect((await del(`/v3/roles/${r.id}`)).status).toBe(204);
    expect(await ras(`?user.id=${u.id}`)).toEqual([]);
  });
});

describe("GET /v3/role_assignments", () => {
  test("direct listing shape and filters", async () => {
    const d = mkDomain();
    const p = mkProject(d.id);
    const u = await mkUser(d.id);
    const g = mkGroup(d.id);
    const r = await mkRole();
    await put(`/v3/projects/${p.id}/users/${u.id}/roles/${r.id}`);
    await put(`/v3/domains/${d.id}/groups/${g.id}/roles/${r.id}`);
    await put(`/v3/system/users/${u.id}/roles/${r.id}`);

    const res = await t.req("GET", `/v3/role_assignments?user.id=${u.id}&scope.project.id=${p.id}`, { token: admin });
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.links).toEqual({ self: expect.stringContaining("/v3/role_assignments?"), previous: null, next: null });
    expect(body.role_assignments).toEqual([
      {
        role: { id: r.id },
        user: { id: u.id },
        scope: { project: { id: p.id } },
        links: { assignment: expect.stringMatching(new RegExp(`/v3/projects/${p.id}/users/${u.id}/roles/${r.id}$`)) },
      },
    ]);
    expect((await ras(`?user.id=${u.id}`)).length).toBe(2); // project + system
    const sys = await ras(`?user.id=${u.id}&scope.system=all`);
    expect(sys).toEqual([
      { role: { id: r.id }, user: { id: u.id }, scope: { system: { all: true } }, links: { assignment: expect.stringMatching(/\/v3\/system\/users\//) } },
    ]);
    const grp = await ras(`?group.id=${g.id}`);
    expect(grp.length).toBe(1);
    expect(grp[0].group).toEqual({ id: g.id });
    expect(grp[0].scope).toEqual({ domain: { id: d.id } });
    expect(grp[0].links.assignment).toEndWith(`/v3/domains/${d.id}/groups/${g.id}/roles/${r.id}`);
    expect((await ras(`?scope.domain.id=${d.id}`)).length).toBe(1);
    expect((await ras(`?role.id=${r.id}`)).length).toBe(3);
    expect(await ras(`?user.id=nope`)).toEqual([]);
  });

  test("bad filter combinations → 400", async () => {
    for (const qs of [
      "?user.id=a&group.id=b",
      "?scope.project.id=a&scope.domain.id=b",
      "?scope.system=all&scope.project.id=a",
      "?scope.system=all&scope.domain.id=a",
      "?effective&group.id=a",
      "?effective&scope.domain.id=a&scope.OS-INHERIT:inherited_to=projects",
      "?include_subtree=True",
    ]) {
      const res = await t.req("GET", `/v3/role_assignments${qs}`, { token: admin });
      expect([qs, res.status]).toEqual([qs, 400]);
    }
  });

  test("effective: groups expanded with a membership link, implied roles added, domain roles stripped", async () => {
    const d = mkDomain();
    const p = mkProject(d.id);
    const u = await mkUser(d.id);
    const g = mkGroup(d.id);
    addMember(g.id, u.id);
    const [r0, r1, r2] = [await mkRole(), await mkRole(), await mkRole()];
    const dr = await mkRole({ domain_id: d.id });
    await put(`/v3/projects/${p.id}/groups/${g.id}/roles/${r0.id}`);
    await put(`/v3/projects/${p.id}/users/${u.id}/roles/${dr.id}`);
    await put(`/v3/roles/${r0.id}/implies/${r1.id}`);
    await put(`/v3/roles/${dr.id}/implies/${r2.id}`);

    const direct = await ras(`?user.id=${u.id}&scope.project.id=${p.id}`);
    expect(direct.map((a) => a.role.id)).toEqual([dr.id]);

    const eff = await ras(`?user.id=${u.id}&scope.project.id=${p.id}&effective`);
    expect(eff.map((a) => a.role.id).sort()).toEqual([r0.id, r1.id, r2.id].sort());
    const viaGroup = eff.find((a) => a.role.id === r0.id);
    expect(viaGroup.user).toEqual({ id: u.id });
    expect(viaGroup.links.membership).toEndWith(`/v3/groups/${g.id}/users/${u.id}`);
    expect(viaGroup.links.assignment).toEndWith(`/v3/projects/${p.id}/groups/${g.id}/roles/${r0.id}`);
    const implied = eff.find((a) => a.role.id === r1.id);
    expect(implied.links.prior_role).toBeDefined();
    expect(implied.links.assignment).toEndWith(`/groups/${g.id}/roles/${r0.id}`);

    // the token agrees: r0, r1 and r2 (not the domain role)
    const tok = await login(u.id, "pw", { project: { id: p.id } });
    expect(tok.status).toBe(201);
    expect((await json(tok)).token.roles.map((x: any) => x.id).sort()).toEqual([r0.id, r1.id, r2.id].sort());
    // effective without a user: the group's assignment appears as its member's
    const byProject = await ras(`?scope.project.id=${p.id}&effective`);
    expect(byProject.every((a) => a.user && !a.group)).toBe(true);
    // role filter applies after implication
    expect((await ras(`?user.id=${u.id}&effective&role.id=${r1.id}`)).map((a) => a.role.id)).toEqual([r1.id]);

    // deleting the inference rule removes the implied assignment
    await del(`/v3/roles/${r0.id}/implies/${r1.id}`);
    const after = await ras(`?user.id=${u.id}&scope.project.id=${p.id}&effective`);
    expect(after.map((a) => a.role.id).sort()).toEqual([r0.id, r2.id].sort());
  });

  test("effective: inheritance from the domain and from parent projects", async () => {
    const d = mkDomain();
    const parent = mkProject(d.id);
    const leaf = mkProject(d.id, parent.id);
    const u = await mkUser(d.id, "pw");
    const r = await mkRole();
    const rp = await mkRole();
    await put(`/v3/OS-INHERIT/domains/${d.id}/users/${u.id}/roles/${r.id}/inherited_to_projects`);
    for (const p of [parent, leaf]) {
      const eff = await ras(`?user.id=${u.id}&scope.project.id=${p.id}&effective`);
      expect(eff.length).toBe(1);
      expect(eff[0].scope).toEqual({ project: { id: p.id }, "OS-INHERIT:inherited_to": "projects" });
      expect(eff[0].links.assignment).toEndWith(`/v3/OS-INHERIT/domains/${d.id}/users/${u.id}/roles/${r.id}/inherited_to_projects`);
    }
    // no effective assignment on the domain itself
    expect(await ras(`?user.id=${u.id}&scope.domain.id=${d.id}&effective`)).toEqual([]);
    // a token on the leaf carries the inherited role
    const tokRes = await login(u.id, "pw", { project: { id: leaf.id } });
    expect(tokRes.status).toBe(201);
    await del(`/v3/OS-INHERIT/domains/${d.id}/users/${u.id}/roles/${r.id}/inherited_to_projects`);
    expect(await ras(`?user.id=${u.id}&scope.project.id=${parent.id}&effective`)).toEqual([]);
    expect(await ras(`?user.id=${u.id}&scope.project.id=${leaf.id}&effective`)).toEqual([]);

    // inherited from a parent project: applies below it, not to it
    await put(`/v3/OS-INHERIT/projects/${parent.id}/users/${u.id}/roles/${rp.id}/inherited_to_projects`);
    expect((await ras(`?user.id=${u.id}&scope.project.id=${leaf.id}&effective`)).map((a) => a.role.id)).toEqual([rp.id]);
    expect(await ras(`?user.id=${u.id}&scope.project.id=${parent.id}&effective`)).toEqual([]);
    // without a project filter the inherited assignment lands on every project below
    const all = await ras(`?user.id=${u.id}&effective`);
    expect(all.map((a) => a.scope.project.id)).toEqual([leaf.id]);
    // include_subtree on the parent shows the leaf's effective assignment
    const tree = await ras(`?scope.project.id=${parent.id}&include_subtree=True&effective`);
    expect(tree.map((a) => a.scope.project.id)).toEqual([leaf.id]);
    // direct listing of the parent shows the inherited grant itself
    const direct = await ras(`?scope.project.id=${parent.id}`);
    expect(direct.length).toBe(1);
    expect(direct[0].scope["OS-INHERIT:inherited_to"]).toBe("projects");
    await del(`/v3/OS-INHERIT/projects/${parent.id}/users/${u.id}/roles/${rp.id}/inherited_to_projects`);
    expect(await ras(`?user.id=${u.id}&scope.project.id=${leaf.id}&effective`)).toEqual([]);
  });

  test("include_subtree lists grants below the project", async () => {
    const d = mkDomain();
    const parent = mkProject(d.id);
    const child = mkProject(d.id, parent.id);
    const grandchild = mkProject(d.id, child.id);
    const u = await mkUser(d.id);
    const r = await mkRole();
    for (const p of [parent, child, grandchild]) await put(`/v3/projects/${p.id}/users/${u.id}/roles/${r.id}`);
    expect((await ras(`?scope.project.id=${child.id}`)).length).toBe(1);
    const tree = await ras(`?scope.project.id=${child.id}&include_subtree=True`);
    expect(tree.map((a) => a.scope.project.id).sort()).toEqual([child.id, grandchild.id].sort());
    expect((await t.req("GET", `/v3/role_assignments?scope.project.id=nope&include_subtree=1`, { token: admin })).status).toBe(404);
  });

  test("include_names adds names of user, group, project, domain, role and their domains", async () => {
    const d = mkDomain();
    const p = mkProject(d.id);
    const u = await mkUser(d.id);
    const g = mkGroup(d.id);
    const r = await mkRole();
    const dr = await mkRole({ domain_id: d.id });
    await put(`/v3/projects/${p.id}/users/${u.id}/roles/${r.id}`);
    await put(`/v3/domains/${d.id}/groups/${g.id}/roles/${dr.id}`);
    const a = await ras(`?user.id=${u.id}&include_names=True`);
    expect(a).toEqual([
      {
        role: { id: r.id, name: r.name },
        user: { id: u.id, name: u.name, domain: { id: d.id, name: d.name } },
        scope: { project: { id: p.id, name: p.name, domain: { id: d.id, name: d.name } } },
        links: { assignment: expect.any(String) },
      },
    ]);
    const b = await ras(`?group.id=${g.id}&include_names`);
    expect(b[0].group).toEqual({ id: g.id, name: g.name, domain: { id: d.id, name: d.name } });
    expect(b[0].scope).toEqual({ domain: { id: d.id, name: d.name } });
    expect(b[0].role).toEqual({ id: dr.id, name: dr.name, domain: { id: d.id, name: d.name } });
    // include_names=0 means no names
    expect((await ras(`?user.id=${u.id}&include_names=0`))[0].role).toEqual({ id: r.id });
  });

  test("policy: a project member may not list assignments, not even their own (Keystone default)", async () => {
    const me = (await json(await t.req("GET", "/v3/auth/tokens", { token: demo, headers: { "x-subject-token": demo } }))).token.user.id;
    expect((await t.req("GET", "/v3/role_assignments", { token: demo })).status).toBe(403);
    expect((await t.req("GET", `/v3/role_assignments?user.id=${me}`, { token: demo })).status).toBe(403);
    expect((await t.req("HEAD", "/v3/role_assignments", { token: admin })).status).toBe(200);
  });

  test("a domain-scoped reader sees only their domain's assignments", async () => {
    const d = mkDomain();
    const p = mkProject(d.id);
    const u = await mkUser(d.id, "pw");
    const reader = (await json(await t.req("GET", "/v3/roles?name=reader", { token: admin }))).roles[0];
    await put(`/v3/domains/${d.id}/users/${u.id}/roles/${reader.id}`);
    await put(`/v3/projects/${p.id}/users/${u.id}/roles/${reader.id}`);
    const res = await login(u.id, "pw", { domain: { id: d.id } });
    expect(res.status).toBe(201);
    const tok = res.headers.get("x-subject-token")!;
    const mine = await ras("", tok);
    expect(mine.length).toBe(2);
    for (const a of mine) expect(a.scope.domain?.id ?? a.scope.project?.id).toBeOneOf([d.id, p.id]);
    // … and may check grants inside their domain, but not grant
    expect((await head(`/v3/projects/${p.id}/users/${u.id}/roles/${reader.id}`, tok)).status).toBe(204);
    expect((await put(`/v3/projects/${p.id}/users/${u.id}/roles/${reader.id}`, tok)).status).toBe(403);
    expect((await head(`/v3/projects/${p.id}/users/${u.id}/roles/${reader.id}`, demo)).status).toBe(403);
  });
});

describe("cleanup helpers for other modules", () => {
  test("deleteAssignmentsOfActor / OnTarget / deleteDomainRoles", async () => {
    const { deleteAssignmentsOfActor, deleteAssignmentsOnTarget, deleteDomainRoles } = await import("../logic/assignments.ts");
    const d = mkDomain();
    const p = mkProject(d.id);
    const u = await mkUser(d.id);
    const g = mkGroup(d.id);
    const r = await mkRole();
    const dr = await mkRole({ domain_id: d.id });
    await put(`/v3/projects/${p.id}/users/${u.id}/roles/${r.id}`);
    await put(`/v3/domains/${d.id}/groups/${g.id}/roles/${r.id}`);
    await put(`/v3/domains/${d.id}/users/${u.id}/roles/${dr.id}`);
    deleteAssignmentsOfActor(db(), g.id);
    expect(await ras(`?group.id=${g.id}`)).toEqual([]);
    deleteAssignmentsOnTarget(db(), p.id);
    expect(await ras(`?scope.project.id=${p.id}`)).toEqual([]);
    deleteDomainRoles(db(), d.id);
    expect((await t.req("GET", `/v3/roles/${dr.id}`, { token: admin })).status).toBe(404);
    expect(await ras(`?user.id=${u.id}`)).toEqual([]);
  });
});
