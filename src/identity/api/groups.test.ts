import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { hexId } from "../../core/ids.ts";
import { testCloud, type TestCloud } from "../../../test/harness.ts";

let t: TestCloud;
let admin: string;
let demo: string;
let domain: string;
let memberRole: string;
beforeAll(async () => {
  t = await testCloud();
  admin = await t.token();
  demo = await t.token("demo", "secret", "demo");
  domain = (await json(await t.req("POST", "/v3/domains", { token: admin, json: { domain: { name: `d-${hexId().slice(0, 8)}` } } }))).domain.id;
  memberRole = (await json(await t.req("GET", "/v3/roles?name=member", { token: admin }))).roles[0].id;
});
afterAll(() => t.close());

const json = async (res: Response) => (await res.json()) as any;
const gname = () => `group-${hexId().slice(0, 10)}`;
const create = async (body: Record<string, unknown>) => {
  const res = await t.req("POST", "/v3/groups", { token: admin, json: { group: body } });
  if (res.status !== 201) throw new Error(`${res.status} ${await res.text()}`);
  return (await json(res)).group;
};
const mkUser = async (password?: string) => {
  const name = `u-${hexId().slice(0, 10)}`;
  const res = await t.req("POST", "/v3/users", { token: admin, json: { user: { name, password, email: `${name}@x.tm` } } });
  return (await json(res)).user;
};
const status = async (method: string, path: string, token = admin, body?: unknown) =>
  (await t.req(method, path, { token, json: body })).status;

describe("groups CRUD", () => {
  test("create, show, update (other fields kept), list, delete", async () => {
    const name = gname();
    const g = await create({ name, description: "d", domain_id: domain, kind: "x" });
    expect(g).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{32}$/),
      name,
      domain_id: domain,
      description: "d",
      kind: "x",
      links: { self: expect.stringMatching(new RegExp(`/v3/groups/${g.id}$`)) },
    });
    expect((await json(await t.req("GET", `/v3/groups/${g.id}`, { token: admin }))).group).toEqual(g);
    const upd = await t.req("PATCH", `/v3/groups/${g.id}`, { token: admin, json: { group: { name: name + "2" } } });
    expect(upd.status).toBe(200);
    expect((await json(upd)).group).toEqual({ ...g, name: name + "2" });
    const listed = (await json(await t.req("GET", `/v3/groups?domain_id=${domain}`, { token: admin }))).groups;
    expect(listed.map((x: any) => x.id)).toContain(g.id);
    const byName = (await json(await t.req("GET", `/v3/groups?name=${name}2`, { token: admin }))).groups;
    expect(byName.map((x: any) => x.id)).toEqual([g.id]);
    expect(await status("DELETE", `/v3/groups/${g.id}`)).toBe(204);
    expect(await status("GET", `/v3/groups/${g.id}`)).toBe(404);
    expect(await status("DELETE", `/v3/groups/${g.id}`)).toBe(404);
  });

  test("defaults, bad input, unknown domain, duplicates", async () => {
    const g = await create({ name: gname() });
    expect(g.domain_id).toBe("default");
    expect(g.description).toBe("");
    expect(await status("POST", "/v3/groups", admin, { group: { name: "" } })).toBe(400);
    expect(await status("POST", "/v3/groups", admin, { group: {} })).toBe(400);
    expect(await status("POST", "/v3/groups", admin, { group: { name: gname(), domain_id: hexId() } })).toBe(404);
    expect(await status("POST", "/v3/groups", admin, { group: { name: g.name } })).toBe(409);
    const other = await create({ name: gname() });
    expect(await status("PATCH", `/v3/groups/${other.id}`, admin, { group: { name: g.name } })).toBe(409);
    expect(await status("PATCH", `/v3/groups/${other.id}`, admin, { group: { domain_id: domain } })).toBe(400);
    expect(await status("PATCH", `/v3/groups/${other.id}`, admin, { group: {} })).toBe(400);
  });
});

