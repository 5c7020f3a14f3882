import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { testCloud, type TestCloud } from "../../../test/harness.ts";
import { hexId } from "../../core/ids.ts";
import { parseIsoTime, renderExpiry } from "../logic/application_credentials.ts";

let t: TestCloud;
let admin: string;
let demo: string;
let demoId: string;
let demoProject: string;
let customRole: string;
beforeAll(async () => {
  t = await testCloud();
  admin = await t.token();
  // Give demo an extra role on demo, so that a credential can carry a subset of its roles.
  const ctx = t.cloud.identity.ctx;
  customRole = hexId();
  ctx.db.run("INSERT INTO identity_roles (id, name, domain_id) VALUES (?, 'custom', NULL)", customRole);
  const demoUser = ctx.db.get<{ id: string; default_project_id: string }>(
    "SELECT id, default_project_id FROM identity_users WHERE name = 'demo'",
  )!;
  demoId = demoUser.id;
  demoProject = demoUser.default_project_id;
  ctx.db.run("INSERT INTO identity_assignments VALUES ('UserProject', ?, ?, ?, 0)", demoId, demoProject, customRole);
  ctx.changed();
  demo = await t.token("demo", "secret", "demo");
});
afterAll(() => t.close());

const j = async (r: Response) => (await r.json()) as any;
const base = () => `/v3/users/${demoId}/application_credentials`;
const create = (application_credential: unknown, token = demo) =>
  t.req("POST", base(), { token, json: { application_credential } });
const login = (application_credential: unknown) =>
  t.req("POST", "/v3/auth/tokens", {
    json: { auth: { identity: { methods: ["application_credential"], application_credential } } },
  });

