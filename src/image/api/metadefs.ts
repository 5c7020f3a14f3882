/** /v2/metadefs: the metadata definitions catalog. */
import { Hono } from "hono";
import { isoSeconds } from "../../core/clock.ts";
import { readJson, type AppEnv } from "../../core/http.ts";
import type { ImageCtx } from "../ctx.ts";
import { Metadefs, RESOURCE_TYPES } from "../logic/metadefs.ts";
import type { Item, Namespace } from "../metadefs_store.ts";
import { caller } from "./images.ts";

const SEEDED = Date.UTC(2014, 7, 28, 17, 13, 4);
const ts = (i: { createdAt: number; updatedAt: number }) => ({ created_at: isoSeconds(i.createdAt), updated_at: isoSeconds(i.updatedAt) });
const enc = encodeURIComponent;

function namespaceView(n: Namespace): Record<string, unknown> {
  const v: Record<string, unknown> = { namespace: n.namespace };
  if (n.displayName != null) v.display_name = n.displayName;
  if (n.description != null) v.description = n.description;
  Object.assign(v, {
    visibility: n.visibility,
    protected: n.protected,
    owner: n.owner,
    ...ts(n),
    self: `/v2/metadefs/namespaces/${enc(n.namespace)}`,
    schema: "/v2/schemas/metadefs/namespace",
  });
  return v;
}
const rtView = (i: Item) => ({ name: i.name, ...i.body, ...ts(i) });
const objectView = (i: Item) => ({
  name: i.name, required: [], properties: {}, ...i.body, ...ts(i),
  self: `/v2/metadefs/namespaces/${enc(i.namespace)}/objects/${enc(i.name)}`, schema: "/v2/schemas/metadefs/object",
});
const propertyView = (i: Item) => ({ name: i.name, ...i.body });
const tagView = (i: Item) => ({ name: i.name, ...ts(i) });

