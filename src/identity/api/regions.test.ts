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

describe("/v3/regions", () => {
  test("create with generated id, with a given id, via PUT; get, list, filter", async () => {
    const a = await t.req("POST", "/v3/regions", { token: admin, json: { region: { description: "first", foo: "bar" } } });
    expect(a.status).toBe(201);
    const ra = (await j(a)).region;
    expect(ra.id).toMatch(/^[0-9a-f]{32}$/);
    expect(ra).toMatchObject({ description: "first", parent_region_id: null, foo: "bar" });
    expect(ra.links.self).toEndWith(`/v3/regions/${ra.id}`);

    const b = await t.req("POST", "/v3/regions", {
      token: admin,
      json: { region: { id: "child-one", parent_region_id: ra.id } },
    });
    expect(b.status).toBe(201);
    expect((await j(b)).region).toMatchObject({ id: "child-one", description: "", parent_region_id: ra.id });

    const p = await t.req("PUT", "/v3/regions/put-one", { token: admin, json: { region: { description: "p" } } });
    expect(p.status).toBe(201);
    expect((await j(p)).region.id).toBe("put-one");

    const got = await t.req("GET", `/v3/regions/${ra.id}`, { token: demo });
    expect(got.status).toBe(200);
    expect((await j(got)).region).toEqual(ra);

    const list = await j(await t.req("GET", "/v3/regions", { token: demo }));
    expect(list.regions.map((r: any) => r.id)).toEqual(expect.arrayContaining(["RegionOne", ra.id, "child-one", "put-one"]));
    expect(list.links).toMatchObject({ previous: null, next: null });

    const f = await j(await t.req("GET", `/v3/regions?parent_region_id=${ra.id}`, { token: admin }));
    expect(f.regions.map((r: any) => r.id)).toEqual(["child-one"]);
  });

  test("400 / 404 / 409 as Keystone", async () => {
    const dup = await t.req("POST", "/v3/regions", { token: admin, json: { region: { id: "RegionOne" } } });
    expect(dup.status).toBe(409);
    const noParent = await t.req("POST", "/v3/regions", { token: admin, json: { region: { parent_region_id: "nope" } } });
    expect(noParent.status).toBe(404);
    const mismatch = await t.req("PUT", "/v3/regions/x1", { token: admin, json: { region: { id: "x2" } } });
    expect(mismatch.status).toBe(400);
    expect((await t.req("GET", "/v3/regions/nope", { token: admin })).status).toBe(404);
    expect((await t.req("PATCH", "/v3/regions/nope", { token: admin, json: { region: { description: "x" } } })).status).toBe(404);
    expect((await t.req("DELETE", "/v3/regions/nope", { token: admin })).status).toBe(404);
    const bad = await t.req("POST", "/v3/regions", { token: admin, json: { region: { description: 5 } } });
    expect(bad.status).toBe(400);
    expect((await j(bad)).error.code).toBe(400);
  });

  test("update description and parent; a cycle is refused", async () => {
    for (const id of ["u-a", "u-b", "u-c"])
      expect((await t.req("PUT", `/v3/regions/${id}`, { token: admin, json: { region: {} } })).status).toBe(201);
    const up = await t.req("PATCH", "/v3/regions/u-b", {
      token: admin,
      json: { region: { description: "new", parent_region_id: "u-a" } },
    });
    expect(up.status).toBe(200);
    expect((await j(up)).region).toMatchObject({ id: "u-b", description: "new", parent_region_id: "u-a" });
    await t.req("PATCH", "/v3/regions/u-c", { token: admin, json: { region: { parent_region_id: "u-b" } } });
    const cycle = await t.req("PATCH", "/v3/regions/u-a", { token: admin, json: { region: { parent_region_id: "u-c" } } });
    expect(cycle.status).toBe(400);
    const self = await t.req("PATCH", "/v3/regions/u-a", { token: admin, json: { region: { parent_region_id: "u-a" } } });
    expect(self.status).toBe(400);
    const missing = await t.req("PATCH", "/v3/regions/u-a", { token: admin, json: { region: { parent_region_id: "zz" } } });
    expect(missing.status).toBe(404);
  });

  test("delete removes child regions; refused while an endpoint uses the subtree", async () => {
    await t.req("PUT", "/v3/regions/d-top", { token: admin, json: { region: {} } });
    await t.req("PUT", "/v3/regions/d-kid", { token: admin, json: { region: { parent_region_id: "d-top" } } });
    const svc = (await j(await t.req("POST", "/v3/services", { token: admin, json: { service: { type: "x-del" } } }))).service;
    const ep = (
      await j(
        await t.req("POST", "/v3/endpoints", {
          token: admin,
          json: { endpoint: { service_id: svc.id, interface: "public", url: "http://x", region_id: "d-kid" } },
        }),
      )
    ).endpoint;
    const refused = await t.req("DELETE", "/v3/regions/d-top", { token: admin });
    expect(refused.status).toBe(403);
    expect((await t.req("DELETE", `/v3/endpoints/${ep.id}`, { token: admin })).status).toBe(204);
    expect((await t.req("DELETE", "/v3/regions/d-top", { token: admin })).status).toBe(204);
    expect((await t.req("GET", "/v3/regions/d-kid", { token: admin })).status).toBe(404);
  });

  test("members may read but not write", async () => {
    expect((await t.req("POST", "/v3/regions", { token: demo, json: { region: {} } })).status).toBe(403);
    expect((await t.req("PUT", "/v3/regions/m1", { token: demo, json: { region: {} } })).status).toBe(403);
    expect((await t.req("PATCH", "/v3/regions/RegionOne", { token: demo, json: { region: { description: "x" } } })).status).toBe(403);
    expect((await t.req("DELETE", "/v3/regions/RegionOne", { token: demo })).status).toBe(403);
    expect((await t.req("GET", "/v3/regions", {})).status).toBe(401);
  });
});
