import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { hexId } from "../../core/ids.ts";
import { testCloud, type TestCloud } from "../../../test/harness.ts";

let t: TestCloud;
let admin: string;
let demo: string;
let demoId: string;
let memberRole: string;
beforeAll(async () => {
  t = await testCloud();
  admin = await t.token();
  demo = await t.token("demo", "secret", "demo");
  demoId = (await json(await t.req("GET", "/v3/auth/tokens", { token: admin, headers: { "x-subject-token": demo } }))).token.user.id;
  memberRole = (await json(await t.req("GET", "/v3/roles?name=member", { token: admin }))).roles[0].id;
});
afterAll(() => t.close());

const json = async (res: Response) => (await res.json()) as any;
const uname = () => `user-${hexId().slice(0, 10)}`;
const create = async (body: Record<string, unknown>) => {
  const res = await t.req("POST", "/v3/users", { token: admin, json: { user: body } });
  if (res.status !== 201) throw new Error(`${res.status} ${await res.text()}`);
  return (await json(res)).user;
};
const status = async (method: string, path: string, token = admin, body?: unknown) =>
  (await t.req(method, path, { token, json: body })).status;
/** A password token for a user by id; the status when it fails. */
const login = async (userId: string, password: string, projectId?: string) => {
  const res = await t.req("POST", "/v3/auth/tokens", {
    json: {
      auth: {
        identity: { methods: ["password"], password: { user: { id: userId, password } } },
        ...(projectId ? { scope: { project: { id: projectId } } } : {}),
      },
    },
  });
  return res.status === 201 ? res.headers.get("x-subject-token")! : res.status;
};

describe("users CRUD", () => {
  test("create, show, list, update, delete; the password is never returned nor stored in clear", async () => {
    const name = uname();
    const u = await create({ name, password: "s3cret!", email: `${name}@example.org`, description: "d", project_id: "p1" });
    expect(u).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{32}$/),
      name,
      domain_id: "default",
      enabled: true,
      email: `${name}@example.org`,
      description: "d",
      project_id: "p1",
      password_expires_at: null,
      options: {},
      links: { self: expect.stringMatching(new RegExp(`/v3/users/${u.id}$`)) },
    });
    const row = t.cloud.db.get<{ password_hash: string; extra: string }>("SELECT * FROM identity_users WHERE id = ?", u.id)!;
    expect(row.password_hash).not.toContain("s3cret!");
    expect(row.extra).not.toContain("s3cret!");

    expect((await json(await t.req("GET", `/v3/users/${u.id}`, { token: admin }))).user).toEqual(u);
    const listed = (await json(await t.req("GET", `/v3/users?name=${name}`, { token: admin }))).users;
    expect(listed).toEqual([u]);

    const upd = await t.req("PATCH", `/v3/users/${u.id}`, {
      token: admin,
      json: { user: { id: u.id, name: name + "2", description: "e", email: "e@x", project_id: "p2", enabled: false } },
    });
    expect(upd.status).toBe(200);
    const after = (await json(upd)).user;
    expect(after).toMatchObject({ name: name + "2", description: "e", email: "e@x", project_id: "p2", enabled: false });
    expect((await json(await t.req("GET", `/v3/users/${u.id}`, { token: admin }))).user).toEqual(after);

    expect(await status("DELETE", `/v3/users/${u.id}`)).toBe(204);
    expect(await status("GET", `/v3/users/${u.id}`)).toBe(404);
    expect(await status("DELETE", `/v3/users/${u.id}`)).toBe(404);
  });

  test("filters: domain_id, enabled, name", async () => {
    const d = (await json(await t.req("POST", "/v3/domains", { token: admin, json: { domain: { name: `d-${hexId().slice(0, 8)}` } } }))).domain.id;
    const a = await create({ name: uname(), domain_id: d });
    const b = await create({ name: uname(), enabled: false });
    const ids = async (qs: string) => ((await json(await t.req("GET", `/v3/users?${qs}`, { token: admin }))).users as any[]).map((u) => u.id);
    expect(await ids(`domain_id=${d}`)).toEqual([a.id]);
    const disabled = await ids("enabled=False");
    expect(disabled).toContain(b.id);
    expect(disabled).not.toContain(a.id);
    expect(await ids(`name=${b.name}`)).toEqual([b.id]);
    expect(await ids("password_expires_at=lt:2030-01-01T00:00:00Z")).toEqual([]);
    expect(await status("GET", "/v3/users?password_expires_at=soon")).toBe(400);
  });

  test("bad input → 400, unknown domain → 404, duplicates → 409", async () => {
    expect(await status("POST", "/v3/users", admin, { user: { name: "" } })).toBe(400);
    expect(await status("POST", "/v3/users", admin, { user: { password: "x" } })).toBe(400);
    expect(await status("POST", "/v3/users", admin, { user: { name: "a".repeat(256) } })).toBe(400);
    expect(await status("POST", "/v3/users", admin, { user: { name: uname(), domain_id: hexId() } })).toBe(404);
    const name = uname();
    await create({ name });
    expect(await status("POST", "/v3/users", admin, { user: { name } })).toBe(409);
    const other = await create({ name: uname() });
    expect(await status("PATCH", `/v3/users/${other.id}`, admin, { user: { name } })).toBe(409);
    expect(await status("PATCH", `/v3/users/${other.id}`, admin, { user: { id: hexId() } })).toBe(400);
    expect(await status("PATCH", `/v3/users/${other.id}`, admin, { user: { domain_id: hexId() } })).toBe(400);
    expect(await status("PATCH", `/v3/users/${other.id}`, admin, { user: { default_project_id: "default" } })).toBe(400);
    expect(await status("PATCH", `/v3/users/${hexId()}`, admin, { user: { name: uname() } })).toBe(404);
  });

  test("options are stored; null removes one", async () => {
    const u = await create({ name: uname(), options: { ignore_password_expiry: true, lock_password: false } });
    expect(u.options).toEqual({ ignore_password_expiry: true, lock_password: false });
    const upd = await t.req("PATCH", `/v3/users/${u.id}`, { token: admin, json: { user: { options: { lock_password: null } } } });
    expect((await json(upd)).user.options).toEqual({ ignore_password_expiry: true });
    expect(await status("POST", "/v3/users", admin, { user: { name: uname(), options: { bogus: true } } })).toBe(400);
  });
});

