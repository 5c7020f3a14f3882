import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { testCloud, type TestCloud } from "../../../test/harness.ts";
import { hexId } from "../../core/ids.ts";
import { findEc2Credential } from "../logic/ec2_credentials.ts";

let t: TestCloud;
let admin: string;
let demo: string;
let demoId: string;
let demoProject: string;
let adminProject: string;
let other: string;
let otherId: string;
beforeAll(async () => {
  t = await testCloud();
  admin = await t.token();
  demo = await t.token("demo", "secret", "demo");
  const info = (await j(await t.req("GET", "/v3/auth/tokens", { token: admin, headers: { "x-subject-token": demo } }))).token;
  demoId = info.user.id;
  demoProject = info.project.id;
  const ai = (await j(await t.req("GET", "/v3/auth/tokens", { token: admin, headers: { "x-subject-token": admin } }))).token;
  adminProject = ai.project.id;
  // A second member of demo, made directly in the tables (the users API is not ours).
  const ctx = t.cloud.identity.ctx;
  otherId = hexId();
  const hash = await ctx.hashSecret("pw");
  ctx.db.run(
    "INSERT INTO identity_users (id, name, domain_id, enabled, password_hash, created_at) VALUES (?, 'other', 'default', 1, ?, 0)",
    otherId,
    hash,
  );
  const member = ctx.db.get<{ id: string }>("SELECT id FROM identity_roles WHERE name = 'member'")!.id;
  ctx.db.run("INSERT INTO identity_assignments VALUES ('UserProject', ?, ?, ?, 0)", otherId, demoProject, member);
  ctx.changed();
  other = await t.token("other", "pw", "demo");
});
afterAll(() => t.close());

async function j(r: Response) {
  return (await r.json()) as any;
}
const sha = (s: string) => createHash("sha256").update(s).digest("hex");

describe("/v3/credentials", () => {
  test("ec2 credential: id is sha256(access); get, update, list, delete", async () => {
    const blob = JSON.stringify({ access: "AK1", secret: "S1" });
    const r = await t.req("POST", "/v3/credentials", {
      token: admin,
      json: { credential: { user_id: demoId, project_id: demoProject, type: "ec2", blob } },
    });
    expect(r.status).toBe(201);
    const c = (await j(r)).credential;
    expect(c).toMatchObject({ id: sha("AK1"), user_id: demoId, project_id: demoProject, type: "ec2", blob });
    expect(c.links.self).toEndWith(`/v3/credentials/${c.id}`);

    const again = await t.req("POST", "/v3/credentials", {
      token: admin,
      json: { credential: { user_id: demoId, project_id: demoProject, type: "ec2", blob } },
    });
    expect(again.status).toBe(409);

    const blob2 = JSON.stringify({ access: "AK2", secret: "S2" });
    const up = await t.req("PATCH", `/v3/credentials/${c.id}`, {
      token: admin,
      json: { credential: { blob: blob2, project_id: adminProject, type: "ec2" } },
    });
    expect(up.status).toBe(200);
    const u = (await j(up)).credential;
    expect(u).toMatchObject({ id: c.id, project_id: adminProject, user_id: demoId });
    expect(JSON.parse(u.blob)).toEqual({ access: "AK2", secret: "S2" });
    expect(findEc2Credential(t.cloud.db, "AK2")).toEqual({ userId: demoId, projectId: adminProject, secret: "S2" });
    expect(findEc2Credential(t.cloud.db, "AK1")).toBeUndefined();

    const shown = (await j(await t.req("GET", `/v3/credentials/${c.id}`, { token: admin }))).credential;
    expect(shown).toEqual(u);
    const list = (await j(await t.req("GET", "/v3/credentials?type=ec2", { token: admin }))).credentials;
    expect(list.map((x: any) => x.id)).toContain(c.id);

    // The owner sees it too; another member does not.
    expect((await t.req("GET", `/v3/credentials/${c.id}`, { token: demo })).status).toBe(200);
    expect((await t.req("GET", `/v3/credentials/${c.id}`, { token: other })).status).toBe(403);
    const otherList = (await j(await t.req("GET", "/v3/credentials", { token: other }))).credentials;
    expect(otherList.map((x: any) => x.id)).not.toContain(c.id);

    expect((await t.req("DELETE", `/v3/credentials/${c.id}`, { token: admin })).status).toBe(204);
    expect((await t.req("GET", `/v3/credentials/${c.id}`, { token: admin })).status).toBe(404);
  });

  test("non-admins manage their own credentials only", async () => {
    const mine = await t.req("POST", "/v3/credentials", {
      token: demo,
      json: { credential: { user_id: demoId, type: "totp", blob: "abc", purpose: "x" } },
    });
    expect(mine.status).toBe(201);
    const c = (await j(mine)).credential;
    expect(c.id).toMatch(/^[0-9a-f]{32}$/);
    expect(c).toMatchObject({ project_id: null, purpose: "x" });
    const listed = (await j(await t.req("GET", "/v3/credentials", { token: demo }))).credentials;
    expect(listed.every((x: any) => x.user_id === demoId)).toBe(true);
    expect((await t.req("PATCH", `/v3/credentials/${c.id}`, { token: demo, json: { credential: { blob: "def" } } })).status).toBe(200);
    // Cannot give it away, nor create one for someone else, nor touch it as another user.
    expect((await t.req("PATCH", `/v3/credentials/${c.id}`, { token: demo, json: { credential: { user_id: otherId } } })).status).toBe(403);
    expect((await t.req("POST", "/v3/credentials", { token: demo, json: { credential: { user_id: otherId, type: "totp", blob: "x" } } })).status).toBe(403);
    expect((await t.req("DELETE", `/v3/credentials/${c.id}`, { token: other })).status).toBe(403);
    expect((await t.req("DELETE", `/v3/credentials/${c.id}`, { token: demo })).status).toBe(204);
    expect((await t.req("DELETE", `/v3/credentials/${c.id}`, { token: admin })).status).toBe(404);
  });

  test("400s", async () => {
    const post = (credential: unknown) => t.req("POST", "/v3/credentials", { token: admin, json: { credential } });
    expect((await post({ user_id: demoId, type: "ec2", blob: '{"access":"a"}' })).status).toBe(400); // no project_id
    expect((await post({ user_id: demoId, project_id: demoProject, type: "ec2", blob: "not json" })).status).toBe(400);
    expect((await post({ user_id: demoId, project_id: demoProject, type: "ec2", blob: '{"secret":"s"}' })).status).toBe(400);
    expect((await post({ user_id: demoId, type: "x" })).status).toBe(400);
    expect((await post({ type: "x", blob: "b" })).status).toBe(400);
    expect((await post({ user_id: "nobody", type: "x", blob: "b" })).status).toBe(404);
  });
});

