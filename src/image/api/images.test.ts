import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { glanceTest, type GlanceTest } from "../testing.ts";

let g: GlanceTest;
beforeAll(async () => {
  g = await glanceTest();
});
afterAll(() => g.close());

const BASE_KEYS = [
  "checksum", "container_format", "created_at", "disk_format", "file", "id", "min_disk", "min_ram", "name", "os_hash_algo",
  "os_hash_value", "os_hidden", "owner", "protected", "schema", "self", "size", "status", "tags", "updated_at", "virtual_size", "visibility",
];

describe("version discovery", () => {
  test("GET / is 300 with the versions, /versions 200; no token needed", async () => {
    const r = await g.req("GET", "/", { headers: { "x-auth-token": "" } });
    expect(r.status).toBe(300);
    const body = (await r.json()) as any;
    expect(body.versions[0]).toEqual({ id: "v2.16", status: "CURRENT", links: [{ rel: "self", href: expect.stringMatching(/\/v2\/$/) }] });
    expect(body.versions.map((v: any) => v.id)).toContain("v2.0");
    expect((await g.req("GET", "/versions")).status).toBe(200);
  });
  test("the API needs a token (401)", async () => {
    expect((await g.req("GET", "/v2/images", { headers: { "x-auth-token": "nope" } })).status).toBe(401);
  });
});

