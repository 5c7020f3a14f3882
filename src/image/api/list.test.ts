import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { bytes, glanceTest, type GlanceTest } from "../testing.ts";

let g: GlanceTest;
beforeAll(async () => {
  g = await glanceTest();
});
afterAll(() => g.close());

const list = async (q = "", token?: string) => {
  const r = await g.req("GET", `/v2/images${q}`, { token });
  if (r.status !== 200) throw new Error(`${r.status} ${await r.text()}`);
  return (await r.json()) as any;
};
const ids = async (q = "", token?: string) => (await list(q, token)).images.map((i: any) => i.id) as string[];

describe("visibility", () => {
  let priv: any, shared: any, pub: any, community: any, demoOwn: any;
  beforeAll(async () => {
    priv = await g.create({ name: "v-private", visibility: "private" });
    shared = await g.create({ name: "v-shared" });
    pub = await g.create({ name: "v-public", visibility: "public" });
    community = await g.create({ name: "v-community", visibility: "community" });
    demoOwn = await g.create({ name: "v-demo" }, g.demo);
  });

  test("another project sees public images and its own; not private, unshared or (by default) community ones", async () => {
    const seen = await ids("?limit=1000", g.demo);
    expect(seen).toContain(pub.id);
    expect(seen).toContain(demoOwn.id);
    expect(seen).not.toContain(priv.id);
    expect(seen).not.toContain(shared.id);
    expect(seen).not.toContain(community.id);
    expect(await ids("?visibility=community", g.demo)).toContain(community.id);
    expect((await g.req("GET", `/v2/images/${priv.id}`, { token: g.demo })).status).toBe(404);
    expect((await g.req("GET", `/v2/images/${community.id}`, { token: g.demo })).status).toBe(200);
  });

  test("the admin sees every image", async () => {
    const seen = await ids("?limit=1000");
    for (const i of [priv, shared, pub, community, demoOwn]) expect(seen).toContain(i.id);
    expect(await ids("?visibility=private&limit=1000")).toEqual([priv.id]);
  });

  test("members: pending is visible by id and with member_status, accepted joins the default list, rejected leaves it", async () => {
    const add = await g.req("POST", `/v2/images/${shared.id}/members`, { json: { member: g.demoProject } });
    expect(add.status).toBe(200);
    expect(await add.json()).toMatchObject({ image_id: shared.id, member_id: g.demoProject, status: "pending", schema: "/v2/schemas/member" });
    expect((await g.req("POST", `/v2/images/${shared.id}/members`, { json: { member: g.demoProject } })).status).toBe(409);
    expect(await ids("", g.demo)).not.toContain(shared.id);
    expect((await g.req("GET", `/v2/images/${shared.id}`, { token: g.demo })).status).toBe(200);
    expect(await ids("?visibility=shared&member_status=pending", g.demo)).toEqual([shared.id]);

    // The owner cannot accept on the member's behalf; a bad status is 400.
    expect((await g.req("PUT", `/v2/images/${shared.id}/members/${g.demoProject}`, { json: { status: "accepted" } })).status).toBe(403);
    expect((await g.req("PUT", `/v2/images/${shared.id}/members/${g.demoProject}`, { token: g.demo, json: { status: "maybe" } })).status).toBe(400);
    const acc = await g.req("PUT", `/v2/images/${shared.id}/members/${g.demoProject}`, { token: g.demo, json: { status: "accepted" } });
    expect(acc.status).toBe(200);
    expect(await ids("", g.demo)).toContain(shared.id);
    const members = ((await (await g.req("GET", `/v2/images/${shared.id}/members`)).json()) as any).members;
    expect(members.map((m: any) => [m.member_id, m.status])).toEqual([[g.demoProject, "accepted"]]);
    expect((await g.req("GET", `/v2/images/${shared.id}/members/${g.demoProject}`, { token: g.demo })).status).toBe(200);
    // A member may not share further, change or delete the image.
    expect((await g.req("POST", `/v2/images/${shared.id}/members`, { token: g.demo, json: { member: "x" } })).status).toBe(403);
    expect((await g.req("DELETE", `/v2/images/${shared.id}`, { token: g.demo })).status).toBe(403);

    await g.req("PUT", `/v2/images/${shared.id}/members/${g.demoProject}`, { token: g.demo, json: { status: "rejected" } });
    expect(await ids("", g.demo)).not.toContain(shared.id);
    expect((await g.req("DELETE", `/v2/images/${shared.id}/members/${g.demoProject}`)).status).toBe(204);
    expect((await g.req("GET", `/v2/images/${shared.id}`, { token: g.demo })).status).toBe(404);
    expect((await g.req("DELETE", `/v2/images/${shared.id}/members/${g.demoProject}`)).status).toBe(404);
  });

  test("only shared images take members (403 otherwise, as Glance says, even to list them)", async () => {
    expect((await g.req("POST", `/v2/images/${priv.id}/members`, { json: { member: g.demoProject } })).status).toBe(403);
    expect((await g.req("GET", `/v2/images/${priv.id}/members`)).status).toBe(403);
  });

  test("hidden images leave the default list; os_hidden=true lists them", async () => {
    const h = await g.create({ name: "hidden", os_hidden: true });
    expect(await ids("?limit=1000")).not.toContain(h.id);
    expect(await ids("?os_hidden=true")).toEqual([h.id]);
  });
});

