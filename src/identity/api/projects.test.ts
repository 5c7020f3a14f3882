import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { hexId } from "../../core/ids.ts";
import { testCloud, type TestCloud } from "../../../test/harness.ts";

let t: TestCloud;
let admin: string;
let demo: string;
let adminId: string;
let demoId: string;
let demoProject: string;
let adminRole: string;
beforeAll(async () => {
  t = await testCloud();
  admin = await t.token();
  demo = await t.token("demo", "secret", "demo");
  const who = async (tok: string) =>
    (await json(await t.req("GET", "/v3/auth/tokens", { token: admin, headers: { "x-subject-token": tok } }))).token;
  const a = await who(admin), d = await who(demo);
  adminId = a.user.id;
  demoId = d.user.id;
  demoProject = d.project.id;
  adminRole = (await json(await t.req("GET", "/v3/roles?name=admin", { token: admin }))).roles[0].id;
});
afterAll(() => t.close());

const json = async (res: Response) => (await res.json()) as any;
const pname = () => `proj-${hexId().slice(0, 10)}`;
const create = async (body: Record<string, unknown>) => {
  const res = await t.req("POST", "/v3/projects", { token: admin, json: { project: body } });
  if (res.status !== 201) throw new Error(`${res.status} ${await res.text()}`);
  return (await json(res)).project;
};
const mkDomain = async () => {
  const r = await t.req("POST", "/v3/domains", { token: admin, json: { domain: { name: `d-${hexId().slice(0, 8)}` } } });
  return (await json(r)).domain.id as string;
};
const status = async (method: string, path: string, token = admin, body?: unknown) =>
  (await t.req(method, path, { token, json: body })).status;

describe("projects CRUD", () => {
  test("create, show (equals the list entry), update, delete", async () => {
    const name = pname();
    const p = await create({ name, description: "d", tags: ["a", "c", "b"], flavour: "x" });
    expect(p).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{32}$/),
      name,
      domain_id: "default",
      description: "d",
      enabled: true,
      parent_id: "default",
      is_domain: false,
      tags: ["a", "c", "b"],
      options: {},
      flavour: "x",
      links: { self: expect.stringMatching(new RegExp(`/v3/projects/${p.id}$`)) },
    });
    const shown = (await json(await t.req("GET", `/v3/projects/${p.id}`, { token: admin }))).project;
    expect(shown).toEqual(p);
    const listed = (await json(await t.req("GET", "/v3/projects", { token: admin }))).projects;
    expect(listed.find((x: any) => x.id === p.id)).toEqual(shown);
    expect(listed.some((x: any) => x.is_domain)).toBe(false);

    const upd = await t.req("PATCH", `/v3/projects/${p.id}`, {
      token: admin,
      json: { project: { name: name + "2", description: "e", enabled: false, id: p.id } },
    });
    expect(upd.status).toBe(200);
    expect((await json(upd)).project).toMatchObject({ name: name + "2", description: "e", enabled: false, flavour: "x" });

    expect(await status("DELETE", `/v3/projects/${p.id}`)).toBe(204);
    expect(await status("GET", `/v3/projects/${p.id}`)).toBe(404);
    expect(await status("DELETE", `/v3/projects/${p.id}`)).toBe(404);
  });

  test("bad input → 400, duplicates → 409", async () => {
    expect(await status("POST", "/v3/projects", admin, { project: { name: "" } })).toBe(400);
    expect(await status("POST", "/v3/projects", admin, { project: { name: "a".repeat(65) } })).toBe(400);
    expect(await status("POST", "/v3/projects", admin, { project: {} })).toBe(400);
    expect(await status("POST", "/v3/projects", admin, { project: { name: pname(), domain_id: hexId() } })).toBe(400);
    expect(await status("POST", "/v3/projects", admin, { project: { name: pname(), parent_id: hexId() } })).toBe(400);
    const name = pname();
    await create({ name });
    const dup = await t.req("POST", "/v3/projects", { token: admin, json: { project: { name } } });
    expect(dup.status).toBe(409);
    expect((await json(dup)).error.message).toContain(name);
    // the same name in another domain is fine
    const d = await mkDomain();
    await create({ name, domain_id: d });
    const p = await create({ name: pname() });
    expect(await status("PATCH", `/v3/projects/${p.id}`, admin, { project: { name } })).toBe(409);
    expect(await status("PATCH", `/v3/projects/${p.id}`, admin, { project: { id: hexId() } })).toBe(400);
    expect(await status("PATCH", `/v3/projects/${p.id}`, admin, { project: { domain_id: d } })).toBe(400);
    expect(await status("PATCH", `/v3/projects/${p.id}`, admin, { project: {} })).toBe(400);
    expect(await status("PATCH", `/v3/projects/${hexId()}`, admin, { project: { name: pname() } })).toBe(404);
  });
});

