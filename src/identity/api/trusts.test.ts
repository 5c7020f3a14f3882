import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { testCloud, type TestCloud } from "../../../test/harness.ts";

let t: TestCloud;
let admin: string;
let demo: string;
let demoId: string;
let projectId: string;
let trustorId: string;
let trustor: string;
let delegated: string;
let notDelegated: string;
const j = async (r: Response) => (await r.json()) as any;

async function post(path: string, json: unknown, token = admin) {
  const r = await t.req("POST", path, { token, json });
  if (r.status !== 201) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  return j(r);
}

beforeAll(async () => {
  t = await testCloud();
  admin = await t.token();
  demo = await t.token("demo", "secret", "demo");
  demoId = (await j(await t.req("GET", "/v3/auth/tokens", { token: admin, headers: { "x-subject-token": demo } }))).token.user.id;
  projectId = (await post("/v3/projects", { project: { name: "trustp", domain_id: "default" } })).project.id;
  trustorId = (await post("/v3/users", { user: { name: "trustor", password: "pw", domain_id: "default" } })).user.id;
  delegated = (await post("/v3/roles", { role: { name: "delegated" } })).role.id;
  notDelegated = (await post("/v3/roles", { role: { name: "kept" } })).role.id;
  for (const role of [delegated, notDelegated])
    expect((await t.req("PUT", `/v3/projects/${projectId}/users/${trustorId}/roles/${role}`, { token: admin })).status).toBe(204);
  trustor = await t.token("trustor", "pw", "trustp");
});
afterAll(() => t.close());

const trustBody = (extra: Record<string, unknown> = {}) => ({
  trust: {
    trustor_user_id: trustorId,
    trustee_user_id: demoId,
    project_id: projectId,
    impersonation: true,
    roles: [{ name: "delegated" }],
    ...extra,
  },
});

async function trustToken(trustId: string, via: "password" | "token" = "password", user = "demo", pw = "secret") {
  const identity =
    via === "password"
      ? { methods: ["password"], password: { user: { name: user, domain: { id: "default" }, password: pw } } }
      : { methods: ["token"], token: { id: demo } };
  return t.req("POST", "/v3/auth/tokens", { json: { auth: { identity, scope: { "OS-TRUST:trust": { id: trustId } } } } });
}

describe("/v3/OS-TRUST/trusts", () => {
  test("create, show, roles, list filters, delete", async () => {
    const r = await t.req("POST", "/v3/OS-TRUST/trusts", { token: trustor, json: trustBody({ expires_at: "2999-01-02T03:04:05Z" }) });
    expect(r.status).toBe(201);
    const tr = (await j(r)).trust;
    expect(tr).toMatchObject({
      trustor_user_id: trustorId,
      trustee_user_id: demoId,
      project_id: projectId,
      impersonation: true,
      expires_at: "2999-01-02T03:04:05.000000Z",
      remaining_uses: null,
      redelegation_count: 0,
      redelegated_trust_id: null,
    });
    expect(tr.roles.map((x: any) => x.id)).toEqual([delegated]);
    expect(tr.links.self).toEndWith(`/v3/OS-TRUST/trusts/${tr.id}`);
    // trustee may read it too
    expect((await t.req("GET", `/v3/OS-TRUST/trusts/${tr.id}`, { token: demo })).status).toBe(200);
    const roles = await j(await t.req("GET", `/v3/OS-TRUST/trusts/${tr.id}/roles`, { token: trustor }));
    expect(roles.roles.map((x: any) => x.name)).toEqual(["delegated"]);
    expect((await t.req("GET", `/v3/OS-TRUST/trusts/${tr.id}/roles/${delegated}`, { token: trustor })).status).toBe(200);
    expect((await t.req("HEAD", `/v3/OS-TRUST/trusts/${tr.id}/roles/${delegated}`, { token: trustor })).status).toBe(200);
    expect((await t.req("GET", `/v3/OS-TRUST/trusts/${tr.id}/roles/${notDelegated}`, { token: trustor })).status).toBe(404);
    expect((await t.req("HEAD", `/v3/OS-TRUST/trusts/${tr.id}/roles/${notDelegated}`, { token: trustor })).status).toBe(404);

    const byTrustor = await j(await t.req("GET", `/v3/OS-TRUST/trusts/?trustor_user_id=${trustorId}`, { token: trustor }));
    expect(byTrustor.trusts.map((x: any) => x.id)).toEqual([tr.id]);
    expect(byTrustor.trusts[0].roles).toBeUndefined();
    const byTrustee = await j(await t.req("GET", `/v3/OS-TRUST/trusts?trustee_user_id=${demoId}`, { token: demo }));
    expect(byTrustee.trusts.map((x: any) => x.id)).toContain(tr.id);
    expect((await t.req("GET", `/v3/OS-TRUST/trusts?trustor_user_id=${trustorId}`, { token: demo })).status).toBe(403);
    expect((await t.req("GET", "/v3/OS-TRUST/trusts", { token: demo })).status).toBe(403);
    expect((await j(await t.req("GET", "/v3/OS-TRUST/trusts", { token: admin }))).trusts.length).toBeGreaterThan(0);

    expect((await t.req("DELETE", `/v3/OS-TRUST/trusts/${tr.id}`, { token: demo })).status).toBe(403);
    expect((await t.req("DELETE", `/v3/OS-TRUST/trusts/${tr.id}`, { token: trustor })).status).toBe(204);
    expect((await t.req("GET", `/v3/OS-TRUST/trusts/${tr.id}`, { token: trustor })).status).toBe(404);
    expect((await t.req("DELETE", `/v3/OS-TRUST/trusts/${tr.id}`, { token: trustor })).status).toBe(404);
  });

  test("create is refused for others, bad input and roles the trustor lacks", async () => {
    const send = (json: unknown, token = trustor) => t.req("POST", "/v3/OS-TRUST/trusts", { token, json });
    expect((await send(trustBody(), demo)).status).toBe(403); // not the trustor
    expect((await send(trustBody({ expires_at: "bad.123Z" }))).status).toBe(400);
    expect((await send(trustBody({ expires_at: "2001-01-01T00:00:00Z" }))).status).toBe(400);
    expect((await send(trustBody({ remaining_uses: 0 }))).status).toBe(400);
    expect((await send({ trust: { trustor_user_id: trustorId, trustee_user_id: demoId } })).status).toBe(400);
    expect((await send(trustBody({ roles: [] }))).status).toBe(403);
    expect((await send(trustBody({ roles: [{ name: "admin" }] }))).status).toBe(404);
    expect((await send(trustBody({ roles: [{ name: "nosuchrole" }] }))).status).toBe(404);
    expect((await send(trustBody({ trustee_user_id: "nobody" }))).status).toBe(404);
    const r = await send(trustBody({ allow_redelegation: true }));
    expect((await j(r)).trust.redelegation_count).toBe(3);
    expect((await send(trustBody({ allow_redelegation: true, redelegation_count: 9 }))).status).toBe(403);
  });
});

