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
const dname = () => `dom-${hexId().slice(0, 10)}`;
const create = async (body: Record<string, unknown>) => {
  const res = await t.req("POST", "/v3/domains", { token: admin, json: { domain: body } });
  expect(res.status).toBe(201);
  return (await json(res)).domain;
};
const roleId = async (name: string) =>
  (await json(await t.req("GET", `/v3/roles?name=${name}`, { token: admin }))).roles[0].id as string;

describe("domains CRUD", () => {
  test("create, show, list, update, delete (only once disabled)", async () => {
    const name = dname();
    const d = await create({ name, description: "desc", colour: "teal" });
    expect(d).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{32}$/),
      name,
      description: "desc",
      enabled: true,
      tags: [],
      options: {},
      colour: "teal",
      links: { self: expect.stringMatching(new RegExp(`/v3/domains/${d.id}$`)) },
    });
    const shown = await t.req("GET", `/v3/domains/${d.id}`, { token: admin });
    expect(shown.status).toBe(200);
    expect((await json(shown)).domain).toEqual(d);

    const listed = await json(await t.req("GET", `/v3/domains?name=${name}`, { token: admin }));
    expect(listed.domains).toEqual([d]);
    expect(listed.links).toEqual({ self: expect.stringContaining("/v3/domains?name="), previous: null, next: null });

    // an enabled domain cannot be deleted
    const refused = await t.req("DELETE", `/v3/domains/${d.id}`, { token: admin });
    expect(refused.status).toBe(403);
    expect((await json(refused)).error.message).toContain("disable it first");

    const upd = await t.req("PATCH", `/v3/domains/${d.id}`, {
      token: admin,
      json: { domain: { name: name + "-x", description: "new", enabled: false } },
    });
    expect(upd.status).toBe(200);
    const u = (await json(upd)).domain;
    expect(u).toMatchObject({ name: name + "-x", description: "new", enabled: false, colour: "teal" });

    const enabledOnly = await json(await t.req("GET", "/v3/domains?enabled=true", { token: admin }));
    expect(enabledOnly.domains.every((x: any) => x.enabled)).toBe(true);
    expect(enabledOnly.domains.map((x: any) => x.id)).toContain("default");
    const disabledOnly = await json(await t.req("GET", "/v3/domains?enabled=False", { token: admin }));
    expect(disabledOnly.domains.map((x: any) => x.id)).toContain(d.id);
    expect(disabledOnly.domains.every((x: any) => !x.enabled)).toBe(true);

    expect((await t.req("DELETE", `/v3/domains/${d.id}`, { token: admin })).status).toBe(204);
    expect((await t.req("GET", `/v3/domains/${d.id}`, { token: admin })).status).toBe(404);
    expect((await t.req("DELETE", `/v3/domains/${d.id}`, { token: admin })).status).toBe(404);
  });

  test("defaults: empty description, enabled; created disabled when asked", async () => {
    const d = await create({ name: dname() });
    expect(d.description).toBe("");
    expect(d.enabled).toBe(true);
    const off = await create({ name: dname(), enabled: false });
    expect(off.enabled).toBe(false);
  });

  test("bad input → 400, duplicates → 409", async () => {
    for (const name of ["", "a".repeat(65), "   "]) {
      const r = await t.req("POST", "/v3/domains", { token: admin, json: { domain: { name } } });
      expect(r.status).toBe(400);
      expect((await json(r)).error.code).toBe(400);
    }
    expect((await t.req("POST", "/v3/domains", { token: admin, json: { domain: {} } })).status).toBe(400);
    expect((await t.req("POST", "/v3/domains", { token: admin, json: { domain: { name: dname(), enabled: "maybe" } } })).status).toBe(400);
    const name = dname();
    await create({ name });
    const dup = await t.req("POST", "/v3/domains", { token: admin, json: { domain: { name: name.toUpperCase() } } });
    expect(dup.status).toBe(409);
    const other = await create({ name: dname() });
    const clash = await t.req("PATCH", `/v3/domains/${other.id}`, { token: admin, json: { domain: { name } } });
    expect(clash.status).toBe(409);
    expect((await t.req("PATCH", `/v3/domains/${other.id}`, { token: admin, json: { domain: {} } })).status).toBe(400);
    expect((await t.req("PATCH", `/v3/domains/${hexId()}`, { token: admin, json: { domain: { name: dname() } } })).status).toBe(404);
  });

  test("explicit_domain_id", async () => {
    const id = hexId();
    const d = await create({ name: dname(), explicit_domain_id: id });
    expect(d.id).toBe(id);
    expect(d.explicit_domain_id).toBeUndefined();
    const bad = await t.req("POST", "/v3/domains", { token: admin, json: { domain: { name: dname(), explicit_domain_id: "nope" } } });
    expect(bad.status).toBe(400);
    const again = await t.req("POST", "/v3/domains", { token: admin, json: { domain: { name: dname(), explicit_domain_id: id } } });
    expect(again.status).toBe(409);
  });

  test("tags and the immutable option", async () => {
    const d = await create({ name: dname(), tags: ["x", "y"], options: { immutable: true } });
    expect(d.tags).toEqual(["x", "y"]);
    expect(d.options).toEqual({ immutable: true });
    const upd = await t.req("PATCH", `/v3/domains/${d.id}`, { token: admin, json: { domain: { enabled: false } } });
    expect(upd.status).toBe(403);
    const unlock = await t.req("PATCH", `/v3/domains/${d.id}`, { token: admin, json: { domain: { options: { immutable: false } } } });
    expect(unlock.status).toBe(200);
    expect((await json(unlock)).domain.options).toEqual({ immutable: false });
    const bad = await t.req("POST", "/v3/domains", { token: admin, json: { domain: { name: dname(), tags: ["a/b"] } } });
    expect(bad.status).toBe(400);
  });
});

