import { afterAll, beforeAll, describe, expect, test } from "bun:test";
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

const j = async (r: Response) => (await r.json()) as any;
const catalog = async (token: string) => {
  const r = await t.req("GET", "/v3/auth/tokens", { token, headers: { "x-subject-token": token } });
  return (await j(r)).token.catalog as any[];
};

describe("/v3/services", () => {
  test("create, show, update, list with type filter, delete", async () => {
    const r = await t.req("POST", "/v3/services", {
      token: admin,
      json: { service: { type: "svc-a", name: "alpha", description: "d1", color: "red" } },
    });
    expect(r.status).toBe(201);
    const s = (await j(r)).service;
    expect(s).toMatchObject({ type: "svc-a", name: "alpha", description: "d1", enabled: true, color: "red" });
    expect(s.links.self).toEndWith(`/v3/services/${s.id}`);

    const bare = (await j(await t.req("POST", "/v3/services", { token: admin, json: { service: { type: "svc-b", name: "b" } } }))).service;
    expect(bare.description).toBeUndefined();

    const up = await t.req("PATCH", `/v3/services/${s.id}`, { token: admin, json: { service: { description: "d2" } } });
    expect(up.status).toBe(200);
    const u = (await j(up)).service;
    expect(u.description).toBe("d2");
    const shown = (await j(await t.req("GET", `/v3/services/${s.id}`, { token: admin }))).service;
    expect(shown).toEqual(u);

    const all = (await j(await t.req("GET", "/v3/services", { token: admin }))).services;
    expect(all.map((x: any) => x.type)).toEqual(expect.arrayContaining(["identity", "svc-a", "svc-b"]));
    const only = (await j(await t.req("GET", "/v3/services?type=svc-a", { token: admin }))).services;
    expect(only.map((x: any) => x.id)).toEqual([s.id]);

    expect((await t.req("DELETE", `/v3/services/${s.id}`, { token: admin })).status).toBe(204);
    expect((await t.req("GET", `/v3/services/${s.id}`, { token: admin })).status).toBe(404);
    expect((await t.req("DELETE", `/v3/services/${s.id}`, { token: admin })).status).toBe(404);
  });

  test("400 on a missing type or a non-boolean enabled; members are refused", async () => {
    expect((await t.req("POST", "/v3/services", { token: admin, json: { service: { name: "x" } } })).status).toBe(400);
    expect((await t.req("POST", "/v3/services", { token: admin, json: { service: { type: "x", enabled: "True" } } })).status).toBe(400);
    expect((await t.req("GET", "/v3/services", { token: demo })).status).toBe(403);
    expect((await t.req("POST", "/v3/services", { token: demo, json: { service: { type: "x" } } })).status).toBe(403);
  });
});

