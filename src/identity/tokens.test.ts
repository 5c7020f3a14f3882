import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { testCloud, type TestCloud } from "../../test/harness.ts";

let t: TestCloud;
beforeAll(async () => {
  t = await testCloud();
});
afterAll(() => t.close());

const pw = (name: string, password: string, scope?: unknown) => ({
  auth: {
    identity: { methods: ["password"], password: { user: { name, domain: { name: "Default" }, password } } },
    ...(scope ? { scope } : {}),
  },
});

describe("version discovery", () => {
  test("/ is 300 with the v3 entry, /v3 is 200", async () => {
    const root = await t.req("GET", "/");
    expect(root.status).toBe(300);
    const v = ((await root.json()) as any).versions.values[0];
    expect(v.id).toBe("v3.14");
    expect(v["media-types"][0].type).toBe("application/vnd.openstack.identity-v3+json");
    const v3 = await t.req("GET", "/v3");
    expect(v3.status).toBe(200);
    const doc = (await v3.json()) as any;
    expect(doc.version.status).toBe("stable");
    expect(doc.version.links[0]).toEqual({ rel: "self", href: expect.stringMatching(/\/v3\/$/) });
  });

  test("every response carries a req-<uuid> request id", async () => {
    const res = await t.req("GET", "/v3");
    expect(res.headers.get("x-openstack-request-id")).toMatch(/^req-[0-9a-f-]{36}$/);
  });
});

