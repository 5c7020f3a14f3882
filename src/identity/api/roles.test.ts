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
const mkDomain = (name = `dom-${hexId().slice(0, 8)}`) => {
  const id = hexId();
  t.cloud.db.run("INSERT INTO identity_domains (id, name) VALUES (?, ?)", id, name);
  return id;
};
const createRole = async (body: Record<string, unknown>) => {
  const res = await t.req("POST", "/v3/roles", { token: admin, json: { role: body } });
  expect(res.status).toBe(201);
  return (await json(res)).role;
};
const rname = () => `role-${hexId().slice(0, 10)}`;

describe("roles CRUD", () => {
  test("create, show, update, list, delete", async () => {
    const name = rname();
    const role = await createRole({ name, description: "d", flavor: "vanilla" });
    expect(role).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{32}$/),
      name,
      domain_id: null,
      description: "d",
      options: {},
      flavor: "vanilla",
      links: { self: expect.stringMatching(new RegExp(`/v3/roles/${role.id}$`)) },
    });

    const shown = await t.req("GET", `/v3/roles/${role.id}`, { token: admin });
    expect(shown.status).toBe(200);
    expect((await json(shown)).role).toEqual(role);

    const upd = await t.req("PATCH", `/v3/roles/${role.id}`, { token: admin, json: { role: { name: name + "-new" } } });
    expect(upd.status).toBe(200);
    const updated = (await json(upd)).role;
    expect(updated.name).toBe(name + "-new");
    expect(updated.description).toBe("d");
    expect(updated.flavor).toBe("vanilla");

    const list = await json(await t.req("GET", "/v3/roles", { token: admin }));
    expect(list.links).toEqual({ self: expect.stringContaining("/v3/roles"), previous: null, next: null });
    expect(list.roles.map((r: any) => r.name)).toContain(name + "-new");
    expect(list.roles.map((r: any) => r.name)).toEqual(expect.arrayContaining(["admin", "member", "reader"]));

    const byName = await json(await t.req("GET", `/v3/roles?name=${name}-new`, { token: admin }));
    expect(byName.roles.map((r: any) => r.id)).toEqual([role.id]);

    expect((await t.req("DELETE", `/v3/roles/${role.id}`, { token: admin })).status).toBe(204);
    expect((await t.req("GET", `/v3/roles/${role.id}`, { token: admin })).status).toBe(404);
    expect((await t.req("DELETE", `/v3/roles/${role.id}`, { token: admin })).status).toBe(404);
  });

  test("name unique case-insensitively within its domain → 409", async () => {
    const name = rname();
    await createRole({ name });
    const dup = await t.req("POST", "/v3/roles", { token: admin, json: { role: { name: name.toUpperCase() } } });
    expect(dup.status).toBe(409);
    expect((await json(dup)).error.code).toBe(409);
    // the same name in a domain is fine
    const d = mkDomain();
    await createRole({ name, domain_id: d });
    const dup2 = await t.req("POST", "/v3/roles", { token: admin, json: { role: { name, domain_id: d } } });
    expect(dup2.status).toBe(409);
    // renaming onto an existing name conflicts too
    const other = await createRole({ name: rname() });
    const clash = await t.req("PATCH", `/v3/roles/${other.id}`, { token: admin, json: { role: { name } } });
    expect(clash.status).toBe(409);
  });

  test("bad input → 400", async () => {
    for (const body of [{}, { role: {} }, { role: { name: "" } }, { role: { name: "   " } }, { role: { name: "x".repeat(256) } },
      { role: { name: "ok", options: { bogus: true } } }, { role: { name: "ok", options: { immutable: "yes" } } }]) {
      const res = await t.req("POST", "/v3/roles", { token: admin, json: body });
      expect(res.status).toBe(400);
    }
    const role = await createRole({ name: rname() });
    expect((await t.req("PATCH", `/v3/roles/${role.id}`, { token: admin, json: { role: {} } })).status).toBe(400);
    const d = mkDomain();
    const move = await t.req("PATCH", `/v3/roles/${role.id}`, { token: admin, json: { role: { domain_id: d } } });
    expect(move.status).toBe(400);
    const bad = await t.req("POST", "/v3/roles", { token: admin, body: "{not json", headers: { "content-type": "application/json" } });
    expect(bad.status).toBe(400);
  });

  test("unknown role → 404; unknown domain on create → 404", async () => {
    expect((await t.req("GET", "/v3/roles/nope", { token: admin })).status).toBe(404);
    expect((await t.req("PATCH", "/v3/roles/nope", { token: admin, json: { role: { name: "x" } } })).status).toBe(404);
    const res = await t.req("POST", "/v3/roles", { token: admin, json: { role: { name: rname(), domain_id: "nope" } } });
    expect(res.status).toBe(404);
  });

  test("domain-specific roles are listed only with ?domain_id", async () => {
    const d = mkDomain();
    const role = await createRole({ name: rname(), domain_id: d });
    expect(role.domain_id).toBe(d);
    const inDomain = await json(await t.req("GET", `/v3/roles?domain_id=${d}`, { token: admin }));
    expect(inDomain.roles).toEqual([role]);
    const global = await json(await t.req("GET", "/v3/roles", { token: admin }));
    expect(global.roles.map((r: any) => r.id)).not.toContain(role.id);
    expect((await t.req("DELETE", `/v3/roles/${role.id}`, { token: admin })).status).toBe(204);
    expect((await json(await t.req("GET", `/v3/roles?domain_id=${d}`, { token: admin }))).roles).toEqual([]);
  });

  test("immutable roles refuse update and delete until made mutable", async () => {
    const role = await createRole({ name: rname(), options: { immutable: true } });
    expect(role.options).toEqual({ immutable: true });
    expect((await t.req("DELETE", `/v3/roles/${role.id}`, { token: admin })).status).toBe(403);
    const upd = await t.req("PATCH", `/v3/roles/${role.id}`, { token: admin, json: { role: { description: "x" } } });
    expect(upd.status).toBe(403);
    const both = await t.req("PATCH", `/v3/roles/${role.id}`, {
      token: admin,
      json: { role: { description: "x", options: { immutable: false } } },
    });
    expect(both.status).toBe(403);
    const free = await t.req("PATCH", `/v3/roles/${role.id}`, { token: admin, json: { role: { options: { immutable: false } } } });
    expect(free.status).toBe(200);
    expect((await json(free)).role.options).toEqual({ immutable: false });
    expect((await t.req("DELETE", `/v3/roles/${role.id}`, { token: admin })).status).toBe(204);
  });

  test("a member may not read or write roles", async () => {
    expect((await t.req("GET", "/v3/roles", { token: demo })).status).toBe(403);
    expect((await t.req("POST", "/v3/roles", { token: demo, json: { role: { name: rname() } } })).status).toBe(403);
    const role = await createRole({ name: rname() });
    expect((await t.req("GET", `/v3/roles/${role.id}`, { token: demo })).status).toBe(403);
    expect((await t.req("PATCH", `/v3/roles/${role.id}`, { token: demo, json: { role: { name: "x" } } })).status).toBe(403);
    expect((await t.req("DELETE", `/v3/roles/${role.id}`, { token: demo })).status).toBe(403);
    expect((await t.req("GET", "/v3/role_inferences", { token: demo })).status).toBe(403);
    expect((await t.req("GET", "/v3/roles")).status).toBe(401);
  });
});

