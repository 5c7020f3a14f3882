import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { glanceTest, type GlanceTest } from "../testing.ts";

let g: GlanceTest;
beforeAll(async () => {
  g = await glanceTest();
});
afterAll(() => g.close());

const j = async (r: Response | Promise<Response>) => (await (await r).json()) as any;

describe("metadata definitions", () => {
  test("namespaces: admin creates, members read public ones only, protected ones resist delete, rename carries the contents", async () => {
    const types = await j(g.req("GET", "/v2/metadefs/resource_types"));
    expect(types.resource_types.map((t: any) => t.name)).toContain("OS::Glance::Image");
    const body = {
      namespace: "ns-a", display_name: "A", visibility: "private", protected: true,
      resource_type_associations: [{ name: "OS::Glance::Image", prefix: "a_" }],
      properties: { speed: { title: "Speed", type: "string" } },
    };
    expect((await g.req("POST", "/v2/metadefs/namespaces", { token: g.demo, json: body })).status).toBe(403);
    const r = await g.req("POST", "/v2/metadefs/namespaces", { json: body });
    expect(r.status).toBe(201);
    expect(await r.json()).toMatchObject({ namespace: "ns-a", visibility: "private", protected: true, schema: "/v2/schemas/metadefs/namespace" });
    expect((await g.req("POST", "/v2/metadefs/namespaces", { json: body })).status).toBe(409);
    expect((await g.req("GET", "/v2/metadefs/namespaces/ns-a", { token: g.demo })).status).toBe(404);
    const shown = await j(g.req("GET", "/v2/metadefs/namespaces/ns-a"));
    expect(shown.resource_type_associations[0]).toMatchObject({ name: "OS::Glance::Image", prefix: "a_" });
    expect(shown.properties).toEqual({ speed: { title: "Speed", type: "string" } });
    expect((await g.req("DELETE", "/v2/metadefs/namespaces/ns-a")).status).toBe(403);
    const up = await j(g.req("PUT", "/v2/metadefs/namespaces/ns-a", { json: { namespace: "ns-b", visibility: "public", protected: false } }));
    expect(up).toMatchObject({ namespace: "ns-b", visibility: "public", protected: false });
    expect((await j(g.req("GET", "/v2/metadefs/namespaces/ns-b/properties", { token: g.demo }))).properties.speed.title).toBe("Speed");
    expect((await j(g.req("GET", "/v2/metadefs/namespaces", { token: g.demo }))).namespaces.map((n: any) => n.namespace)).toEqual(["ns-b"]);
    expect((await g.req("DELETE", "/v2/metadefs/namespaces/ns-b")).status).toBe(204);
    expect((await g.req("GET", "/v2/metadefs/namespaces/ns-b")).status).toBe(404);
  });

  test("objects, properties and tags: create, rename, delete; tags replace or append", async () => {
    await g.req("POST", "/v2/metadefs/namespaces", { json: { namespace: "ns-c" } });
    const base = "/v2/metadefs/namespaces/ns-c";
    expect((await g.req("POST", `${base}/objects`, { json: { name: "o1", description: "d" } })).status).toBe(201);
    expect((await j(g.req("PUT", `${base}/objects/o1`, { json: { name: "o2" } }))).name).toBe("o2");
    expect((await g.req("GET", `${base}/objects/o1`)).status).toBe(404);
    expect((await j(g.req("GET", `${base}/objects`))).objects.map((o: any) => o.name)).toEqual(["o2"]);
    expect((await g.req("POST", `${base}/properties`, { json: { name: "p", title: "P", type: "string", enum: ["a"] } })).status).toBe(201);
    expect(await j(g.req("GET", `${base}/properties/p`))).toEqual({ name: "p", title: "P", type: "string", enum: ["a"] });
    expect((await g.req("POST", `${base}/tags`, { json: { tags: [{ name: "t1" }, { name: "t2" }] } })).status).toBe(201);
    await g.req("POST", `${base}/tags`, { json: { tags: [{ name: "t3" }] }, headers: { "x-openstack-append": "True" } });
    expect((await j(g.req("GET", `${base}/tags`))).tags.map((t: any) => t.name)).toEqual(["t1", "t2", "t3"]);
    await g.req("POST", `${base}/tags`, { json: { tags: [{ name: "only" }] } });
    expect((await j(g.req("GET", `${base}/tags`))).tags.map((t: any) => t.name)).toEqual(["only"]);
    expect((await g.req("POST", `${base}/tags/only`)).status).toBe(409);
    expect((await g.req("DELETE", `${base}/tags`)).status).toBe(204);
    expect((await j(g.req("GET", `${base}/tags`))).tags).toEqual([]);
    expect((await g.req("POST", `${base}/resource_types`, { json: { name: "OS::Nope" } })).status).toBe(404);
  });
});