describe("filters, sorting, pagination", () => {
  const made: any[] = [];
  beforeAll(async () => {
    for (const [i, size] of [300, 100, 200].entries()) {
      const img = await g.create({ name: `sorted-${i}`, tags: [`t${i}`, "common"], flavor: i % 2 ? "odd" : "even" }, g.demo);
      await g.upload(img.id, bytes(size, i), g.demo);
      made.push(img);
    }
  });
  const mine = "?owner=";

  test("filters: name, tag (all given), property, status, size_min/max, in:, created_at", async () => {
    const own = `${mine}${g.demoProject}`;
    expect(await ids(`${own}&name=sorted-1`, g.demo)).toEqual([made[1].id]);
    expect(await ids(`${own}&tag=common&tag=t2`, g.demo)).toEqual([made[2].id]);
    expect((await ids(`${own}&tag=common`, g.demo)).length).toBe(3);
    expect((await ids(`${own}&flavor=even`, g.demo)).sort()).toEqual([made[0].id, made[2].id].sort());
    expect((await ids(`${own}&size_min=150&size_max=250`, g.demo))).toEqual([made[2].id]);
    expect((await ids(`${own}&size=100`, g.demo))).toEqual([made[1].id]);
    expect((await ids(`${own}&name=in:sorted-0,sorted-2`, g.demo)).sort()).toEqual([made[0].id, made[2].id].sort());
    expect((await ids(`${own}&status=queued`, g.demo))).not.toContain(made[0].id);
    expect((await ids(`${own}&created_at=gte:2000-01-01T00:00:00Z`, g.demo)).length).toBeGreaterThanOrEqual(3);
    expect(await ids(`${own}&created_at=lt:2000-01-01T00:00:00Z`, g.demo)).toEqual([]);
    expect((await g.req("GET", `/v2/images?created_at=gt:yesterday`)).status).toBe(400);
  });

  test("sort by size both ways, with sort= and sort_key/sort_dir; bad keys are 400", async () => {
    const sizes = async (q: string) => (await list(q, g.demo)).images.map((i: any) => i.size);
    expect(await sizes(`?tag=common&sort=size:desc`)).toEqual([300, 200, 100]);
    expect(await sizes(`?tag=common&sort_key=size&sort_dir=asc`)).toEqual([100, 200, 300]);
    expect(await sizes(`?tag=common&sort=name:asc`)).toEqual([300, 100, 200]);
    expect((await g.req("GET", "/v2/images?sort_key=bogus")).status).toBe(400);
    expect((await g.req("GET", "/v2/images?sort=size:sideways")).status).toBe(400);
    expect((await g.req("GET", "/v2/images?sort=size&sort_key=name")).status).toBe(400);
  });

  test("limit and marker walk the list through the next links, without repeats", async () => {
    const seen: string[] = [];
    let url = "/v2/images?tag=common&limit=1&sort=name:asc";
    for (let i = 0; i < 10 && url; i++) {
      const r = (await (await g.req("GET", url, { token: g.demo })).json()) as any;
      expect(r.images.length).toBeLessThanOrEqual(1);
      seen.push(...r.images.map((x: any) => x.id));
      url = r.next;
    }
    expect(seen).toEqual(made.map((m) => m.id));
    expect((await g.req("GET", `/v2/images?marker=${crypto.randomUUID()}`)).status).toBe(400);
    expect((await g.req("GET", "/v2/images?limit=-1")).status).toBe(400);
    expect((await g.req("GET", "/v2/images?visibility=everyone")).status).toBe(400);
  });
});