describe("deleting a domain", () => {
  test("takes its projects, users, groups, roles and grants with it", async () => {
    const d = await create({ name: dname() });
    const mk = async (path: string, key: string, body: Record<string, unknown>) => {
      const r = await t.req("POST", path, { token: admin, json: { [key]: body } });
      expect(r.status).toBe(201);
      return (await json(r))[key];
    };
    const parent = await mk("/v3/projects", "project", { name: "p", domain_id: d.id });
    const child = await mk("/v3/projects", "project", { name: "c", domain_id: d.id, parent_id: parent.id });
    const user = await mk("/v3/users", "user", { name: "u", domain_id: d.id, password: "pw-1" });
    const group = await mk("/v3/groups", "group", { name: "g", domain_id: d.id });
    const drole = await mk("/v3/roles", "role", { name: "dr", domain_id: d.id });
    const member = await roleId("member");
    expect((await t.req("PUT", `/v3/projects/${child.id}/users/${user.id}/roles/${member}`, { token: admin })).status).toBe(204);
    expect((await t.req("PUT", `/v3/groups/${group.id}/users/${user.id}`, { token: admin })).status).toBe(204);

    const tok = await t.req("POST", "/v3/auth/tokens", {
      json: {
        auth: {
          identity: { methods: ["password"], password: { user: { id: user.id, password: "pw-1" } } },
          scope: { project: { id: child.id } },
        },
      },
    });
    expect(tok.status).toBe(201);
    const userToken = tok.headers.get("x-subject-token")!;

    // disabling the domain invalidates the tokens of its users
    expect((await t.req("PATCH", `/v3/domains/${d.id}`, { token: admin, json: { domain: { enabled: false } } })).status).toBe(200);
    expect((await t.req("GET", `/v3/users/${user.id}`, { token: userToken })).status).toBe(401);

    expect((await t.req("DELETE", `/v3/domains/${d.id}`, { token: admin })).status).toBe(204);
    for (const path of [
      `/v3/domains/${d.id}`,
      `/v3/projects/${parent.id}`,
      `/v3/projects/${child.id}`,
      `/v3/users/${user.id}`,
      `/v3/groups/${group.id}`,
      `/v3/roles/${drole.id}`,
    ])
      expect((await t.req("GET", path, { token: admin })).status).toBe(404);
    const left = t.cloud.db.get<{ n: number }>(
      "SELECT COUNT(*) AS n FROM identity_assignments WHERE actor_id = ? OR target_id IN (?, ?)",
      user.id,
      child.id,
      d.id,
    );
    expect(left?.n).toBe(0);
  });
});

describe("policy", () => {
  test("a member may read its own domain but not list, create, update or delete", async () => {
    expect((await t.req("GET", "/v3/domains/default", { token: demo })).status).toBe(200);
    const d = await create({ name: dname() });
    expect((await t.req("GET", `/v3/domains/${d.id}`, { token: demo })).status).toBe(403);
    expect((await t.req("GET", "/v3/domains", { token: demo })).status).toBe(403);
    expect((await t.req("POST", "/v3/domains", { token: demo, json: { domain: { name: dname() } } })).status).toBe(403);
    expect((await t.req("PATCH", `/v3/domains/${d.id}`, { token: demo, json: { domain: { description: "x" } } })).status).toBe(403);
    expect((await t.req("DELETE", `/v3/domains/${d.id}`, { token: demo })).status).toBe(403);
    expect((await t.req("GET", "/v3/domains")).status).toBe(401);
  });
});