describe("hierarchy", () => {
  test("parents and children; delete and disable refused while children exist", async () => {
    const d = await mkDomain();
    const root = await create({ name: pname(), domain_id: d });
    expect(root.parent_id).toBe(d);
    const mid = await create({ name: pname(), domain_id: d, parent_id: root.id });
    expect(mid.parent_id).toBe(root.id);
    const leaf = await create({ name: pname(), parent_id: mid.id, domain_id: d });

    // a parent in another domain
    expect(await status("POST", "/v3/projects", admin, { project: { name: pname(), parent_id: root.id } })).toBe(400);

    expect(await status("DELETE", `/v3/projects/${root.id}`)).toBe(403);
    expect(await status("PATCH", `/v3/projects/${mid.id}`, admin, { project: { enabled: false } })).toBe(403);
    expect(await status("PATCH", `/v3/projects/${mid.id}`, admin, { project: { parent_id: d } })).toBe(403);

    const byParent = (await json(await t.req("GET", `/v3/projects?parent_id=${root.id}`, { token: admin }))).projects;
    expect(byParent.map((p: any) => p.id)).toEqual([mid.id]);
    const top = (await json(await t.req("GET", `/v3/projects?parent_id=${d}`, { token: admin }))).projects;
    expect(top.map((p: any) => p.id)).toEqual([root.id]);

    const ids = (await json(await t.req("GET", `/v3/projects/${leaf.id}?parents_as_ids`, { token: admin }))).project;
    expect(ids.parents).toEqual({ [mid.id]: { [root.id]: { [d]: null } } });
    const sub = (await json(await t.req("GET", `/v3/projects/${root.id}?subtree_as_ids`, { token: admin }))).project;
    expect(sub.subtree).toEqual({ [mid.id]: { [leaf.id]: null } });
    const none = (await json(await t.req("GET", `/v3/projects/${leaf.id}?subtree_as_ids=1`, { token: admin }))).project;
    expect(none.subtree).toBeNull();
    const off = (await json(await t.req("GET", `/v3/projects/${leaf.id}?subtree_as_ids=0`, { token: admin }))).project;
    expect("subtree" in off).toBe(false);
    expect(await status("GET", `/v3/projects/${leaf.id}?parents_as_ids&parents_as_list`)).toBe(400);
    expect(await status("GET", `/v3/projects/${leaf.id}?subtree_as_ids&subtree_as_list`)).toBe(400);

    // the lists only show projects the caller has a role on
    expect(await status("PUT", `/v3/projects/${root.id}/users/${adminId}/roles/${adminRole}`)).toBe(204);
    const pl = (await json(await t.req("GET", `/v3/projects/${leaf.id}?parents_as_list`, { token: admin }))).project;
    expect(pl.parents.map((x: any) => x.project.id)).toEqual([root.id]);
    const sl = (await json(await t.req("GET", `/v3/projects/${root.id}?subtree_as_list`, { token: admin }))).project;
    expect(sl.subtree.map((x: any) => x.project.id)).toEqual([]);
    expect(await status("PUT", `/v3/projects/${leaf.id}/users/${adminId}/roles/${adminRole}`)).toBe(204);
    const sl2 = (await json(await t.req("GET", `/v3/projects/${root.id}?subtree_as_list`, { token: admin }))).project;
    expect(sl2.subtree.map((x: any) => x.project.id)).toEqual([leaf.id]);

    // disable bottom-up; nothing may be created below a disabled project; enable needs enabled parents
    expect(await status("PATCH", `/v3/projects/${leaf.id}`, admin, { project: { enabled: false } })).toBe(200);
    expect(await status("PATCH", `/v3/projects/${mid.id}`, admin, { project: { enabled: false } })).toBe(200);
    expect(await status("POST", "/v3/projects", admin, { project: { name: pname(), domain_id: d, parent_id: mid.id } })).toBe(400);
    expect(await status("PATCH", `/v3/projects/${leaf.id}`, admin, { project: { enabled: true } })).toBe(403);

    expect(await status("DELETE", `/v3/projects/${leaf.id}`)).toBe(204);
    expect(await status("DELETE", `/v3/projects/${mid.id}`)).toBe(204);
    expect(await status("DELETE", `/v3/projects/${root.id}`)).toBe(204);
    const grants = t.cloud.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM identity_assignments WHERE target_id IN (?, ?)", root.id, leaf.id);
    expect(grants?.n).toBe(0);
  });

  test("depth is limited", async () => {
    const d = await mkDomain();
    let parent: string | undefined;
    for (let i = 0; i < 5; i++) parent = (await create({ name: pname(), domain_id: d, parent_id: parent })).id;
    expect(await status("POST", "/v3/projects", admin, { project: { name: pname(), domain_id: d, parent_id: parent } })).toBe(403);
  });

  test("is_domain projects are domains", async () => {
    const p = await create({ name: pname(), domain_id: null, is_domain: true });
    expect(p).toMatchObject({ is_domain: true, domain_id: null, parent_id: null, enabled: true });
    const listed = (await json(await t.req("GET", "/v3/projects?is_domain=True", { token: admin }))).projects;
    expect(listed.map((x: any) => x.id)).toEqual(expect.arrayContaining([p.id, "default"]));
    expect(listed.every((x: any) => x.is_domain)).toBe(true);
    const domains = (await json(await t.req("GET", "/v3/domains", { token: admin }))).domains;
    expect(domains.map((x: any) => x.id)).toContain(p.id);
    expect((await json(await t.req("GET", `/v3/projects/${p.id}`, { token: admin }))).project).toEqual(p);
    expect(await status("DELETE", `/v3/projects/${p.id}`)).toBe(403);
    expect(await status("PATCH", `/v3/projects/${p.id}`, admin, { project: { enabled: false } })).toBe(200);
    expect(await status("DELETE", `/v3/projects/${p.id}`)).toBe(204);
    expect(await status("GET", `/v3/domains/${p.id}`)).toBe(404);
  });
});