describe("trust-scoped tokens", () => {
  test("impersonating: the token is the trustor's, with the delegated roles only; uses are counted", async () => {
    const tr = (await post("/v3/OS-TRUST/trusts", trustBody({ remaining_uses: 2 }), trustor)).trust;
    const r = await trustToken(tr.id);
    expect(r.status).toBe(201);
    const tok = (await j(r)).token;
    expect(tok.user.id).toBe(trustorId);
    expect(tok.project.id).toBe(projectId);
    expect(tok.roles.map((x: any) => x.id)).toEqual([delegated]);
    expect(tok["OS-TRUST:trust"]).toEqual({
      id: tr.id,
      impersonation: true,
      trustee_user: { id: demoId },
      trustor_user: { id: trustorId },
    });
    const second = await trustToken(tr.id, "token");
    expect(second.status).toBe(201);
    expect((await trustToken(tr.id)).status).toBe(403); // no uses left
    // A trust token cannot be rescoped.
    const id = r.headers.get("x-subject-token")!;
    const re = await t.req("POST", "/v3/auth/tokens", {
      json: { auth: { identity: { methods: ["token"], token: { id } }, scope: { project: { id: projectId } } } },
    });
    expect(re.status).toBe(403);
  });

  test("not impersonating: the token is the trustee's; deleting the trust invalidates it", async () => {
    const tr = (await post("/v3/OS-TRUST/trusts", trustBody({ impersonation: false }), trustor)).trust;
    const r = await trustToken(tr.id);
    expect(r.status).toBe(201);
    const id = r.headers.get("x-subject-token")!;
    const tok = (await j(r)).token;
    expect(tok.user.id).toBe(demoId);
    expect(tok["OS-TRUST:trust"].impersonation).toBe(false);
    const check = () => t.req("GET", "/v3/auth/tokens", { token: admin, headers: { "x-subject-token": id } });
    expect((await check()).status).toBe(200);
    expect((await t.req("DELETE", `/v3/OS-TRUST/trusts/${tr.id}`, { token: trustor })).status).toBe(204);
    expect((await check()).status).toBe(404);
    expect((await trustToken(tr.id)).status).toBe(404);
  });

  test("only the trustee may use the trust; the trustor losing the role invalidates tokens", async () => {
    const tr = (await post("/v3/OS-TRUST/trusts", trustBody(), trustor)).trust;
    expect((await trustToken(tr.id, "password", "trustor", "pw")).status).toBe(403);
    const r = await trustToken(tr.id);
    const id = r.headers.get("x-subject-token")!;
    const check = () => t.req("GET", "/v3/auth/tokens", { token: admin, headers: { "x-subject-token": id } });
    expect((await check()).status).toBe(200);
    expect((await t.req("DELETE", `/v3/projects/${projectId}/users/${trustorId}/roles/${delegated}`, { token: admin })).status).toBe(204);
    expect((await check()).status).toBe(404);
    expect((await trustToken(tr.id)).status).toBe(403);
    expect((await t.req("PUT", `/v3/projects/${projectId}/users/${trustorId}/roles/${delegated}`, { token: admin })).status).toBe(204);
    expect((await check()).status).toBe(200);
  });
});