describe("create and show", () => {
  test("defaults: queued, shared, owned by the caller's project; every base attribute present (nulls included)", async () => {
    const img = await g.create({ name: "plain", disk_format: "qcow2", container_format: "bare", kernel_id: "k1" });
    expect(Object.keys(img).sort()).toEqual([...BASE_KEYS, "kernel_id"].sort());
    expect(img).toMatchObject({
      name: "plain", status: "queued", visibility: "shared", owner: g.adminProject, size: null, checksum: null,
      protected: false, os_hidden: false, min_disk: 0, min_ram: 0, tags: [], kernel_id: "k1",
      self: `/v2/images/${img.id}`, file: `/v2/images/${img.id}/file`, schema: "/v2/schemas/image",
    });
    expect(img.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const shown = await (await g.req("GET", `/v2/images/${img.id}`)).json();
    expect(shown).toEqual(img);
  });

  test("POST answers 201 with the import methods header", async () => {
    const r = await g.req("POST", "/v2/images", { json: { name: "h" } });
    expect(r.status).toBe(201);
    expect(r.headers.get("openstack-image-import-methods")).toContain("glance-direct");
  });

  test("a client-chosen id is kept; a second create with it is 409", async () => {
    const id = crypto.randomUUID();
    expect((await g.create({ id })).id).toBe(id);
    expect((await g.req("POST", "/v2/images", { json: { id } })).status).toBe(409);
  });

  test("bad input is refused in Glance's terms and nothing is stored", async () => {
    const before = ((await (await g.req("GET", "/v2/images?limit=1000")).json()) as any).images.length;
    const bad = await g.req("POST", "/v2/images", { json: { name: "x", disk_format: "floppy" } });
    expect(bad.status).toBe(400);
    expect(bad.headers.get("content-type")).toContain("application/json");
    const err = (await bad.json()) as any;
    expect(err.code).toBe("400 Bad Request");
    expect(err.message).toContain("disk_format");
    expect((await g.req("POST", "/v2/images", { json: { container_format: "wrong" } })).status).toBe(400);
    expect((await g.req("POST", "/v2/images", { json: { min_ram: -1 } })).status).toBe(400);
    expect((await g.req("POST", "/v2/images", { json: { prop: 5 } })).status).toBe(400);
    expect((await g.req("POST", "/v2/images", { json: { status: "active" } })).status).toBe(403);
    expect((await g.req("POST", "/v2/images", { json: { os_glance_x: "y" } })).status).toBe(403);
    expect((await g.req("POST", "/v2/images", { json: { deleted: true } })).status).toBe(403);
    expect((await g.req("POST", "/v2/images", { body: "{not json", headers: { "content-type": "application/json" } })).status).toBe(400);
    const after = ((await (await g.req("GET", "/v2/images?limit=1000")).json()) as any).images.length;
    expect(after).toBe(before);
  });

  test("errors follow the Accept header (JSON, HTML, plain text)", async () => {
    const id = crypto.randomUUID();
    const j = await g.req("GET", `/v2/images/${id}`);
    expect(j.status).toBe(404);
    expect(((await j.json()) as any).message).toContain(id);
    const h = await g.req("GET", `/v2/images/${id}`, { headers: { accept: "*/*" } });
    expect(h.headers.get("content-type")).toContain("text/html");
    expect(await h.text()).toContain("404 Not Found");
    const p = await g.req("GET", `/v2/images/${id}`, { headers: { accept: "text/plain" } });
    expect(p.headers.get("content-type")).toContain("text/plain");
  });

  test("an id that is not a UUID is a 404 (clients then look it up by name)", async () => {
    expect((await g.req("GET", "/v2/images/by-name")).status).toBe(404);
  });

  test("only an admin may make an image public or give it to another owner", async () => {
    expect((await g.req("POST", "/v2/images", { token: g.demo, json: { visibility: "public" } })).status).toBe(403);
    expect((await g.req("POST", "/v2/images", { token: g.demo, json: { owner: g.adminProject } })).status).toBe(403);
    const pub = await g.create({ visibility: "public", owner: "someone-else" });
    expect(pub).toMatchObject({ visibility: "public", owner: "someone-else" });
    const community = await g.create({ visibility: "community" }, g.demo);
    expect(community.visibility).toBe("community");
  });
});

describe("JSON Patch", () => {
  test("add, replace and remove base attributes, properties and tags", async () => {
    const img = await g.create({ name: "p" });
    const r = await g.patch(img.id, [
      { op: "replace", path: "/name", value: "renamed" },
      { op: "add", path: "/os_distro", value: "cirros" },
      { op: "add", path: "/a~1b", value: "slash" },
      { op: "replace", path: "/min_ram", value: 128 },
      { op: "add", path: "/tags", value: ["x", "y", "x"] },
      { op: "replace", path: "/protected", value: true },
    ]);
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ name: "renamed", os_distro: "cirros", "a/b": "slash", min_ram: 128, tags: ["x", "y"], protected: true });
    const r2 = await g.patch(img.id, [{ op: "remove", path: "/os_distro" }, { op: "replace", path: "/protected", value: false }]);
    const body = (await r2.json()) as any;
    expect(body.os_distro).toBeUndefined();
    expect(body.protected).toBe(false);
  });

  test("Glance's v2.0 patch form (Tempest) works too", async () => {
    const img = await g.create({ name: "old" });
    const r = await g.req("PATCH", `/v2/images/${img.id}`, {
      body: JSON.stringify([{ replace: "/name", value: "new" }, { add: "/k", value: "v" }]),
      headers: { "content-type": "application/openstack-images-v2.0-json-patch" },
    });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ name: "new", k: "v" });
  });

  test("all or nothing: a bad operation after good ones changes nothing", async () => {
    const img = await g.create({ name: "keep", keep: "1" });
    const cases: [unknown, number][] = [
      [[{ op: "replace", path: "/name", value: "lost" }, { op: "replace", path: "/status", value: "active" }], 403],
      [[{ op: "replace", path: "/name", value: "lost" }, { op: "replace", path: "/checksum", value: "x" }], 403],
      [[{ op: "replace", path: "/name", value: "lost" }, { op: "replace", path: "/missing", value: "x" }], 409],
      [[{ op: "remove", path: "/keep" }, { op: "remove", path: "/missing" }], 409],
      [[{ op: "replace", path: "/name", value: "lost" }, { op: "remove", path: "/name" }], 403],
      [[{ op: "replace", path: "/name", value: "lost" }, { op: "replace", path: "/disk_format", value: "floppy" }], 400],
      [[{ op: "replace", path: "/name", value: "lost" }, { op: "add", path: "/os_glance_import", value: "x" }], 403],
      [[{ op: "replace", path: "/name", value: "lost" }, { op: "add", path: "/a/b", value: "x" }], 400],
      [[{ op: "move", path: "/name", from: "/x" }], 400],
    ];
    for (const [ops, status] of cases) expect({ ops, status: (await g.patch(img.id, ops)).status }).toEqual({ ops, status });
    const now = (await (await g.req("GET", `/v2/images/${img.id}`)).json()) as any;
    expect(now.name).toBe("keep");
    expect(now.keep).toBe("1");
  });

  test("PATCH needs the JSON-patch media type (415 otherwise)", async () => {
    const img = await g.create();
    const r = await g.req("PATCH", `/v2/images/${img.id}`, { json: [{ op: "replace", path: "/name", value: "x" }] });
    expect(r.status).toBe(415);
  });

  test("a member of another project may not change or delete the image", async () => {
    const img = await g.create({ visibility: "public" });
    expect((await g.patch(img.id, [{ op: "replace", path: "/name", value: "x" }], g.demo)).status).toBe(403);
    expect((await g.req("DELETE", `/v2/images/${img.id}`, { token: g.demo })).status).toBe(403);
    const priv = await g.create({ visibility: "private" });
    expect((await g.req("DELETE", `/v2/images/${priv.id}`, { token: g.demo })).status).toBe(404);
  });

  test("the owner cannot make its image public; only an admin changes the owner", async () => {
    const img = await g.create({}, g.demo);
    expect((await g.patch(img.id, [{ op: "replace", path: "/visibility", value: "public" }], g.demo)).status).toBe(403);
    expect((await g.patch(img.id, [{ op: "replace", path: "/owner", value: g.adminProject }], g.demo)).status).toBe(403);
    const r = await g.patch(img.id, [{ op: "replace", path: "/owner", value: "new-owner" }]);
    expect(((await r.json()) as any).owner).toBe("new-owner");
  });
});

