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
const BASE = "/v3/OS-EP-FILTER/endpoint_groups";

describe("OS-EP-FILTER endpoint groups", () => {
  test("create, list, show, HEAD, update, delete", async () => {
    const svc = (await j(await t.req("POST", "/v3/services", { token: admin, json: { service: { type: "eg" } } }))).service;
    const r = await t.req("POST", BASE, {
      token: admin,
      json: { endpoint_group: { name: "g1", description: "first", filters: { service_id: svc.id } } },
    });
    expect(r.status).toBe(201);
    const g = (await j(r)).endpoint_group;
    expect(g).toMatchObject({ name: "g1", description: "first", filters: { service_id: svc.id } });
    expect(g.links.self).toEndWith(`/v3/OS-EP-FILTER/endpoint_groups/${g.id}`);

    const list = (await j(await t.req("GET", BASE, { token: admin }))).endpoint_groups;
    expect(list).toContainEqual(g);
    expect((await j(await t.req("GET", `${BASE}/${g.id}`, { token: admin }))).endpoint_group).toEqual(g);
    const head = await t.req("HEAD", `${BASE}/${g.id}`, { token: admin });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    expect((await t.req("HEAD", `${BASE}/nope`, { token: admin })).status).toBe(404);

    const up = await t.req("PATCH", `${BASE}/${g.id}`, {
      token: admin,
      json: { endpoint_group: { name: "g2", description: "second", filters: { interface: "public" } } },
    });
    expect(up.status).toBe(200);
    expect((await j(up)).endpoint_group).toMatchObject({ name: "g2", description: "second", filters: { interface: "public" } });

    expect((await t.req("DELETE", `${BASE}/${g.id}`, { token: admin })).status).toBe(204);
    expect((await t.req("GET", `${BASE}/${g.id}`, { token: admin })).status).toBe(404);
    expect((await t.req("DELETE", `${BASE}/${g.id}`, { token: admin })).status).toBe(404);
  });

  test("endpoints of a group; project associations", async () => {
    const svc = (await j(await t.req("POST", "/v3/services", { token: admin, json: { service: { type: "eg2" } } }))).service;
    const ep = (await j(await t.req("POST", "/v3/endpoints", {
      token: admin,
      json: { endpoint: { service_id: svc.id, interface: "public", url: "http://eg2/" } },
    }))).endpoint;
    const g = (await j(await t.req("POST", BASE, {
      token: admin,
      json: { endpoint_group: { name: "g", filters: { service_id: svc.id } } },
    }))).endpoint_group;
    const eps = (await j(await t.req("GET", `${BASE}/${g.id}/endpoints`, { token: admin }))).endpoints;
    expect(eps.map((e: any) => e.id)).toEqual([ep.id]);

    const projects = (await j(await t.req("GET", "/v3/auth/projects", { token: admin }))).projects;
    const demoP = projects.find((p: any) => p.name === "demo");
    expect((await t.req("GET", `${BASE}/${g.id}/projects/${demoP.id}`, { token: admin })).status).toBe(404);
    expect((await t.req("PUT", `${BASE}/${g.id}/projects/${demoP.id}`, { token: admin })).status).toBe(204);
    const assoc = await t.req("GET", `${BASE}/${g.id}/projects/${demoP.id}`, { token: admin });
    expect(assoc.status).toBe(200);
    expect((await j(assoc)).project_endpoint_group).toMatchObject({ endpoint_group_id: g.id, project_id: demoP.id });
    const ps = (await j(await t.req("GET", `${BASE}/${g.id}/projects`, { token: admin }))).projects;
    expect(ps.map((p: any) => p.id)).toEqual([demoP.id]);
    const gs = (await j(await t.req("GET", `/v3/OS-EP-FILTER/projects/${demoP.id}/endpoint_groups`, { token: admin })))
      .endpoint_groups;
    expect(gs.map((x: any) => x.id)).toEqual([g.id]);
    expect((await t.req("PUT", `${BASE}/${g.id}/projects/nope`, { token: admin })).status).toBe(404);
    expect((await t.req("DELETE", `${BASE}/${g.id}/projects/${demoP.id}`, { token: admin })).status).toBe(204);
    expect((await t.req("DELETE", `${BASE}/${g.id}/projects/${demoP.id}`, { token: admin })).status).toBe(404);
  });

  test("400 on missing or unknown filters, unknown attributes; members refused", async () => {
    const post = (endpoint_group: unknown) => t.req("POST", BASE, { token: admin, json: { endpoint_group } });
    expect((await post({ name: "x" })).status).toBe(400);
    expect((await post({ name: "x", filters: {} })).status).toBe(400);
    expect((await post({ name: "x", filters: { url: "http://" } })).status).toBe(400);
    expect((await post({ name: "x", filters: { interface: "public" }, color: "red" })).status).toBe(400);
    expect((await post({ filters: { interface: "public" } })).status).toBe(400);
    expect((await t.req("GET", BASE, { token: demo })).status).toBe(403);
    expect((await t.req("POST", BASE, { token: demo, json: { endpoint_group: { name: "x", filters: { interface: "public" } } } })).status).toBe(403);
  });
});
