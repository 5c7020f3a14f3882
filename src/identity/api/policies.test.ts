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

describe("/v3/policies", () => {
  test("create, list, show, update, delete", async () => {
    const r = await t.req("POST", "/v3/policies", { token: admin, json: { policy: { blob: "{}", type: "application/json", x: 1 } } });
    expect(r.status).toBe(201);
    const p = (await j(r)).policy;
    expect(p).toMatchObject({ blob: "{}", type: "application/json", x: 1 });
    expect(p.links.self).toEndWith(`/v3/policies/${p.id}`);
    const list = (await j(await t.req("GET", "/v3/policies", { token: admin }))).policies;
    expect(list.map((x: any) => x.id)).toContain(p.id);
    const up = await t.req("PATCH", `/v3/policies/${p.id}`, { token: admin, json: { policy: { type: "text/plain" } } });
    expect(up.status).toBe(200);
    const shown = (await j(await t.req("GET", `/v3/policies/${p.id}`, { token: admin }))).policy;
    expect(shown).toMatchObject({ id: p.id, blob: "{}", type: "text/plain", x: 1 });
    expect((await t.req("DELETE", `/v3/policies/${p.id}`, { token: admin })).status).toBe(204);
    expect((await t.req("GET", `/v3/policies/${p.id}`, { token: admin })).status).toBe(404);
  });

  test("400 without blob or type; 404 unknown; members refused", async () => {
    expect((await t.req("POST", "/v3/policies", { token: admin, json: { policy: { type: "t" } } })).status).toBe(400);
    expect((await t.req("POST", "/v3/policies", { token: admin, json: { policy: { blob: "b" } } })).status).toBe(400);
    expect((await t.req("PATCH", "/v3/policies/nope", { token: admin, json: { policy: { blob: "b" } } })).status).toBe(404);
    expect((await t.req("DELETE", "/v3/policies/nope", { token: admin })).status).toBe(404);
    expect((await t.req("GET", "/v3/policies", { token: demo })).status).toBe(403);
    expect((await t.req("POST", "/v3/policies", { token: demo, json: { policy: { blob: "b", type: "t" } } })).status).toBe(403);
  });
});