describe("delete, protect, tags, deactivate", () => {
  test("a protected image cannot be deleted (403) until unprotected", async () => {
    const img = await g.create({ protected: true });
    expect((await g.req("DELETE", `/v2/images/${img.id}`)).status).toBe(403);
    await g.patch(img.id, [{ op: "replace", path: "/protected", value: false }]);
    expect((await g.req("DELETE", `/v2/images/${img.id}`)).status).toBe(204);
    expect((await g.req("GET", `/v2/images/${img.id}`)).status).toBe(404);
    expect((await g.req("DELETE", `/v2/images/${img.id}`)).status).toBe(404);
  });

  test("tags: add (idempotent), delete, 404 for a missing tag or image", async () => {
    const img = await g.create();
    expect((await g.req("PUT", `/v2/images/${img.id}/tags/one`)).status).toBe(204);
    expect((await g.req("PUT", `/v2/images/${img.id}/tags/one`)).status).toBe(204);
    expect((await g.req("PUT", `/v2/images/${img.id}/tags/two`)).status).toBe(204);
    expect(((await (await g.req("GET", `/v2/images/${img.id}`)).json()) as any).tags).toEqual(["one", "two"]);
    expect((await g.req("DELETE", `/v2/images/${img.id}/tags/one`)).status).toBe(204);
    expect((await g.req("DELETE", `/v2/images/${img.id}/tags/one`)).status).toBe(404);
    expect((await g.req("PUT", `/v2/images/${crypto.randomUUID()}/tags/x`)).status).toBe(404);
  });

  test("deactivate: only an active image; data download forbidden to non-admins until reactivated", async () => {
    const img = await g.create({}, g.demo);
    expect((await g.req("POST", `/v2/images/${img.id}/actions/deactivate`, { token: g.demo })).status).toBe(403);
    expect(await g.upload(img.id, new Uint8Array([1, 2, 3]), g.demo)).toBe(204);
    expect((await g.req("POST", `/v2/images/${img.id}/actions/deactivate`, { token: g.demo })).status).toBe(204);
    expect(((await (await g.req("GET", `/v2/images/${img.id}`, { token: g.demo })).json()) as any).status).toBe("deactivated");
    expect((await g.req("GET", `/v2/images/${img.id}/file`, { token: g.demo })).status).toBe(403);
    expect((await g.req("GET", `/v2/images/${img.id}/file`)).status).toBe(200);
    expect((await g.req("POST", `/v2/images/${img.id}/actions/reactivate`, { token: g.demo })).status).toBe(204);
    const r = await g.req("GET", `/v2/images/${img.id}/file`, { token: g.demo });
    expect(new Uint8Array(await r.arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));
  });
});

describe("schemas and info", () => {
  test("the documents clients read", async () => {
    const image = (await (await g.req("GET", "/v2/schemas/image")).json()) as any;
    expect(image.name).toBe("image");
    expect(image.additionalProperties).toEqual({ type: "string" });
    expect(image.properties.status.readOnly).toBe(true);
    for (const n of ["images", "member", "members", "task", "tasks"]) {
      expect(((await (await g.req("GET", `/v2/schemas/${n}`)).json()) as any).name).toBe(n);
    }
    expect(((await (await g.req("GET", "/v2/schemas/metadefs/resource_type")).json()) as any).name).toBe("resource_type_association");
    expect((await g.req("GET", "/v2/schemas/nope")).status).toBe(404);
    const imp = (await (await g.req("GET", "/v2/info/import")).json()) as any;
    expect(imp["import-methods"].value).toContain("glance-direct");
    const stores = (await (await g.req("GET", "/v2/info/stores")).json()) as any;
    expect(stores.stores).toEqual([expect.objectContaining({ id: "swift", default: true })]);
  });
});
