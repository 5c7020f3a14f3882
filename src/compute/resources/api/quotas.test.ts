import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { resTest, type ResTest } from "../testing.ts";

let r: ResTest;
let demoProject: string;
let demoUser: string;
const usage = { instances: 0, cores: 0, ram: 0 };
beforeAll(async () => {
  r = await resTest();
  demoProject = r.t.cloud.identity.client.projectByName("demo")!.id;
  demoUser = r.t.cloud.identity.client.userByName("demo")!.id;
  r.res.setUsageCounter((p) => (p === demoProject ? usage : { instances: 0, cores: 0, ram: 0 }));
});
afterAll(() => r.close());

const json = async (res: Response) => (await res.json()) as any;
const NETWORK = ["fixed_ips", "floating_ips", "security_group_rules", "security_groups"];
const FILES = ["injected_file_content_bytes", "injected_file_path_bytes", "injected_files"];

describe("quota sets", () => {
  test("show and defaults: Nova's defaults; keys per microversion (2.36 drops network, 2.57 files)", async () => {
    const qs = (await json(await r.req("GET", `/os-quota-sets/${demoProject}`, { token: r.demo }))).quota_set;
    expect(qs).toMatchObject({ id: demoProject, instances: 10, cores: 20, ram: 51200, key_pairs: 100, server_groups: 10, server_group_members: 10, metadata_items: 128, fixed_ips: -1 });
    for (const k of [...NETWORK, ...FILES]) expect(qs).toHaveProperty(k);
    const defaults = (await json(await r.req("GET", `/os-quota-sets/${demoProject}/defaults`, { token: r.demo }))).quota_set;
    expect(defaults).toEqual(qs);
    const q236 = (await json(await r.req("GET", `/os-quota-sets/${demoProject}`, { mv: "2.36" }))).quota_set;
    for (const k of NETWORK) expect(q236).not.toHaveProperty(k);
    for (const k of FILES) expect(q236).toHaveProperty(k);
    const q257 = (await json(await r.req("GET", `/os-quota-sets/${demoProject}`, { mv: "2.57" }))).quota_set;
    expect(Object.keys(q257).sort()).toEqual(["cores", "id", "instances", "key_pairs", "metadata_items", "ram", "server_group_members", "server_groups"]);
  });

  test("a member sees only its own project's quotas, and may not update them", async () => {
    const adminProject = r.t.cloud.identity.client.projectByName("admin")!.id;
    expect((await r.req("GET", `/os-quota-sets/${adminProject}`, { token: r.demo })).status).toBe(403);
    const upd = await r.req("PUT", `/os-quota-sets/${demoProject}`, { token: r.demo, json: { quota_set: { ram: 0 } } });
    expect(upd.status).toBe(403);
    expect((await json(upd)).forbidden.code).toBe(403);
  });

  test("update (strings accepted), per-user override, detail with in_use, delete back to defaults", async () => {
    const upd = await r.req("PUT", `/os-quota-sets/${demoProject}`, { json: { quota_set: { ram: "5120", instances: 3 } } });
    expect(upd.status).toBe(200);
    const body = (await json(upd)).quota_set;
    expect(body).toMatchObject({ ram: 5120, instances: 3 });
    expect(body).not.toHaveProperty("id");
    expect(r.res.quotas.limits(demoProject)).toMatchObject({ ram: 5120, instances: 3, cores: 20 });
    await r.req("PUT", `/os-quota-sets/${demoProject}?user_id=${demoUser}`, { json: { quota_set: { ram: 2048 } } });
    expect((await json(await r.req("GET", `/os-quota-sets/${demoProject}?user_id=${demoUser}`))).quota_set.ram).toBe(2048);
    expect((await json(await r.req("GET", `/os-quota-sets/${demoProject}`))).quota_set.ram).toBe(5120);
    usage.instances = 2;
    usage.cores = 2;
    usage.ram = 1024;
    const detail = (await json(await r.req("GET", `/os-quota-sets/${demoProject}/detail`, { mv: "2.57" }))).quota_set;
    expect(detail.instances).toEqual({ limit: 3, in_use: 2, reserved: 0 });
    expect(detail.ram).toEqual({ limit: 5120, in_use: 1024, reserved: 0 });
    expect(detail).not.toHaveProperty("floating_ips");
    // below what is in use: 400 unless forced
    expect((await r.req("PUT", `/os-quota-sets/${demoProject}`, { json: { quota_set: { instances: 1 } } })).status).toBe(400);
    expect((await r.req("PUT", `/os-quota-sets/${demoProject}`, { json: { quota_set: { instances: 1, force: "True" } } })).status).toBe(200);
    expect((await r.req("DELETE", `/os-quota-sets/${demoProject}`)).status).toBe(202);
    const back = (await json(await r.req("GET", `/os-quota-sets/${demoProject}?user_id=${demoUser}`))).quota_set;
    expect(back).toMatchObject({ ram: 51200, instances: 10 });
  });

  test("bad updates are 400 and change nothing", async () => {
    for (const qs of [{ ram: -2 }, { ram: "lots" }, { bogus: 1 }, { ram: 1, floating_ips: 3 }]) {
      const mv = "floating_ips" in qs ? "2.36" : undefined;
      const res = await r.req("PUT", `/os-quota-sets/${demoProject}`, { mv, json: { quota_set: qs } });
      expect(res.status).toBe(400);
      expect((await json(res)).badRequest.code).toBe(400);
    }
    expect(r.res.quotas.limits(demoProject).ram).toBe(51200);
    expect((await r.req("PUT", `/os-quota-sets/not-a-project`, { json: { quota_set: { ram: 1 } } })).status).toBe(400);
  });

  test("quota check for the servers side: Nova's 403 message", () => {
    usage.instances = 10;
    expect(() => r.res.quotas.check(demoProject, { instances: 1, cores: 1, ram: 512 })).toThrow(
      "Quota exceeded for instances: Requested 1, but already used 10 of 10 instances",
    );
    usage.instances = 0;
    expect(() => r.res.quotas.check(demoProject, { instances: 1, cores: 1, ram: 512 })).not.toThrow();
  });
});