describe("application credentials", () => {
  test("create → secret once; authenticate by id and by name; token scoped to the project with all roles", async () => {
    const r = await create({ name: "all-roles", description: "d" });
    expect(r.status).toBe(201);
    const ac = (await j(r)).application_credential;
    expect(ac).toMatchObject({ name: "all-roles", description: "d", project_id: demoProject, expires_at: null, unrestricted: false });
    expect(ac.secret.length).toBeGreaterThanOrEqual(64);
    expect(ac.secret).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(ac.roles.map((x: any) => x.name).sort()).toEqual(["custom", "member", "reader"]);
    expect(ac.links.self).toEndWith(`/v3/users/${demoId}/application_credentials/${ac.id}`);

    const shown = await t.req("GET", `${base()}/${ac.id}`, { token: demo });
    expect(shown.status).toBe(200);
    const s = (await j(shown)).application_credential;
    expect(s.secret).toBeUndefined();
    expect(s.id).toBe(ac.id);

    const byId = await login({ id: ac.id, secret: ac.secret });
    expect(byId.status).toBe(201);
    const tok = (await j(byId)).token;
    expect(tok.project.id).toBe(demoProject);
    expect(tok.methods).toEqual(["application_credential"]);
    expect(tok.roles.map((x: any) => x.name).sort()).toEqual(["custom", "member", "reader"]);

    const byName = await login({ name: "all-roles", user: { name: "demo", domain: { id: "default" } }, secret: ac.secret });
    expect(byName.status).toBe(201);
    expect((await login({ id: ac.id, secret: "wrong" })).status).toBe(401);
  });

  test("a token from a credential carries only the credential's roles (and what they imply)", async () => {
    const r = await create({ name: "custom-only", roles: [{ id: customRole }] });
    expect(r.status).toBe(201);
    const ac = (await j(r)).application_credential;
    expect(ac.roles.map((x: any) => x.id)).toEqual([customRole]);
    const tok = (await j(await login({ id: ac.id, secret: ac.secret }))).token;
    expect(tok.roles).toEqual([{ id: customRole, name: "custom" }].map((x) => expect.objectContaining(x)));

    const m = (await j(await create({ name: "member-by-name", roles: [{ name: "member" }] }))).application_credential;
    expect(m.roles.map((x: any) => x.name).sort()).toEqual(["member", "reader"]);
    const mt = (await j(await login({ id: m.id, secret: m.secret }))).token;
    expect(mt.roles.map((x: any) => x.name).sort()).toEqual(["member", "reader"]);
    // A member-only token is refused where admin is needed.
    const memberToken = (await login({ id: m.id, secret: m.secret })).headers.get("x-subject-token")!;
    expect((await t.req("GET", "/v3/services", { token: memberToken })).status).toBe(403);
  });

  test("given secret, expires_at rendered as Keystone, list and filter by name", async () => {
    const exp = new Date(Date.now() + 3600_000).toISOString().replace("Z", "").replace(/\.(\d{3})$/, ".$1456");
    const r = await create({ name: "with-expiry", secret: "my-secret", expires_at: exp });
    expect(r.status).toBe(201);
    const ac = (await j(r)).application_credential;
    expect(ac.secret).toBe("my-secret");
    expect(ac.expires_at).toBe(exp);
    const shown = (await j(await t.req("GET", `${base()}/${ac.id}`, { token: demo }))).application_credential;
    expect(shown.expires_at).toBe(exp);
    const tok = (await j(await login({ id: ac.id, secret: "my-secret" }))).token;
    expect(Date.parse(tok.expires_at)).toBeLessThanOrEqual(Date.parse(exp + "Z"));

    const list = (await j(await t.req("GET", base(), { token: demo }))).application_credentials;
    expect(list.length).toBeGreaterThanOrEqual(1);
    expect(list.every((x: any) => x.secret === undefined)).toBe(true);
    const one = (await j(await t.req("GET", `${base()}?name=with-expiry`, { token: demo }))).application_credentials;
    expect(one.map((x: any) => x.id)).toEqual([ac.id]);
  });

  test("400 / 403 / 404 / 409", async () => {
    const past = new Date(Date.now() - 60_000).toISOString();
    expect((await create({ name: "past", expires_at: past })).status).toBe(400);
    expect((await create({ name: "badtime", expires_at: "tomorrow" })).status).toBe(400);
    expect((await create({ name: "x", color: "red" })).status).toBe(400);
    expect((await create({})).status).toBe(400);
    // admin is not one of demo's roles
    const adminRole = t.cloud.identity.ctx.db.get<{ id: string }>("SELECT id FROM identity_roles WHERE name = 'admin'")!.id;
    expect((await create({ name: "escalate", roles: [{ id: adminRole }] })).status).toBe(400);
    expect((await create({ name: "unknown-role", roles: [{ name: "no-such-role" }] })).status).toBe(404);
    expect((await create({ name: "dup" })).status).toBe(201);
    expect((await create({ name: "dup" })).status).toBe(409);
    // Only the user themself may create, even an admin.
    expect((await create({ name: "by-admin" }, admin)).status).toBe(403);
    expect((await t.req("GET", `${base()}/nope`, { token: demo })).status).toBe(404);
    expect((await t.req("DELETE", `${base()}/nope`, { token: demo })).status).toBe(404);
    expect((await t.req("GET", "/v3/users/nope/application_credentials", { token: admin })).status).toBe(404);
  });

  test("admin may list and delete another user's; a restricted credential may not manage credentials", async () => {
    const ac = (await j(await create({ name: "restricted" }))).application_credential;
    const acTok = (await login({ id: ac.id, secret: ac.secret })).headers.get("x-subject-token")!;
    expect((await create({ name: "child" }, acTok)).status).toBe(403);
    expect((await t.req("POST", `/v3/users/${demoId}/credentials/OS-EC2`, { token: acTok, json: { tenant_id: demoProject } })).status).toBe(403);
    const un = (await j(await create({ name: "unrestricted", unrestricted: true }))).application_credential;
    expect(un.unrestricted).toBe(true);
    const unTok = (await login({ id: un.id, secret: un.secret })).headers.get("x-subject-token")!;
    const child = await create({ name: "child-ok" }, unTok);
    expect(child.status).toBe(201);

    const adminList = await t.req("GET", base(), { token: admin });
    expect(adminList.status).toBe(200);
    expect((await j(adminList)).application_credentials.map((x: any) => x.id)).toContain(ac.id);

    // Deleting revokes the tokens it issued.
    expect((await t.req("GET", "/v3/auth/tokens", { token: admin, headers: { "x-subject-token": acTok } })).status).toBe(200);
    expect((await t.req("DELETE", `${base()}/${ac.id}`, { token: admin })).status).toBe(204);
    expect((await t.req("GET", "/v3/auth/tokens", { token: admin, headers: { "x-subject-token": acTok } })).status).toBe(404);
    expect((await login({ id: ac.id, secret: ac.secret })).status).toBe(401);
  });

  test("another member may not see or delete someone else's credentials", async () => {
    const ac = (await j(await create({ name: "private" }))).application_credential;
    const ctx = t.cloud.identity.ctx;
    const uid = hexId();
    ctx.db.run(
      "INSERT INTO identity_users (id, name, domain_id, enabled, password_hash, created_at) VALUES (?, 'ac-other', 'default', 1, ?, 0)",
      uid,
      await ctx.hashSecret("pw"),
    );
    ctx.db.run("INSERT INTO identity_assignments VALUES ('UserProject', ?, ?, ?, 0)", uid, demoProject, customRole);
    ctx.changed();
    const other = await t.token("ac-other", "pw", "demo");
    expect((await t.req("GET", base(), { token: other })).status).toBe(403);
    expect((await t.req("GET", `${base()}/${ac.id}`, { token: other })).status).toBe(403);
    // Putting one's own id in the path does not help: the owner is the credential's.
    expect((await t.req("GET", `/v3/users/${uid}/application_credentials/${ac.id}`, { token: other })).status).toBe(403);
    expect((await t.req("DELETE", `${base()}/${ac.id}`, { token: other })).status).toBe(403);
  });

  test("access rules are stored and listed", async () => {
    const rule = { path: "/v2.1/servers/*/ips", method: "GET", service: "compute" };
    const ac = (await j(await create({ name: "with-rules", access_rules: [rule] }))).application_credential;
    const got = { ...ac.access_rules[0] };
    expect(got.id).toMatch(/^[0-9a-f]{32}$/);
    delete got.id;
    expect(got).toEqual(rule);
    const rules = (await j(await t.req("GET", `/v3/users/${demoId}/access_rules`, { token: demo }))).access_rules;
    expect(rules.map((r: any) => r.id)).toContain(ac.access_rules[0].id);
    const one = await t.req("GET", `/v3/users/${demoId}/access_rules/${ac.access_rules[0].id}`, { token: demo });
    expect(one.status).toBe(200);
  });
});

describe("expiry timestamps", () => {
  test("parse and render keep microseconds", () => {
    for (const s of ["2030-01-02T03:04:05.123456", "2030-01-02T03:04:05.000001", "2030-12-31T23:59:59.999999"])
      expect(renderExpiry(parseIsoTime(s)!)).toBe(s);
    expect(renderExpiry(parseIsoTime("2030-01-02T03:04:05Z")!)).toBe("2030-01-02T03:04:05.000000");
    expect(renderExpiry(parseIsoTime("2030-01-02T05:04:05+02:00")!)).toBe("2030-01-02T03:04:05.000000");
    expect(parseIsoTime("yesterday")).toBeUndefined();
  });
});