describe("/v3/endpoints", () => {
  test("legacy region auto-creates it; filters; update; delete; token catalog follows", async () => {
    const svc = (await j(await t.req("POST", "/v3/services", { token: admin, json: { service: { type: "ep-svc", name: "ep" } } }))).service;
    const r = await t.req("POST", "/v3/endpoints", {
      token: admin,
      json: { endpoint: { service_id: svc.id, interface: "public", url: "http://one.example:1/v1", region: "legacy-r", enabled: true } },
    });
    expect(r.status).toBe(201);
    const ep = (await j(r)).endpoint;
    expect(ep).toMatchObject({ region: "legacy-r", region_id: "legacy-r", interface: "public", enabled: true, service_id: svc.id });
    expect((await t.req("GET", "/v3/regions/legacy-r", { token: admin })).status).toBe(200);

    // The token's catalog (cached per generation) shows the new endpoint at once.
    const cat = await catalog(admin);
    expect(cat.find((s) => s.id === svc.id).endpoints.map((e: any) => e.url)).toEqual(["http://one.example:1/v1"]);

    const internal = (await j(await t.req("POST", "/v3/endpoints", {
      token: admin,
      json: { endpoint: { service_id: svc.id, interface: "internal", url: "http://two.example/v1" } },
    }))).endpoint;
    expect(internal.region_id).toBeNull();

    const bySvc = (await j(await t.req("GET", `/v3/endpoints?service_id=${svc.id}`, { token: admin }))).endpoints;
    expect(bySvc.map((e: any) => e.id).sort()).toEqual([ep.id, internal.id].sort());
    const pub = (await j(await t.req("GET", `/v3/endpoints?service_id=${svc.id}&interface=public`, { token: admin }))).endpoints;
    expect(pub.map((e: any) => e.id)).toEqual([ep.id]);
    const byRegion = (await j(await t.req("GET", "/v3/endpoints?region_id=legacy-r", { token: admin }))).endpoints;
    expect(byRegion.map((e: any) => e.id)).toEqual([ep.id]);

    const up = await t.req("PATCH", `/v3/endpoints/${ep.id}`, {
      token: admin,
      json: { endpoint: { interface: "admin", url: "http://three.example/", region: "legacy-r2", enabled: false } },
    });
    expect(up.status).toBe(200);
    expect((await j(up)).endpoint).toMatchObject({ interface: "admin", url: "http://three.example/", region: "legacy-r2", enabled: false });
    const cat2 = await catalog(admin);
    expect(cat2.find((s) => s.id === svc.id).endpoints.map((e: any) => e.id)).toEqual([internal.id]);

    expect((await t.req("DELETE", `/v3/endpoints/${ep.id}`, { token: admin })).status).toBe(204);
    expect((await t.req("GET", `/v3/endpoints/${ep.id}`, { token: admin })).status).toBe(404);

    // Deleting the service deletes its endpoints.
    expect((await t.req("DELETE", `/v3/services/${svc.id}`, { token: admin })).status).toBe(204);
    expect((await t.req("GET", `/v3/endpoints/${internal.id}`, { token: admin })).status).toBe(404);
    expect((await catalog(admin)).find((s) => s.id === svc.id)).toBeUndefined();
  });

  test("400s: unknown service, unknown region_id, bad interface, string enabled, missing url", async () => {
    const svc = (await j(await t.req("POST", "/v3/services", { token: admin, json: { service: { type: "neg" } } }))).service;
    const base = { service_id: svc.id, interface: "public", url: "http://x.example/" };
    const post = (endpoint: unknown) => t.req("POST", "/v3/endpoints", { token: admin, json: { endpoint } });
    expect((await post({ ...base, service_id: "nope" })).status).toBe(400);
    expect((await post({ ...base, region_id: "no-such-region" })).status).toBe(400);
    expect((await t.req("GET", "/v3/regions/no-such-region", { token: admin })).status).toBe(404);
    expect((await post({ ...base, interface: "private" })).status).toBe(400);
    expect((await post({ ...base, enabled: "False" })).status).toBe(400);
    expect((await post({ ...base, enabled: "True" })).status).toBe(400);
    expect((await post({ service_id: svc.id, interface: "public" })).status).toBe(400);
    const ok = (await j(await post({ ...base, region: "neg-r" }))).endpoint;
    const patch = (endpoint: unknown) => t.req("PATCH", `/v3/endpoints/${ok.id}`, { token: admin, json: { endpoint } });
    expect((await patch({ enabled: "False" })).status).toBe(400);
    expect((await patch({ service_id: "nope" })).status).toBe(400);
    expect((await patch({ region_id: "nope" })).status).toBe(400);
    expect((await t.req("PATCH", "/v3/endpoints/nope", { token: admin, json: { endpoint: { url: "http://y/" } } })).status).toBe(404);
  });

  test("members are refused", async () => {
    expect((await t.req("GET", "/v3/endpoints", { token: demo })).status).toBe(403);
    expect((await t.req("POST", "/v3/endpoints", { token: demo, json: { endpoint: { service_id: "x", interface: "public", url: "http://x/" } } })).status).toBe(403);
  });

  test("GET /v3/auth/catalog is open to a member and carries identity", async () => {
    const r = await t.req("GET", "/v3/auth/catalog", { token: demo });
    expect(r.status).toBe(200);
    const types = ((await j(r)).catalog as any[]).map((s) => s.type);
    expect(types).toContain("identity");
  });
});