describe("implied roles", () => {
  test("create, check, show, list, delete", async () => {
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => createRole({ name: rname() })));
    const put = await t.req("PUT", `/v3/roles/${a.id}/implies/${b.id}`, { token: admin });
    expect(put.status).toBe(201);
    const body = await json(put);
    expect(body.role_inference.prior_role).toEqual({ id: a.id, name: a.name, links: { self: a.links.self } });
    expect(body.role_inference.implies).toEqual({ id: b.id, name: b.name, links: { self: b.links.self } });
    expect(body.links.self).toEndWith(`/v3/roles/${a.id}/implies/${b.id}`);

    expect((await t.req("PUT", `/v3/roles/${a.id}/implies/${b.id}`, { token: admin })).status).toBe(409);
    const head = await t.req("HEAD", `/v3/roles/${a.id}/implies/${b.id}`, { token: admin });
    expect(head.status).toBe(204);
    const get = await t.req("GET", `/v3/roles/${a.id}/implies/${b.id}`, { token: admin });
    expect(get.status).toBe(200);
    expect((await json(get)).role_inference.implies.id).toBe(b.id);

    expect((await t.req("PUT", `/v3/roles/${a.id}/implies/${c.id}`, { token: admin })).status).toBe(201);
    expect((await t.req("PUT", `/v3/roles/${c.id}/implies/${b.id}`, { token: admin })).status).toBe(201);
    const list = await json(await t.req("GET", `/v3/roles/${a.id}/implies`, { token: admin }));
    expect(list.role_inference.prior_role.id).toBe(a.id);
    expect(list.role_inference.implies.map((r: any) => r.id).sort()).toEqual([b.id, c.id].sort());
    expect(list.links.self).toEndWith(`/v3/roles/${a.id}/implies`);

    const all = await json(await t.req("GET", "/v3/role_inferences", { token: admin }));
    const mine = all.role_inferences.filter((r: any) => [a.id, c.id].includes(r.prior_role.id));
    expect(mine.length).toBe(2);
    expect(mine.find((r: any) => r.prior_role.id === a.id).implies.length).toBe(2);
    // bootstrap: admin implies member implies reader
    const adminRule = all.role_inferences.find((r: any) => r.prior_role.name === "admin");
    expect(adminRule.implies.map((r: any) => r.name)).toEqual(["member"]);

    expect((await t.req("DELETE", `/v3/roles/${a.id}/implies/${b.id}`, { token: admin })).status).toBe(204);
    expect((await t.req("GET", `/v3/roles/${a.id}/implies/${b.id}`, { token: admin })).status).toBe(404);
    expect((await t.req("HEAD", `/v3/roles/${a.id}/implies/${b.id}`, { token: admin })).status).toBe(404);
    expect((await t.req("DELETE", `/v3/roles/${a.id}/implies/${b.id}`, { token: admin })).status).toBe(404);
    expect((await t.req("PUT", `/v3/roles/${a.id}/implies/nope`, { token: admin })).status).toBe(404);
    expect((await t.req("GET", `/v3/roles/nope/implies`, { token: admin })).status).toBe(404);
  });

  test("domain roles may imply global ones, not the reverse; admin can never be implied", async () => {
    const d1 = mkDomain();
    const d2 = mkDomain();
    const dr1 = await createRole({ name: rname(), domain_id: d1 });
    const dr2 = await createRole({ name: rname(), domain_id: d1 });
    const dr3 = await createRole({ name: rname(), domain_id: d2 });
    const g = await createRole({ name: rname() });
    expect((await t.req("PUT", `/v3/roles/${dr1.id}/implies/${dr2.id}`, { token: admin })).status).toBe(201);
    expect((await t.req("PUT", `/v3/roles/${dr1.id}/implies/${dr3.id}`, { token: admin })).status).toBe(201);
    expect((await t.req("PUT", `/v3/roles/${dr1.id}/implies/${g.id}`, { token: admin })).status).toBe(201);
    expect((await t.req("PUT", `/v3/roles/${g.id}/implies/${dr1.id}`, { token: admin })).status).toBe(403);
    const adminRole = (await json(await t.req("GET", "/v3/roles?name=admin", { token: admin }))).roles[0];
    expect((await t.req("PUT", `/v3/roles/${g.id}/implies/${adminRole.id}`, { token: admin })).status).toBe(403);
    expect((await t.req("PUT", `/v3/roles/${dr1.id}/implies/${g.id}`, { token: demo })).status).toBe(403);
  });

  test("deleting a role removes its inference rules", async () => {
    const a = await createRole({ name: rname() });
    const b = await createRole({ name: rname() });
    await t.req("PUT", `/v3/roles/${a.id}/implies/${b.id}`, { token: admin });
    expect((await t.req("DELETE", `/v3/roles/${b.id}`, { token: admin })).status).toBe(204);
    const list = await json(await t.req("GET", `/v3/roles/${a.id}/implies`, { token: admin }));
    expect(list.role_inference.implies).toEqual([]);
    const all = await json(await t.req("GET", "/v3/role_inferences", { token: admin }));
    expect(all.role_inferences.find((r: any) => r.prior_role.id === a.id)).toBeUndefined();
  });
});