export function metadefRoutes(ctx: ImageCtx) {
  const md = new Metadefs(ctx);
  const app = new Hono<AppEnv>();
  const full = (c: Parameters<typeof caller>[0], n: Namespace) => {
    const who = caller(c);
    const v = namespaceView(n);
    const rts = md.items(who, n.namespace, "resource_type");
    if (rts.length) v.resource_type_associations = rts.map(rtView);
    const props = md.items(who, n.namespace, "property");
    if (props.length) v.properties = Object.fromEntries(props.map((p) => [p.name, p.body]));
    const objs = md.items(who, n.namespace, "object");
    if (objs.length) v.objects = objs.map(objectView);
    const tags = md.items(who, n.namespace, "tag");
    if (tags.length) v.tags = tags.map(tagView);
    return v;
  };

  app.get("/v2/metadefs/resource_types", (c) =>
    c.json({ resource_types: RESOURCE_TYPES.map((name) => ({ name, created_at: isoSeconds(SEEDED), updated_at: isoSeconds(SEEDED) })) }),
  );
  app.get("/v2/metadefs/namespaces", (c) => {
    const list = md.listNamespaces(caller(c), c.req.query("resource_types"), c.req.query("visibility"));
    return c.json({ namespaces: list.map((n) => full(c, n)), first: "/v2/metadefs/namespaces", schema: "/v2/schemas/metadefs/namespaces" });
  });
  app.post("/v2/metadefs/namespaces", async (c) => c.json(full(c, md.createNamespace(caller(c), await readJson(c))), 201));
  app.get("/v2/metadefs/namespaces/:ns", (c) => c.json(full(c, md.namespace(caller(c), c.req.param("ns")))));
  app.put("/v2/metadefs/namespaces/:ns", async (c) => c.json(full(c, md.updateNamespace(caller(c), c.req.param("ns"), await readJson(c)))));
  app.delete("/v2/metadefs/namespaces/:ns", (c) => {
    md.deleteNamespace(caller(c), c.req.param("ns"));
    return c.body(null, 204);
  });

  // resource type associations
  app.get("/v2/metadefs/namespaces/:ns/resource_types", (c) =>
    c.json({ resource_type_associations: md.items(caller(c), c.req.param("ns"), "resource_type").map(rtView) }),
  );
  app.post("/v2/metadefs/namespaces/:ns/resource_types", async (c) =>
    c.json(rtView(md.createItem(caller(c), c.req.param("ns"), "resource_type", await readJson(c))), 201),
  );
  app.delete("/v2/metadefs/namespaces/:ns/resource_types/:name", (c) => {
    md.deleteItem(caller(c), c.req.param("ns"), "resource_type", c.req.param("name"));
    return c.body(null, 204);
  });

  // objects
  app.get("/v2/metadefs/namespaces/:ns/objects", (c) =>
    c.json({ objects: md.items(caller(c), c.req.param("ns"), "object").map(objectView), schema: "v2/schemas/metadefs/objects" }),
  );
  app.post("/v2/metadefs/namespaces/:ns/objects", async (c) => c.json(objectView(md.createItem(caller(c), c.req.param("ns"), "object", await readJson(c))), 201));
  app.get("/v2/metadefs/namespaces/:ns/objects/:name", (c) => c.json(objectView(md.item(caller(c), c.req.param("ns"), "object", c.req.param("name")))));
  app.put("/v2/metadefs/namespaces/:ns/objects/:name", async (c) =>
    c.json(objectView(md.updateItem(caller(c), c.req.param("ns"), "object", c.req.param("name"), await readJson(c)))),
  );
  app.delete("/v2/metadefs/namespaces/:ns/objects/:name", (c) => {
    md.deleteItem(caller(c), c.req.param("ns"), "object", c.req.param("name"));
    return c.body(null, 204);
  });

  // properties
  app.get("/v2/metadefs/namespaces/:ns/properties", (c) =>
    c.json({ properties: Object.fromEntries(md.items(caller(c), c.req.param("ns"), "property").map((p) => [p.name, propertyView(p)])) }),
  );
  app.post("/v2/metadefs/namespaces/:ns/properties", async (c) =>
    c.json(propertyView(md.createItem(caller(c), c.req.param("ns"), "property", await readJson(c))), 201),
  );
  app.get("/v2/metadefs/namespaces/:ns/properties/:name", (c) => c.json(propertyView(md.item(caller(c), c.req.param("ns"), "property", c.req.param("name")))));
  app.put("/v2/metadefs/namespaces/:ns/properties/:name", async (c) =>
    c.json(propertyView(md.updateItem(caller(c), c.req.param("ns"), "property", c.req.param("name"), await readJson(c)))),
  );
  app.delete("/v2/metadefs/namespaces/:ns/properties/:name", (c) => {
    md.deleteItem(caller(c), c.req.param("ns"), "property", c.req.param("name"));
    return c.body(null, 204);
  });

  // tags
  app.get("/v2/metadefs/namespaces/:ns/tags", (c) => c.json({ tags: md.items(caller(c), c.req.param("ns"), "tag").map(tagView) }));
  app.post("/v2/metadefs/namespaces/:ns/tags", async (c) => {
    const append = /^true$/i.test(c.req.header("x-openstack-append") ?? "");
    return c.json({ tags: md.createTags(caller(c), c.req.param("ns"), await readJson(c), append).map(tagView) }, 201);
  });
  app.delete("/v2/metadefs/namespaces/:ns/tags", (c) => {
    md.deleteItems(caller(c), c.req.param("ns"), "tag");
    return c.body(null, 204);
  });
  app.post("/v2/metadefs/namespaces/:ns/tags/:name", (c) => c.json(tagView(md.createItem(caller(c), c.req.param("ns"), "tag", null, c.req.param("name"))), 201));
  app.get("/v2/metadefs/namespaces/:ns/tags/:name", (c) => c.json(tagView(md.item(caller(c), c.req.param("ns"), "tag", c.req.param("name")))));
  app.put("/v2/metadefs/namespaces/:ns/tags/:name", async (c) =>
    c.json(tagView(md.updateItem(caller(c), c.req.param("ns"), "tag", c.req.param("name"), await readJson(c)))),
  );
  app.delete("/v2/metadefs/namespaces/:ns/tags/:name", (c) => {
    md.deleteItem(caller(c), c.req.param("ns"), "tag", c.req.param("name"));
    return c.body(null, 204);
  });
  return app;
}