describe("filters", () => {
  test("name, domain_id, enabled, tags", async () => {
    const d = await mkDomain();
    const a = await create({ name: pname(), domain_id: d, tags: ["red", "big"] });
    const b = await create({ name: pname(), domain_id: d, tags: ["red"], enabled: false });
    const c = await create({ name: pname(), domain_id: d, tags: [] });
    const q = async (qs: string) =>
      ((await json(await t.req("GET", `/v3/projects?domain_id=${d}&${qs}`, { token: admin }))).projects as any[]).map((p) => p.id).sort();
    expect(await q("")).toEqual([a.id, b.id, c.id].sort());
    expect(await q(`name=${a.name}`)).toEqual([a.id]);
    expect(await q("enabled=false")).toEqual([b.id]);
    expect(await q("enabled=true")).toEqual([a.id, c.id].sort());
    expect(await q("tags=red,big")).toEqual([a.id]);
    expect(await q("tags-any=big,red")).toEqual([a.id, b.id].sort());
    expect(await q("not-tags=red,big")).toEqual([b.id, c.id].sort());
    expect(await q("not-tags-any=red")).toEqual([c.id]);
    expect(await q(`name__startswith=${a.name.slice(0, 12)}`)).toEqual([a.id]);
    expect(await status("GET", "/v3/projects?enabled=perhaps")).toBe(400);
  });
});

describe("tags", () => {
  test("add, check, replace, list, delete", async () => {
    const p = await create({ name: pname() });
    const base = `/v3/projects/${p.id}/tags`;
    const put = await t.req("PUT", `${base}/first`, { token: admin, body: "{}" });
    expect(put.status).toBe(201);
    expect(put.headers.get("location")).toContain(`${base}/first`);
    expect(await put.text()).toBe("");
    expect(await status("GET", `${base}/first`)).toBe(204);
    expect(await status("GET", `${base}/missing`)).toBe(404);
    expect(await status("PUT", `${base}/first`)).toBe(400);
    expect(await status("PUT", `${base}/a,b`)).toBe(400);
    expect(await status("PUT", `${base}/a%2Fb`)).toBe(400);
    expect(await status("PUT", `${base}/${"x".repeat(256)}`)).toBe(400);

    const rep = await t.req("PUT", base, { token: admin, json: { tags: ["t1", "t2", "t3"] } });
    expect(rep.status).toBe(200);
    expect(await json(rep)).toEqual({ tags: ["t1", "t2", "t3"], links: { self: expect.stringContaining(base) } });
    expect((await json(await t.req("GET", base, { token: admin }))).tags).toEqual(["t1", "t2", "t3"]);
    expect((await json(await t.req("GET", `/v3/projects/${p.id}`, { token: admin }))).project.tags).toEqual(["t1", "t2", "t3"]);

    expect(await status("DELETE", `${base}/t1`)).toBe(204);
    expect(await status("GET", `${base}/t1`)).toBe(404);
    expect(await status("DELETE", `${base}/t1`)).toBe(404);
    expect(await status("DELETE", base)).toBe(204);
    expect((await json(await t.req("GET", base, { token: admin }))).tags).toEqual([]);

    expect(await status("PUT", base, admin, { tags: ["a", "a"] })).toBe(400);
    expect(await status("PUT", base, admin, { tags: Array.from({ length: 81 }, (_, i) => `t${i}`) })).toBe(400);
    expect(await status("PUT", base, admin, { tags: ["ok/no"] })).toBe(400);
    expect(await status("GET", `/v3/projects/${hexId()}/tags`)).toBe(404);
  });
});