describe("membership", () => {
  test("add, check, list (same shape as created), remove", async () => {
    const g = await create({ name: gname(), domain_id: domain });
    const users = [await mkUser(), await mkUser(), await mkUser()];
    for (const u of users) expect(await status("PUT", `/v3/groups/${g.id}/users/${u.id}`)).toBe(204);
    expect(await status("PUT", `/v3/groups/${g.id}/users/${users[0].id}`)).toBe(204);
    const listed = (await json(await t.req("GET", `/v3/groups/${g.id}/users`, { token: admin }))).users;
    const byName = (a: any, b: any) => a.name.localeCompare(b.name);
    expect([...listed].sort(byName)).toEqual([...users].sort(byName));
    for (const u of users) {
      const head = await t.req("HEAD", `/v3/groups/${g.id}/users/${u.id}`, { token: admin });
      expect(head.status).toBe(204);
      expect(await status("DELETE", `/v3/groups/${g.id}/users/${u.id}`)).toBe(204);
      expect((await t.req("HEAD", `/v3/groups/${g.id}/users/${u.id}`, { token: admin })).status).toBe(404);
      expect(await status("DELETE", `/v3/groups/${g.id}/users/${u.id}`)).toBe(404);
    }
    expect((await json(await t.req("GET", `/v3/groups/${g.id}/users`, { token: admin }))).users).toEqual([]);
    expect(await status("PUT", `/v3/groups/${g.id}/users/${hexId()}`)).toBe(404);
    expect(await status("PUT", `/v3/groups/${hexId()}/users/${users[0].id}`)).toBe(404);
    expect(await status("GET", `/v3/groups/${hexId()}/users`)).toBe(404);
  });

  test("a user's groups", async () => {
    const u = await mkUser();
    const groups = [await create({ name: gname(), domain_id: domain }), await create({ name: gname(), domain_id: domain })];
    for (const g of groups) await status("PUT", `/v3/groups/${g.id}/users/${u.id}`);
    const mine = (await json(await t.req("GET", `/v3/users/${u.id}/groups`, { token: admin }))).groups;
    expect(mine.every((g: any) => g.membership_expires_at === null)).toBe(true);
    const strip = (g: any) => {
      const { membership_expires_at: _, ...rest } = g;
      return rest;
    };
    const byName = (a: any, b: any) => a.name.localeCompare(b.name);
    expect(mine.map(strip).sort(byName)).toEqual([...groups].sort(byName));
    // deleting a group drops the membership
    expect(await status("DELETE", `/v3/groups/${groups[0].id}`)).toBe(204);
    expect((await json(await t.req("GET", `/v3/users/${u.id}/groups`, { token: admin }))).groups.length).toBe(1);
  });

  test("group roles feed tokens; leaving the group revokes them", async () => {
    const p = (await json(await t.req("POST", "/v3/projects", { token: admin, json: { project: { name: `p-${hexId().slice(0, 8)}` } } }))).project;
    const g = await create({ name: gname() });
    const u = await mkUser("pw");
    expect(await status("PUT", `/v3/projects/${p.id}/groups/${g.id}/roles/${memberRole}`)).toBe(204);
    const login = () =>
      t.req("POST", "/v3/auth/tokens", {
        json: {
          auth: {
            identity: { methods: ["password"], password: { user: { id: u.id, password: "pw" } } },
            scope: { project: { id: p.id } },
          },
        },
      });
    expect((await login()).status).toBe(401);
    expect(await status("PUT", `/v3/groups/${g.id}/users/${u.id}`)).toBe(204);
    const ok = await login();
    expect(ok.status).toBe(201);
    const tok = ok.headers.get("x-subject-token")!;
    expect(await status("GET", `/v3/users/${u.id}`, tok)).toBe(200);
    expect(await status("DELETE", `/v3/groups/${g.id}/users/${u.id}`)).toBe(204);
    expect(await status("GET", `/v3/users/${u.id}`, tok)).toBe(401);
    expect((await login()).status).toBe(401);
  });
});

describe("policy", () => {
  test("a member can neither read nor change groups", async () => {
    const g = await create({ name: gname() });
    const u = await mkUser();
    expect(await status("GET", "/v3/groups", demo)).toBe(403);
    expect(await status("GET", `/v3/groups/${g.id}`, demo)).toBe(403);
    expect(await status("POST", "/v3/groups", demo, { group: { name: gname() } })).toBe(403);
    expect(await status("PATCH", `/v3/groups/${g.id}`, demo, { group: { name: gname() } })).toBe(403);
    expect(await status("DELETE", `/v3/groups/${g.id}`, demo)).toBe(403);
    expect(await status("GET", `/v3/groups/${g.id}/users`, demo)).toBe(403);
    expect(await status("PUT", `/v3/groups/${g.id}/users/${u.id}`, demo)).toBe(403);
    expect(await status("GET", `/v3/groups/${g.id}/users/${u.id}`, demo)).toBe(403);
  });
});