describe("POST /v3/auth/tokens", () => {
  test("password, project scope: 201, X-Subject-Token, roles, catalog, Z timestamps", async () => {
    const res = await t.req("POST", "/v3/auth/tokens", {
      json: pw("admin", "secret", { project: { name: "admin", domain: { id: "default" } } }),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("x-subject-token")).toBeTruthy();
    const { token } = (await res.json()) as any;
    expect(token.methods).toEqual(["password"]);
    expect(token.project.name).toBe("admin");
    expect(token.project.domain).toEqual({ id: "default", name: "Default" });
    expect(token.roles.map((r: any) => r.name).sort()).toEqual(["admin", "member", "reader"]);
    expect(token.expires_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(token.issued_at).toMatch(/\.\d{6}Z$/);
    expect(Date.parse(token.expires_at) - Date.parse(token.issued_at)).toBe(3600_000);
    const identity = token.catalog.find((s: any) => s.type === "identity");
    expect(identity.endpoints.map((e: any) => e.interface).sort()).toEqual(["admin", "internal", "public"]);
    for (const e of identity.endpoints) {
      expect(e.region).toBe("RegionOne");
      expect(e.region_id).toBe("RegionOne");
      expect(e.url).toEndWith("/v3");
    }
  });

  test("?nocatalog leaves the catalog out", async () => {
    const res = await t.req("POST", "/v3/auth/tokens?nocatalog", {
      json: pw("admin", "secret", { project: { name: "admin", domain: { id: "default" } } }),
    });
    const { token } = (await res.json()) as any;
    expect(token.catalog).toBeUndefined();
    expect(token.roles.length).toBeGreaterThan(0);
  });

  test("unscoped without a default project; default project used when set", async () => {
    // admin has default_project_id = admin, so an unscoped request is scoped to it
    const res = await t.req("POST", "/v3/auth/tokens", { json: pw("admin", "secret") });
    expect(res.status).toBe(201);
    expect(((await res.json()) as any).token.project.name).toBe("admin");
    const un = await t.req("POST", "/v3/auth/tokens", { json: pw("admin", "secret", "unscoped") });
    const body = (await un.json()) as any;
    expect(body.token.project).toBeUndefined();
    expect(body.token.roles).toBeUndefined();
    expect(body.token.catalog).toBeUndefined();
  });

  test("domain and system scope", async () => {
    const d = await t.req("POST", "/v3/auth/tokens", { json: pw("admin", "secret", { domain: { id: "default" } }) });
    expect(d.status).toBe(201);
    expect(((await d.json()) as any).token.domain).toEqual({ id: "default", name: "Default" });
    const s = await t.req("POST", "/v3/auth/tokens", { json: pw("admin", "secret", { system: { all: true } }) });
    expect(s.status).toBe(201);
    expect(((await s.json()) as any).token.system).toEqual({ all: true });
    // demo has no system role
    const ds = await t.req("POST", "/v3/auth/tokens", { json: pw("demo", "secret", { system: { all: true } }) });
    expect(ds.status).toBe(401);
  });

  test("wrong password and unknown user give the same 401 (no enumeration)", async () => {
    const a = await t.req("POST", "/v3/auth/tokens", { json: pw("admin", "wrong") });
    const b = await t.req("POST", "/v3/auth/tokens", { json: pw("nobody", "wrong") });
    expect(a.status).toBe(401);
    expect(b.status).toBe(401);
    const ba = (await a.json()) as any;
    const bb = (await b.json()) as any;
    expect(ba).toEqual(bb);
    expect(ba.error).toEqual({ code: 401, title: "Unauthorized", message: expect.any(String) });
  });

  test("scope to a project without a role is 401", async () => {
    const res = await t.req("POST", "/v3/auth/tokens", {
      json: pw("demo", "secret", { project: { name: "admin", domain: { id: "default" } } }),
    });
    expect(res.status).toBe(401);
  });

  test("malformed JSON and schema violations are Keystone 400s", async () => {
    const bad = await t.req("POST", "/v3/auth/tokens", { body: "{not json", headers: { "content-type": "application/json" } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error).toMatchObject({ code: 400, title: "Bad Request" });
    const schema = await t.req("POST", "/v3/auth/tokens", { json: { auth: { identity: { methods: "password" } } } });
    expect(schema.status).toBe(400);
    expect(((await schema.json()) as any).error.code).toBe(400);
  });

  test("token method rescopes an unscoped token and keeps its expiry and audit chain", async () => {
    const un = await t.req("POST", "/v3/auth/tokens", { json: pw("demo", "secret", "unscoped") });
    const unBody = (await un.json()) as any;
    const id = un.headers.get("x-subject-token")!;
    const res = await t.req("POST", "/v3/auth/tokens", {
      json: {
        auth: {
          identity: { methods: ["token"], token: { id } },
          scope: { project: { name: "demo", domain: { name: "Default" } } },
        },
      },
    });
    expect(res.status).toBe(201);
    const { token } = (await res.json()) as any;
    expect(token.project.name).toBe("demo");
    expect(token.expires_at).toBe(unBody.token.expires_at);
    expect(token.audit_ids[1]).toBe(unBody.token.audit_ids[0]);
    expect(token.methods).toContain("token");
  });
});

describe("validate, check, revoke", () => {
  test("admin validates any token; a member only its own", async () => {
    const admin = await t.token();
    const demo = await t.token("demo", "secret", "demo");
    const v = await t.req("GET", "/v3/auth/tokens", { token: admin, headers: { "x-subject-token": demo } });
    expect(v.status).toBe(200);
    expect(v.headers.get("x-subject-token")).toBe(demo);
    expect(((await v.json()) as any).token.user.name).toBe("demo");
    const own = await t.req("GET", "/v3/auth/tokens", { token: demo, headers: { "x-subject-token": demo } });
    expect(own.status).toBe(200);
    const other = await t.req("GET", "/v3/auth/tokens", { token: demo, headers: { "x-subject-token": admin } });
    expect(other.status).toBe(403);
    const head = await t.req("HEAD", "/v3/auth/tokens", { token: admin, headers: { "x-subject-token": demo } });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
  });

  test("unknown subject is 404, missing/unknown caller token is 401", async () => {
    const admin = await t.token();
    const r = await t.req("GET", "/v3/auth/tokens", { token: admin, headers: { "x-subject-token": "nope" } });
    expect(r.status).toBe(404);
    const n = await t.req("GET", "/v3/auth/catalog");
    expect(n.status).toBe(401);
    expect(n.headers.get("www-authenticate")).toStartWith("Keystone uri=");
    const u = await t.req("GET", "/v3/auth/catalog", { token: "garbage" });
    expect(u.status).toBe(401);
  });

  test("DELETE revokes the token and those derived from it", async () => {
    const admin = await t.token();
    const demo = await t.token("demo", "secret", "demo");
    const child = await t.req("POST", "/v3/auth/tokens", {
      json: { auth: { identity: { methods: ["token"], token: { id: demo } } } },
    });
    const childId = child.headers.get("x-subject-token")!;
    const del = await t.req("DELETE", "/v3/auth/tokens", { token: admin, headers: { "x-subject-token": demo } });
    expect(del.status).toBe(204);
    for (const id of [demo, childId]) {
      const r = await t.req("GET", "/v3/auth/tokens", { token: admin, headers: { "x-subject-token": id } });
      expect(r.status).toBe(404);
    }
    expect((await t.req("GET", "/v3/auth/catalog", { token: demo })).status).toBe(401);
  });

  test("tokens expire with the clock", async () => {
    const demo = await t.token("demo", "secret", "demo");
    expect((await t.req("GET", "/v3/auth/catalog", { token: demo })).status).toBe(200);
    t.cloud.clock.advance(3601_000);
    try {
      expect((await t.req("GET", "/v3/auth/catalog", { token: demo })).status).toBe(401);
      const admin = await t.token();
      const expired = await t.req("GET", "/v3/auth/tokens?allow_expired=1", {
        token: admin,
        headers: { "x-subject-token": demo },
      });
      expect(expired.status).toBe(200);
    } finally {
      t.cloud.clock.advance(-3601_000);
    }
  });

  test("disabling the user invalidates its tokens", async () => {
    const demo = await t.token("demo", "secret", "demo");
    const { db } = t.cloud;
    db.run("UPDATE identity_users SET enabled = 0 WHERE name = 'demo'");
    t.cloud.identity.ctx.changed();
    try {
      expect((await t.req("GET", "/v3/auth/catalog", { token: demo })).status).toBe(401);
      const res = await t.req("POST", "/v3/auth/tokens", { json: pw("demo", "secret") });
      expect(res.status).toBe(401);
    } finally {
      db.run("UPDATE identity_users SET enabled = 1 WHERE name = 'demo'");
      t.cloud.identity.ctx.changed();
    }
  });

  test("/v3/auth/catalog, /projects and /domains reflect the caller", async () => {
    const demo = await t.token("demo", "secret", "demo");
    const cat = (await (await t.req("GET", "/v3/auth/catalog", { token: demo })).json()) as any;
    expect(cat.catalog.some((s: any) => s.type === "identity")).toBe(true);
    const projects = (await (await t.req("GET", "/v3/auth/projects", { token: demo })).json()) as any;
    expect(projects.projects.map((p: any) => p.name)).toEqual(["demo"]);
    const domains = (await (await t.req("GET", "/v3/auth/domains", { token: demo })).json()) as any;
    expect(domains.domains).toEqual([]);
  });
});

describe("catalog templates", () => {
  test("$(project_id)s in an endpoint URL is filled with the token's project", async () => {
    const admin = await t.token();
    const svc = await t.req("POST", "/v3/services", { token: admin, json: { service: { type: "templated", name: "tpl" } } });
    const sid = ((await svc.json()) as any).service.id;
    await t.req("POST", "/v3/endpoints", {
      token: admin,
      json: { endpoint: { service_id: sid, interface: "public", region_id: "RegionOne", url: "http://h:1/v1/AUTH_$(project_id)s" } },
    });
    const demo = await t.token("demo", "secret", "demo");
    const body = (await (await t.req("GET", "/v3/auth/tokens", { token: demo, headers: { "x-subject-token": demo } })).json()) as any;
    const ep = body.token.catalog.find((s: any) => s.type === "templated").endpoints[0];
    expect(ep.url).toBe(`http://h:1/v1/AUTH_${body.token.project.id}`);
    const cat = (await (await t.req("GET", "/v3/auth/catalog", { token: admin })).json()) as any;
    expect(cat.catalog.find((s: any) => s.type === "templated").endpoints[0].url).not.toContain("$(");
  });
});

describe("tokens for callers another service authenticated (ec2tokens)", () => {
  test("a project token with method ec2credential, refused where the user has no role", async () => {
    const client = t.cloud.identity.client;
    const demo = client.userByName("demo")!;
    const demoProject = client.projectByName("demo")!;
    const tok = client.issueToken(demo.id, demoProject.id);
    const ctx = client.validate(tok)!;
    expect(ctx.projectId).toBe(demoProject.id);
    expect(ctx.methods).toEqual(["ec2credential"]);
    expect(ctx.roles).toContain("member");
    expect(() => client.issueToken(demo.id, client.projectByName("admin")!.id)).toThrow();
  });
});