describe("policy", () => {
  test("a member cannot list or change projects but can read its own", async () => {
    const p = await create({ name: pname() });
    expect(await status("GET", "/v3/projects", demo)).toBe(403);
    expect(await status("POST", "/v3/projects", demo, { project: { name: pname() } })).toBe(403);
    expect(await status("DELETE", `/v3/projects/${p.id}`, demo)).toBe(403);
    expect(await status("PATCH", `/v3/projects/${p.id}`, demo, { project: { name: pname() } })).toBe(403);
    expect(await status("GET", `/v3/projects/${p.id}`, demo)).toBe(403);
    expect(await status("GET", `/v3/projects/${hexId()}`, demo)).toBe(403);
    expect(await status("PUT", `/v3/projects/${demoProject}/tags/x`, demo)).toBe(403);
    expect(await status("GET", `/v3/projects/${demoProject}`, demo)).toBe(200);
    expect(await status("GET", `/v3/projects/${demoProject}/tags`, demo)).toBe(200);
  });

  test("a domain-scoped manager manages the projects of its domain only", async () => {
    const d = await mkDomain();
    let manager = (await json(await t.req("GET", "/v3/roles?name=manager", { token: admin }))).roles[0]?.id;
    if (!manager)
      manager = (await json(await t.req("POST", "/v3/roles", { token: admin, json: { role: { name: "manager" } } }))).role.id;
    const reader = (await json(await t.req("GET", "/v3/roles?name=reader", { token: admin }))).roles[0].id;
    const u = (await json(await t.req("POST", "/v3/users", { token: admin, json: { user: { name: pname(), domain_id: d, password: "pw" } } }))).user;
    expect(await status("PUT", `/v3/domains/${d}/users/${u.id}/roles/${manager}`)).toBe(204);
    expect(await status("PUT", `/v3/domains/${d}/users/${u.id}/roles/${reader}`)).toBe(204);
    const res = await t.req("POST", "/v3/auth/tokens", {
      json: {
        auth: {
          identity: { methods: ["password"], password: { user: { id: u.id, password: "pw" } } },
          scope: { domain: { id: d } },
        },
      },
    });
    expect(res.status).toBe(201);
    const tok = res.headers.get("x-subject-token")!;
    const created = await t.req("POST", "/v3/projects", { token: tok, json: { project: { name: pname() } } });
    expect(created.status).toBe(201);
    const p = (await json(created)).project;
    expect(p.domain_id).toBe(d);
    expect(await status("POST", "/v3/projects", tok, { project: { name: pname(), domain_id: "default" } })).toBe(403);
    const listed = (await json(await t.req("GET", "/v3/projects", { token: tok }))).projects;
    expect(listed.map((x: any) => x.id)).toEqual([p.id]);
    expect(await status("GET", `/v3/projects/${demoProject}`, tok)).toBe(403);
    expect(await status("PATCH", `/v3/projects/${p.id}`, tok, { project: { description: "x" } })).toBe(200);
    expect(await status("PATCH", `/v3/projects/${d}`, tok, { project: { description: "x" } })).toBe(403);
    expect(await status("DELETE", `/v3/projects/${p.id}`, tok)).toBe(204);
  });

  test("GET /v3/users/{id}/projects: the user itself or an admin", async () => {
    const mine = await json(await t.req("GET", `/v3/users/${demoId}/projects`, { token: demo }));
    expect(mine.projects.map((p: any) => p.id)).toEqual([demoProject]);
    expect(await status("GET", `/v3/users/${adminId}/projects`, demo)).toBe(403);
    const adm = await json(await t.req("GET", `/v3/users/${adminId}/projects`, { token: admin }));
    expect(adm.projects.map((p: any) => p.name)).toEqual(expect.arrayContaining(["admin", "demo"]));
    const filtered = await json(await t.req("GET", `/v3/users/${adminId}/projects?name=demo`, { token: admin }));
    expect(filtered.projects.map((p: any) => p.name)).toEqual(["demo"]);
  });
});