describe("quota classes", () => {
  test("admin reads and updates the default class, which every project then inherits; members 403", async () => {
    const cls = (await json(await r.req("GET", "/os-quota-class-sets/default"))).quota_class_set;
    expect(cls.id).toBe("default");
    expect(cls).not.toHaveProperty("server_groups"); // before 2.50
    const c250 = (await json(await r.req("GET", "/os-quota-class-sets/default", { mv: "2.50" }))).quota_class_set;
    expect(c250.server_groups).toBe(10);
    expect(c250).not.toHaveProperty("floating_ips");
    const upd = await r.req("PUT", "/os-quota-class-sets/default", { json: { quota_class_set: { cores: 120 } } });
    expect((await json(upd)).quota_class_set.cores).toBe(120);
    expect(r.res.quotas.limits(demoProject).cores).toBe(120);
    expect((await json(await r.req("GET", `/os-quota-sets/${demoProject}/defaults`))).quota_set.cores).toBe(120);
    await r.req("PUT", "/os-quota-class-sets/default", { json: { quota_class_set: { cores: 20 } } });
    expect((await r.req("GET", "/os-quota-class-sets/default", { token: r.demo })).status).toBe(403);
    expect((await r.req("PUT", "/os-quota-class-sets/default", { token: r.demo, json: { quota_class_set: { cores: 1 } } })).status).toBe(403);
  });
});

describe("limits", () => {
  test("absolute limits and usage; keys per microversion; tenant_id for admins only", async () => {
    usage.instances = 1;
    usage.cores = 2;
    usage.ram = 512;
    const l = (await json(await r.req("GET", "/limits", { token: r.demo }))).limits;
    expect(l.rate).toEqual([]);
    expect(l.absolute).toMatchObject({
      maxTotalInstances: 10, maxTotalCores: 20, maxTotalRAMSize: 51200, maxServerMeta: 128, maxImageMeta: 128,
      maxTotalKeypairs: 100, maxServerGroups: 10, maxServerGroupMembers: 10, maxPersonality: 5, maxPersonalitySize: 10240,
      maxSecurityGroups: 10, maxSecurityGroupRules: 20, maxTotalFloatingIps: 10,
      totalInstancesUsed: 1, totalCoresUsed: 2, totalRAMUsed: 512, totalServerGroupsUsed: 0, totalFloatingIpsUsed: 0, totalSecurityGroupsUsed: 0,
    });
    const l57 = (await json(await r.req("GET", "/limits", { token: r.demo, mv: "2.57" }))).limits.absolute;
    for (const k of ["maxSecurityGroups", "maxImageMeta", "maxPersonality", "maxPersonalitySize", "totalFloatingIpsUsed"]) expect(l57).not.toHaveProperty(k);
    // admin asks for demo's
    const other = (await json(await r.req("GET", `/limits?tenant_id=${demoProject}`))).limits.absolute;
    expect(other.totalInstancesUsed).toBe(1);
    expect((await json(await r.req("GET", "/limits"))).limits.absolute.totalInstancesUsed).toBe(0);
    const adminProject = r.t.cloud.identity.client.projectByName("admin")!.id;
    expect((await r.req("GET", `/limits?tenant_id=${adminProject}`, { token: r.demo })).status).toBe(403);
  });
});
