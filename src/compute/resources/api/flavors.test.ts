import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { disableFlavor, getFlavor } from "../logic/flavors.ts";
import { resTest, type ResTest } from "../testing.ts";

let r: ResTest;
beforeAll(async () => {
  r = await resTest();
});
afterAll(() => r.close());

const json = async (res: Response) => (await res.json()) as any;

describe("flavors", () => {
  test("the seed: m1.tiny..m1.xlarge with ids 1-5 and the test flavors; the 2.1 shape", async () => {
    const res = await r.req("GET", "/flavors/detail", { token: r.demo });
    expect(res.status).toBe(200);
    const { flavors } = await json(res);
    const byId = Object.fromEntries(flavors.map((f: any) => [f.id, f]));
    expect(byId["1"]).toMatchObject({ name: "m1.tiny", ram: 512, vcpus: 1, disk: 0 });
    expect(byId["3"]).toMatchObject({ name: "m1.medium", ram: 4096, vcpus: 2, disk: 40 });
    expect(byId["5"]).toMatchObject({ name: "m1.xlarge", ram: 16384, vcpus: 8, disk: 160 });
    expect(byId["42"].name).toBe("m1.nano");
    expect(byId["84"].name).toBe("m1.micro");
    // 2.1: swap "" for none, no description, no extra_specs
    expect(byId["1"].swap).toBe("");
    expect(byId["1"]).not.toHaveProperty("description");
    expect(byId["1"]["OS-FLV-DISABLED:disabled"]).toBe(false);
    expect(byId["1"]["os-flavor-access:is_public"]).toBe(true);
    expect(byId["1"].links).toEqual([
      { rel: "self", href: "http://127.0.0.1:8774/v2.1/flavors/1" },
      { rel: "bookmark", href: "http://127.0.0.1:8774/flavors/1" },
    ]);
  });

  test("shapes per microversion: description 2.55, extra_specs 2.61, swap 0 at 2.75", async () => {
    const brief = await json(await r.req("GET", "/flavors", { mv: "2.55" }));
    expect(Object.keys(brief.flavors[0]).sort()).toEqual(["description", "id", "links", "name"]);
    const f61 = (await json(await r.req("GET", "/flavors/1", { mv: "2.61" }))).flavor;
    expect(f61.extra_specs).toEqual({});
    expect(f61.description).toBeNull();
    expect(f61.swap).toBe("");
    const f75 = (await json(await r.req("GET", "/flavors/1", { mv: "2.75" }))).flavor;
    expect(f75.swap).toBe(0);
  });

  test("legacy /v2.1/{project_id} links keep the project", async () => {
    const res = await r.req("GET", "/someproject/flavors/2");
    const f = (await json(res)).flavor;
    expect(f.links[0].href).toBe("http://127.0.0.1:8774/v2.1/someproject/flavors/2");
    expect(f.links[1].href).toBe("http://127.0.0.1:8774/someproject/flavors/2");
  });

  test("filters: minRam, minDisk, limit, marker, sort", async () => {
    const big = (await json(await r.req("GET", "/flavors/detail?minRam=4096&minDisk=40"))).flavors;
    expect(big.map((f: any) => f.name).sort()).toEqual(["m1.large", "m1.medium", "m1.xlarge"]);
    const one = await json(await r.req("GET", "/flavors?limit=1"));
    expect(one.flavors).toHaveLength(1);
    expect(one.flavors_links[0].rel).toBe("next");
    const after = (await json(await r.req("GET", `/flavors?marker=${one.flavors[0].id}`))).flavors;
    expect(after.find((f: any) => f.id === one.flavors[0].id)).toBeUndefined();
    expect(after.length).toBeGreaterThan(5);
    const byRam = (await json(await r.req("GET", "/flavors/detail?sort_key=memory_mb&sort_dir=desc"))).flavors;
    expect(byRam[0].name).toBe("m1.xlarge");
    expect((await r.req("GET", "/flavors?marker=nope")).status).toBe(400);
    expect((await r.req("GET", "/flavors?minRam=abc")).status).toBe(400);
    expect((await r.req("GET", "/flavors?sort_key=bogus")).status).toBe(400);
  });

  test("create (admin): int, uuid and generated ids; string values; 409 on duplicates; 403 for members", async () => {
    const res = await r.req("POST", "/flavors", {
      json: { flavor: { name: "t.one", ram: "1024", vcpus: 1, disk: 10, id: 1234, "os-flavor-access:is_public": "True" } },
    });
    expect(res.status).toBe(200);
    const f = (await json(res)).flavor;
    expect(f).toMatchObject({ id: "1234", ram: 1024, rxtx_factor: 1, "OS-FLV-EXT-DATA:ephemeral": 0, swap: "" });
    const gen = (await json(await r.req("POST", "/flavors", { json: { flavor: { name: "t.gen", ram: 64, vcpus: 1, disk: 0, id: null } } }))).flavor;
    expect(gen.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const dupName = await r.req("POST", "/flavors", { json: { flavor: { name: "t.one", ram: 64, vcpus: 1, disk: 0 } } });
    expect(dupName.status).toBe(409);
    expect((await json(dupName)).conflictingRequest.message).toBe("Flavor with name t.one already exists.");
    const dupId = await r.req("POST", "/flavors", { json: { flavor: { name: "t.two", ram: 64, vcpus: 1, disk: 0, id: "1234" } } });
    expect(dupId.status).toBe(409);
    expect((await json(dupId)).conflictingRequest.message).toBe("Flavor with ID 1234 already exists.");
    const member = await r.req("POST", "/flavors", { token: r.demo, json: { flavor: { name: "t.x", ram: 64, vcpus: 1, disk: 0 } } });
    expect(member.status).toBe(403);
    expect((await json(member)).forbidden.code).toBe(403);
    // bad input: nothing is written
    for (const bad of [
      { name: "t.bad", ram: 0, vcpus: 1, disk: 0 },
      { name: "t.bad", ram: 64, vcpus: -1, disk: 0 },
      { name: "t.bad", ram: 64, vcpus: 1, disk: 0, bogus: 1 },
      { name: "t.bad", ram: 64, vcpus: 1, disk: 0, description: "needs 2.55" },
      { name: "t.bad", ram: 64, vcpus: 1, disk: 0, id: " lead" },
    ]) {
      const b = await r.req("POST", "/flavors", { json: { flavor: bad } });
      expect(b.status).toBe(400);
      expect((await json(b)).badRequest.code).toBe(400);
    }
    expect((await r.req("POST", "/flavors", { body: "{not json", json: undefined })).status).toBe(400);
    const names = (await json(await r.req("GET", "/flavors?is_public=none"))).flavors.map((x: any) => x.name);
    expect(names).not.toContain("t.bad");
  });

  test("description update at 2.55; 404 below", async () => {
    await r.req("POST", "/flavors", { mv: "2.55", json: { flavor: { name: "t.desc", ram: 64, vcpus: 1, disk: 0, id: "desc1", description: "a" } } });
    expect((await r.req("PUT", "/flavors/desc1", { json: { flavor: { description: "b" } } })).status).toBe(404);
    const res = await r.req("PUT", "/flavors/desc1", { mv: "2.55", json: { flavor: { description: "b" } } });
    expect(res.status).toBe(200);
    expect((await json(res)).flavor.description).toBe("b");
    expect((await r.req("PUT", "/flavors/desc1", { mv: "2.55", token: r.demo, json: { flavor: { description: "c" } } })).status).toBe(403);
  });

  test("private flavors: hidden from others, access add/list/remove, is_public filter variations", async () => {
    const demoProject = r.t.cloud.identity.client.projectByName("demo")!.id;
    await r.req("POST", "/flavors", { json: { flavor: { name: "t.priv", ram: 64, vcpus: 1, disk: 0, id: "priv1", "os-flavor-access:is_public": false } } });
    const visible = async (token: string) =>
      (await json(await r.req("GET", "/flavors/detail", { token }))).flavors.map((f: any) => f.id);
    expect(await visible(r.admin)).not.toContain("priv1"); // admin's project has no access either
    expect(await visible(r.demo)).not.toContain("priv1");
    expect((await r.req("GET", "/flavors/priv1", { token: r.demo })).status).toBe(404);
    for (const v of ["f", "false", "no", "0"]) {
      const ids = (await json(await r.req("GET", `/flavors?is_public=${v}`))).flavors.map((f: any) => f.id);
      expect(ids).toContain("priv1");
      expect(ids).not.toContain("1");
    }
    expect((await json(await r.req("GET", "/flavors/priv1/os-flavor-access"))).flavor_access).toEqual([]);
    const add = await r.req("POST", "/flavors/priv1/action", { json: { addTenantAccess: { tenant: demoProject } } });
    expect(add.status).toBe(200);
    expect((await json(add)).flavor_access).toEqual([{ flavor_id: "priv1", tenant_id: demoProject }]);
    expect(await visible(r.demo)).toContain("priv1");
    expect(r.res.flavors.findForCaller({ projectId: demoProject, userId: "u", isAdmin: false }, "priv1")?.name).toBe("t.priv");
    expect(r.res.flavors.findForCaller({ projectId: demoProject, userId: "u", isAdmin: false }, "http://h:8774/v2.1/flavors/priv1")?.id).toBe("priv1");
    expect((await r.req("POST", "/flavors/priv1/action", { json: { addTenantAccess: { tenant: demoProject } } })).status).toBe(409);
    expect((await r.req("POST", "/flavors/priv1/action", { token: r.demo, json: { removeTenantAccess: { tenant: demoProject } } })).status).toBe(403);
    expect((await r.req("POST", "/flavors/priv1/action", { json: { removeTenantAccess: { tenant: demoProject } } })).status).toBe(200);
    expect(await visible(r.demo)).not.toContain("priv1");
    expect(r.res.flavors.findForCaller({ projectId: demoProject, userId: "u", isAdmin: false }, "priv1")).toBeUndefined();
    expect((await r.req("POST", "/flavors/priv1/action", { json: { removeTenantAccess: { tenant: demoProject } } })).status).toBe(404);
    expect((await r.req("GET", "/flavors/1/os-flavor-access")).status).toBe(404);
    expect((await r.req("POST", "/flavors/1/action", { json: { addTenantAccess: { tenant: demoProject } } })).status).toBe(409);
    expect((await r.req("GET", "/flavors?is_public=maybe")).status).toBe(400);
  });

  test("extra specs: set, show, update one, unset; members read but not write; embedded at 2.61", async () => {
    await r.req("POST", "/flavors", { json: { flavor: { name: "t.specs", ram: 64, vcpus: 1, disk: 0, id: "specs1" } } });
    const specs = { "hw:numa_nodes": "1", "hw:cpu_policy": "shared" };
    const set = await r.req("POST", "/flavors/specs1/os-extra_specs", { json: { extra_specs: specs } });
    expect(set.status).toBe(200);
    expect((await json(set)).extra_specs).toEqual(specs);
    expect((await json(await r.req("GET", "/flavors/specs1/os-extra_specs", { token: r.demo }))).extra_specs).toEqual(specs);
    expect(await json(await r.req("GET", "/flavors/specs1/os-extra_specs/hw:numa_nodes", { token: r.demo }))).toEqual({ "hw:numa_nodes": "1" });
    const upd = await r.req("PUT", "/flavors/specs1/os-extra_specs/hw:numa_nodes", { json: { "hw:numa_nodes": "2" } });
    expect(await json(upd)).toEqual({ "hw:numa_nodes": "2" });
    expect((await r.req("PUT", "/flavors/specs1/os-extra_specs/hw:numa_nodes", { json: { "hw:cpu_policy": "x" } })).status).toBe(400);
    expect((await r.req("PUT", "/flavors/specs1/os-extra_specs/hw:numa_nodes", { json: { "hw:numa_nodes": "1", a: "b" } })).status).toBe(400);
    expect((await r.req("POST", "/flavors/specs1/os-extra_specs", { token: r.demo, json: { extra_specs: specs } })).status).toBe(403);
    expect((await r.req("DELETE", "/flavors/specs1/os-extra_specs/hw:numa_nodes", { token: r.demo })).status).toBe(403);
    const f = (await json(await r.req("GET", "/flavors/specs1", { mv: "2.61" }))).flavor;
    expect(f.extra_specs).toEqual({ "hw:cpu_policy": "shared", "hw:numa_nodes": "2" });
    expect((await r.req("DELETE", "/flavors/specs1/os-extra_specs/hw:numa_nodes")).status).toBe(200);
    expect((await r.req("DELETE", "/flavors/specs1/os-extra_specs/hw:numa_nodes")).status).toBe(404);
    expect((await r.req("GET", "/flavors/specs1/os-extra_specs/hw:numa_nodes")).status).toBe(404);
    expect((await r.req("POST", "/flavors/specs1/os-extra_specs", { json: { extra_specs: { "bad/key": "x" } } })).status).toBe(400);
  });

  test("delete (admin) → 202, then 404; member 403", async () => {
    await r.req("POST", "/flavors", { json: { flavor: { name: "t.del", ram: 64, vcpus: 1, disk: 0, id: "del1" } } });
    expect((await r.req("DELETE", "/flavors/del1", { token: r.demo })).status).toBe(403);
    expect((await r.req("DELETE", "/flavors/del1")).status).toBe(202);
    const gone = await r.req("GET", "/flavors/del1");
    expect(gone.status).toBe(404);
    expect((await json(gone)).itemNotFound.message).toBe("Flavor del1 could not be found.");
    expect((await r.req("DELETE", "/flavors/del1")).status).toBe(404);
    expect(r.res.flavors.get("del1")).toBeUndefined();
  });

  test("an inactive (disabled) flavor: hidden from members, shown to admins as disabled, not usable for servers", async () => {
    await r.req("POST", "/flavors", { json: { flavor: { name: "t.off", ram: 64, vcpus: 1, disk: 0, id: "off1" } } });
    disableFlavor(r.t.cloud.db, Date.now(), getFlavor(r.t.cloud.db, "off1")!.rowId);
    const demoIds = (await json(await r.req("GET", "/flavors", { token: r.demo }))).flavors.map((f: any) => f.id);
    expect(demoIds).not.toContain("off1");
    const adminView = (await json(await r.req("GET", "/flavors/detail"))).flavors.find((f: any) => f.id === "off1");
    expect(adminView["OS-FLV-DISABLED:disabled"]).toBe(true);
    expect(r.res.flavors.findForCaller({ projectId: "p", userId: "u", isAdmin: true }, "off1")).toBeUndefined();
    expect(r.res.flavors.get("off1")?.disabled).toBe(true);
  });
});