describe("OS-EC2 credentials", () => {
  test("create, list, show, delete as the user; visible in /v3/credentials", async () => {
    const base = `/v3/users/${demoId}/credentials/OS-EC2`;
    const r = await t.req("POST", base, { token: demo, json: { tenant_id: demoProject } });
    expect(r.status).toBe(201);
    const c = (await j(r)).credential;
    expect(c).toMatchObject({ user_id: demoId, tenant_id: demoProject, trust_id: null });
    expect(c.access).toMatch(/^[0-9a-f]{32}$/);
    expect(c.secret).toMatch(/^[0-9a-f]{32}$/);
    expect(c.links.self).toEndWith(`/v3/users/${demoId}/credentials/OS-EC2/${c.access}`);
    expect(findEc2Credential(t.cloud.db, c.access)).toEqual({ userId: demoId, projectId: demoProject, secret: c.secret });
    expect(t.cloud.identity.client.ec2Credential(c.access)?.secret).toBe(c.secret);

    const list = (await j(await t.req("GET", base, { token: demo }))).credentials;
    expect(list.map((x: any) => x.access)).toContain(c.access);
    const shown = (await j(await t.req("GET", `${base}/${c.access}`, { token: demo }))).credential;
    for (const k of ["access", "secret", "user_id", "tenant_id"]) expect(shown[k]).toBe(c[k]);
    const v3 = await t.req("GET", `/v3/credentials/${sha(c.access)}`, { token: demo });
    expect(v3.status).toBe(200);
    expect((await j(v3)).credential.type).toBe("ec2");

    expect((await t.req("GET", base, { token: other })).status).toBe(403);
    expect((await t.req("GET", `${base}/${c.access}`, { token: other })).status).toBe(403);
    expect((await t.req("DELETE", `${base}/${c.access}`, { token: other })).status).toBe(403);
    expect((await t.req("GET", `/v3/users/${otherId}/credentials/OS-EC2/${c.access}`, { token: other })).status).toBe(403);

    expect((await t.req("DELETE", `${base}/${c.access}`, { token: demo })).status).toBe(204);
    expect((await t.req("GET", `${base}/${c.access}`, { token: demo })).status).toBe(404);
    expect(findEc2Credential(t.cloud.db, c.access)).toBeUndefined();
  });

  test("admin may act for a user; the project must exist and be the user's", async () => {
    const base = `/v3/users/${demoId}/credentials/OS-EC2`;
    const r = await t.req("POST", base, { token: admin, json: { tenant_id: demoProject } });
    expect(r.status).toBe(201);
    const c = (await j(r)).credential;
    expect((await t.req("GET", `${base}/${c.access}`, { token: admin })).status).toBe(200);
    expect((await t.req("DELETE", `${base}/${c.access}`, { token: admin })).status).toBe(204);

    expect((await t.req("POST", base, { token: demo, json: { tenant_id: "nope" } })).status).toBe(404);
    expect((await t.req("POST", base, { token: demo, json: { tenant_id: adminProject } })).status).toBe(403);
    expect((await t.req("POST", base, { token: demo, json: {} })).status).toBe(400);
    expect((await t.req("POST", base, { token: other, json: { tenant_id: demoProject } })).status).toBe(403);
    expect((await t.req("POST", "/v3/users/nope/credentials/OS-EC2", { token: admin, json: { tenant_id: demoProject } })).status).toBe(404);
  });
});