describe("passwords and tokens", () => {
  test("self-service password change revokes the user's tokens", async () => {
    const u = await create({ name: uname(), password: "old-pw" });
    const tok = await login(u.id, "old-pw");
    expect(typeof tok).toBe("string");
    const path = `/v3/users/${u.id}/password`;
    const wrong = await t.req("POST", path, { token: tok as string, json: { user: { original_password: "nope", password: "new-pw" } } });
    expect(wrong.status).toBe(401);
    expect(await status("POST", path, tok as string, { user: { password: "new-pw" } })).toBe(400);
    expect(await status("POST", path, tok as string, { user: { original_password: "old-pw", password: "new-pw" } })).toBe(204);
    expect(await status("GET", `/v3/users/${u.id}`, tok as string)).toBe(401);
    expect(await login(u.id, "old-pw")).toBe(401);
    const fresh = await login(u.id, "new-pw");
    expect(typeof fresh).toBe("string");
    // an admin who knows the original password may change it too (Keystone leaves this API unenforced)
    expect(await status("POST", path, admin, { user: { original_password: "new-pw", password: "third-pw" } })).toBe(204);
    expect(typeof (await login(u.id, "third-pw"))).toBe("string");
    expect(await status("POST", `/v3/users/${hexId()}/password`, admin, { user: { original_password: "a", password: "b" } })).toBe(401);
  });

  test("lock_password refuses self-service changes", async () => {
    const u = await create({ name: uname(), password: "pw", options: { lock_password: true } });
    expect(await status("POST", `/v3/users/${u.id}/password`, admin, { user: { original_password: "pw", password: "x" } })).toBe(403);
  });

  test("disabling a user or resetting the password revokes tokens; a disabled user cannot log in", async () => {
    const u = await create({ name: uname(), password: "pw-a" });
    const t1 = (await login(u.id, "pw-a")) as string;
    expect(await status("PATCH", `/v3/users/${u.id}`, admin, { user: { password: "pw-b" } })).toBe(200);
    expect(await status("GET", `/v3/users/${u.id}`, t1)).toBe(401);
    const t2 = (await login(u.id, "pw-b")) as string;
    expect(await status("GET", `/v3/users/${u.id}`, t2)).toBe(200);
    expect(await status("PATCH", `/v3/users/${u.id}`, admin, { user: { name: u.name, enabled: false } })).toBe(200);
    expect(await status("GET", `/v3/users/${u.id}`, t2)).toBe(401);
    expect(await login(u.id, "pw-b")).toBe(401);
    // deleting a user revokes its tokens too
    const v = await create({ name: uname(), password: "pw" });
    const t3 = (await login(v.id, "pw")) as string;
    expect(await status("DELETE", `/v3/users/${v.id}`)).toBe(204);
    expect((await t.req("GET", "/v3/auth/tokens", { token: admin, headers: { "x-subject-token": t3 } })).status).toBe(404);
  });

  test("an unscoped login lands on the default project", async () => {
    const p = (await json(await t.req("POST", "/v3/projects", { token: admin, json: { project: { name: `p-${hexId().slice(0, 8)}` } } }))).project;
    const u = await create({ name: uname(), password: "pw", default_project_id: p.id });
    expect(u.default_project_id).toBe(p.id);
    expect(await status("PUT", `/v3/projects/${p.id}/users/${u.id}/roles/${memberRole}`)).toBe(204);
    const tok = (await login(u.id, "pw")) as string;
    const body = await json(await t.req("GET", "/v3/auth/tokens", { token: admin, headers: { "x-subject-token": tok } }));
    expect(body.token.project.id).toBe(p.id);
  });
});

