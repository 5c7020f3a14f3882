import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { resTest, type ResTest } from "../testing.ts";

let r: ResTest;
beforeAll(async () => {
  r = await resTest();
});
afterAll(() => r.close());

const json = async (res: Response) => (await res.json()) as any;
const create = (body: unknown, o: { mv?: string; token?: string } = {}) => r.req("POST", "/os-server-groups", { ...o, json: body });

describe("server groups", () => {
  test("2.1 shape: policies, members, metadata; 2.13 adds project and user; 2.64 policy + rules", async () => {
    const g = (await json(await create({ server_group: { name: "g1", policies: ["affinity"] } }))).server_group;
    expect(Object.keys(g).sort()).toEqual(["id", "members", "metadata", "name", "policies"]);
    expect(g).toMatchObject({ name: "g1", policies: ["affinity"], members: [], metadata: {} });
    const g13 = (await json(await r.req("GET", `/os-server-groups/${g.id}`, { mv: "2.13" }))).server_group;
    expect(g13.project_id).toBe(r.t.cloud.identity.client.projectByName("admin")!.id);
    expect(g13.user_id).toBe(r.t.cloud.identity.client.userByName("admin")!.id);
    const g64 = (await json(await create({ server_group: { name: "g2", policy: "anti-affinity", rules: { max_server_per_host: 2 } } }, { mv: "2.64" }))).server_group;
    expect(Object.keys(g64).sort()).toEqual(["id", "members", "name", "policy", "project_id", "rules", "user_id"]);
    expect(g64.rules).toEqual({ max_server_per_host: 2 });
    expect((await json(await r.req("GET", `/os-server-groups/${g.id}`, { mv: "2.64" }))).server_group).toMatchObject({ policy: "affinity", rules: {} });
  });

  test("bad policies and bodies are 400", async () => {
    const bad: [unknown, string | undefined][] = [
      [{ server_group: { name: "x", policies: ["bogus"] } }, undefined],
      [{ server_group: { name: "x", policies: ["affinity", "anti-affinity"] } }, undefined],
      [{ server_group: { name: "x", policies: ["affinity", "affinity"] } }, undefined],
      [{ server_group: { name: "x", policies: [] } }, undefined],
      [{ server_group: { name: "x", policies: ["soft-affinity"] } }, "2.14"],
      [{ server_group: { name: "x", policy: "affinity" } }, "2.63"],
      [{ server_group: { name: "x", policies: ["affinity"] } }, "2.64"],
      [{ server_group: { name: "x", policy: "affinity", rules: { max_server_per_host: 1 } } }, "2.64"],
      [{ server_group: { name: "x", policy: "anti-affinity", rules: { max_server_per_host: 0 } } }, "2.64"],
      [{ server_group: { name: " x", policies: ["affinity"] } }, undefined],
      [{ server_group: { name: "", policies: ["affinity"] } }, undefined],
      [{ group: {} }, undefined],
    ];
    for (const [body, mv] of bad) {
      const res = await create(body, { mv });
      expect(res.status).toBe(400);
      expect((await json(res)).badRequest.code).toBe(400);
    }
    expect((await create({ server_group: { name: "soft", policies: ["soft-affinity"] } }, { mv: "2.15" })).status).toBe(200);
  });

  test("project scoping: demo sees only its own; admin all_projects; 404 across projects", async () => {
    const dg = (await json(await create({ server_group: { name: "demo-g", policies: ["anti-affinity"] } }, { token: r.demo }))).server_group;
    const demoList = (await json(await r.req("GET", "/os-server-groups", { token: r.demo }))).server_groups.map((g: any) => g.name);
    expect(demoList).toEqual(["demo-g"]);
    expect((await json(await r.req("GET", "/os-server-groups?all_projects=True", { token: r.demo }))).server_groups).toHaveLength(1);
    const adminOwn = (await json(await r.req("GET", "/os-server-groups"))).server_groups.map((g: any) => g.name);
    expect(adminOwn).not.toContain("demo-g");
    const all = (await json(await r.req("GET", "/os-server-groups?all_projects=True"))).server_groups.map((g: any) => g.name);
    expect(all).toContain("demo-g");
    expect(all).toContain("g1");
    const adminGroup = (await json(await r.req("GET", "/os-server-groups"))).server_groups[0];
    expect((await r.req("GET", `/os-server-groups/${adminGroup.id}`, { token: r.demo })).status).toBe(404);
    expect((await r.req("DELETE", `/os-server-groups/${adminGroup.id}`, { token: r.demo })).status).toBe(404);
    expect((await r.req("GET", `/os-server-groups/${dg.id}`)).status).toBe(200);
    const page = (await json(await r.req("GET", "/os-server-groups?all_projects=True&limit=1&offset=1"))).server_groups;
    expect(page).toHaveLength(1);
    expect(page[0].name).toBe(all[1]);
  });

  test("members (the servers side's calls) and the server_group_members quota", async () => {
    const demoProject = r.t.cloud.identity.client.projectByName("demo")!.id;
    const g = (await json(await create({ server_group: { name: "m", policies: ["affinity"] } }, { token: r.demo }))).server_group;
    await r.req("PUT", `/os-quota-sets/${demoProject}`, { json: { quota_set: { server_group_members: 2 } } });
    r.res.serverGroups.addMember(g.id, "i-1");
    r.res.serverGroups.addMember(g.id, "i-2");
    expect(() => r.res.serverGroups.addMember(g.id, "i-3")).toThrow("Quota exceeded, too many servers in group");
    expect((await json(await r.req("GET", `/os-server-groups/${g.id}`, { token: r.demo }))).server_group.members).toEqual(["i-1", "i-2"]);
    expect(r.res.serverGroups.groupOf("i-1")?.id).toBe(g.id);
    r.res.serverGroups.removeMember("i-1");
    expect(r.res.serverGroups.groupOf("i-1")).toBeUndefined();
    expect(r.res.serverGroups.get({ projectId: demoProject, userId: "x", isAdmin: false }, g.id)?.members).toEqual(["i-2"]);
    expect(r.res.serverGroups.get({ projectId: "other", userId: "x", isAdmin: false }, g.id)).toBeUndefined();
    await r.req("DELETE", `/os-quota-sets/${demoProject}`);
  });

  test("server_groups quota → 403; delete → 204 then 404", async () => {
    const demoProject = r.t.cloud.identity.client.projectByName("demo")!.id;
    const n = (await json(await r.req("GET", "/os-server-groups", { token: r.demo }))).server_groups.length;
    await r.req("PUT", `/os-quota-sets/${demoProject}`, { json: { quota_set: { server_groups: n } } });
    const over = await create({ server_group: { name: "over", policies: ["affinity"] } }, { token: r.demo });
    expect(over.status).toBe(403);
    expect((await json(over)).forbidden.message).toBe("Quota exceeded, too many server groups.");
    await r.req("DELETE", `/os-quota-sets/${demoProject}`);
    const g = (await json(await create({ server_group: { name: "del", policies: ["affinity"] } }, { token: r.demo }))).server_group;
    expect((await r.req("DELETE", `/os-server-groups/${g.id}`, { token: r.demo })).status).toBe(204);
    expect((await r.req("GET", `/os-server-groups/${g.id}`, { token: r.demo })).status).toBe(404);
  });
});

describe("server groups and roles", () => {
  test("a reader of the project may list but not create (403)", async () => {
    const t = r.t;
    const demoProject = t.cloud.identity.client.projectByName("demo")!.id;
    const u = await t.req("POST", "/v3/users", { token: r.admin, json: { user: { name: "sg-reader", password: "pw-reader", domain_id: "default" } } });
    const userId = ((await u.json()) as any).user.id;
    const roles = ((await (await t.req("GET", "/v3/roles?name=reader", { token: r.admin })).json()) as any).roles;
    expect((await t.req("PUT", `/v3/projects/${demoProject}/users/${userId}/roles/${roles[0].id}`, { token: r.admin })).status).toBe(204);
    const reader = await t.token("sg-reader", "pw-reader", "demo");
    expect((await r.req("GET", "/os-server-groups", { token: reader })).status).toBe(200);
    expect((await create({ server_group: { name: "nope", policies: ["affinity"] } }, { token: reader })).status).toBe(403);
  });
});
