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

describe("/v3/OS-OAUTH1/consumers", () => {
  test("create shows the secret once; show, list, update, delete", async () => {
    const r = await t.req("POST", "/v3/OS-OAUTH1/consumers", { token: admin, json: { consumer: { description: "d1" } } });
    expect(r.status).toBe(201);
    const c = (await j(r)).consumer;
    expect(c.secret).toMatch(/^[0-9a-f]{32}$/);
    expect(c.description).toBe("d1");
    expect(c.links.self).toEndWith(`/v3/OS-OAUTH1/consumers/${c.id}`);
    const shown = (await j(await t.req("GET", `/v3/OS-OAUTH1/consumers/${c.id}`, { token: admin }))).consumer;
    expect(shown).toEqual({ id: c.id, description: "d1", links: c.links });
    const list = (await j(await t.req("GET", "/v3/OS-OAUTH1/consumers", { token: admin }))).consumers;
    expect(list.map((x: any) => x.id)).toContain(c.id);
    expect(list[0].secret).toBeUndefined();
    const u = await t.req("PATCH", `/v3/OS-OAUTH1/consumers/${c.id}`, { token: admin, json: { consumer: { description: "d2" } } });
    expect(u.status).toBe(200);
    expect((await j(u)).consumer.description).toBe("d2");
    const bad = await t.req("PATCH", `/v3/OS-OAUTH1/consumers/${c.id}`, { token: admin, json: { consumer: { secret: "x" } } });
    expect(bad.status).toBe(400);
    expect((await t.req("PATCH", `/v3/OS-OAUTH1/consumers/${c.id}`, { token: admin, json: { consumer: {} } })).status).toBe(400);
    expect((await t.req("DELETE", `/v3/OS-OAUTH1/consumers/${c.id}`, { token: admin })).status).toBe(204);
    expect((await t.req("GET", `/v3/OS-OAUTH1/consumers/${c.id}`, { token: admin })).status).toBe(404);
    expect((await t.req("DELETE", `/v3/OS-OAUTH1/consumers/${c.id}`, { token: admin })).status).toBe(404);
    expect((await t.req("PATCH", `/v3/OS-OAUTH1/consumers/${c.id}`, { token: admin, json: { consumer: { description: "x" } } })).status).toBe(404);
  });

  test("members are refused", async () => {
    expect((await t.req("GET", "/v3/OS-OAUTH1/consumers", { token: demo })).status).toBe(403);
    expect((await t.req("POST", "/v3/OS-OAUTH1/consumers", { token: demo, json: { consumer: {} } })).status).toBe(403);
  });
});