describe("policy", () => {
  test("a member may read itself only", async () => {
    const other = await create({ name: uname() });
    expect(await status("GET", `/v3/users/${demoId}`, demo)).toBe(200);
    expect(await status("GET", `/v3/users/${other.id}`, demo)).toBe(403);
    expect(await status("GET", `/v3/users/${hexId()}`, demo)).toBe(403);
    expect(await status("GET", "/v3/users", demo)).toBe(403);
    expect(await status("POST", "/v3/users", demo, { user: { name: uname() } })).toBe(403);
    expect(await status("PATCH", `/v3/users/${demoId}`, demo, { user: { description: "x" } })).toBe(403);
    expect(await status("DELETE", `/v3/users/${other.id}`, demo)).toBe(403);
    expect(await status("GET", `/v3/users/${demoId}/groups`, demo)).toBe(200);
    expect(await status("GET", `/v3/users/${other.id}/groups`, demo)).toBe(403);
  });
});

describe("password change without a token (as Keystone: the original password is the proof)", () => {
  test("works with the right original password, 401 with a wrong one; only the new password logs in", async () => {
    const created = await t.req("POST", "/v3/users", {
      token: admin,
      json: { user: { name: `pw-${hexId().slice(0, 6)}`, password: "first-pass", domain_id: "default" } },
    });
    const user = ((await created.json()) as any).user;
    const wrong = await t.req("POST", `/v3/users/${user.id}/password`, {
      json: { user: { original_password: "nope", password: "second-pass" } },
    });
    expect(wrong.status).toBe(401);
    const ok = await t.req("POST", `/v3/users/${user.id}/password`, {
      json: { user: { original_password: "first-pass", password: "second-pass" } },
    });
    expect(ok.status).toBe(204);
    const login = (password: string) =>
      t.req("POST", "/v3/auth/tokens", {
        json: { auth: { identity: { methods: ["password"], password: { user: { id: user.id, password } } } } },
      });
    expect((await login("first-pass")).status).toBe(401);
    expect((await login("second-pass")).status).toBe(201);
  });
});
