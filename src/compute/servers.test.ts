import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { testCloud, type TestCloud } from "../../test/harness.ts";

let t: TestCloud;
let admin: string;
let demo: string;
let imageId: string;

const nova = (method: string, path: string, opts: { token?: string; json?: unknown; body?: string; mv?: string } = {}) =>
  t.req(method, `/v2.1${path}`, {
    service: "compute",
    token: opts.token ?? admin,
    json: opts.json,
    body: opts.body,
    headers: opts.mv ? { "OpenStack-API-Version": `compute ${opts.mv}` } : {},
  });

async function makeImage(name: string, props: Record<string, string> = {}): Promise<string> {
  const r = await t.req("POST", "/v2/images", {
    service: "image",
    token: admin,
    json: { name, disk_format: "raw", container_format: "bare", visibility: "public", ...props },
  });
  expect(r.status).toBe(201);
  const id = ((await r.json()) as { id: string }).id;
  const up = await t.req("PUT", `/v2/images/${id}/file`, {
    service: "image",
    token: admin,
    body: "fake disk bytes",
    headers: { "content-type": "application/octet-stream" },
  });
  expect(up.status).toBe(204);
  return id;
}

async function boot(name: string, token = admin, extra: Record<string, unknown> = {}, mv?: string): Promise<string> {
  const r = await nova("POST", "/servers", { token, mv, json: { server: { name, imageRef: imageId, flavorRef: "1", networks: "none", ...extra } } });
  expect(r.status).toBe(202);
  const id = ((await r.json()) as any).server.id as string;
  await t.cloud.bus.drain();
  return id;
}

async function show(id: string, mv?: string, token = admin): Promise<any> {
  const r = await nova("GET", `/servers/${id}`, { mv, token });
  expect(r.status).toBe(200);
  return ((await r.json()) as any).server;
}

beforeAll(async () => {
  t = await testCloud();
  admin = await t.token("admin");
  demo = await t.token("demo", "secret", "demo");
  imageId = await makeImage("cirros");
});
afterAll(async () => {
  await t.close();
});

describe("version discovery and microversions", () => {
  test("GET / lists v2.0 then v2.1 with min 2.1 and max 2.79", async () => {
    const r = await t.req("GET", "/", { service: "compute" });
    expect(r.status).toBe(200);
    const body = (await r.json()) as any;
    expect(body.versions.map((v: any) => v.id)).toEqual(["v2.0", "v2.1"]);
    const v21 = body.versions[1];
    expect(v21).toMatchObject({ status: "CURRENT", min_version: "2.1", version: "2.79" });
    expect(v21.links[0].href).toEndWith("/v2.1/");
  });

  test("GET /v2.1/ (trailing slash) is the version document, without a token", async () => {
    const r = await t.req("GET", "/v2.1/", { service: "compute" });
    expect(r.status).toBe(200);
    expect(((await r.json()) as any).version.id).toBe("v2.1");
  });

  test("the requested microversion is echoed; out of range → 406 notAcceptable", async () => {
    const ok = await nova("GET", "/servers", { mv: "2.47" });
    expect(ok.headers.get("openstack-api-version")).toBe("compute 2.47");
    expect(ok.headers.get("x-openstack-nova-api-version")).toBe("2.47");
    expect(ok.headers.get("x-compute-request-id")).toMatch(/^req-/);
    const bad = await nova("GET", "/servers", { mv: "2.999" });
    expect(bad.status).toBe(406);
    expect(((await bad.json()) as any).notAcceptable.code).toBe(406);
  });

  test("legacy /v2.1/{project_id}/servers reaches the same routes", async () => {
    const project = t.cloud.identity.client.projectByName("admin")!.id;
    const r = await nova("GET", `/${project}/servers`);
    expect(r.status).toBe(200);
    expect(((await r.json()) as any).servers).toBeArray();
  });
});

describe("server lifecycle", () => {
  test("create → ACTIVE through scheduling, networking, spawning; instance action with events", async () => {
    const id = await boot("life-1");
    const s = await show(id);
    expect(s.status).toBe("ACTIVE");
    expect(s["OS-EXT-STS:vm_state"]).toBe("active");
    expect(s["OS-EXT-STS:power_state"]).toBe(1);
    expect(s["OS-EXT-STS:task_state"]).toBeNull();
    expect(s["OS-EXT-SRV-ATTR:host"]).toBeString();
    expect(s["OS-EXT-AZ:availability_zone"]).toBe("nova");
    expect(s.hostId).toMatch(/^[0-9a-f]{56}$/);
    expect(s.flavor).toEqual({ id: "1", links: expect.any(Array) });
    expect("locked" in s).toBe(false);
    const acts = (await (await nova("GET", `/servers/${id}/os-instance-actions`)).json()) as any;
    expect(acts.instanceActions[0].action).toBe("create");
    const one = (await (await nova("GET", `/servers/${id}/os-instance-actions/${acts.instanceActions[0].request_id}`)).json()) as any;
    expect(one.instanceAction.events.map((e: any) => e.event)).toEqual(["conductor_schedule_and_build_instances", "compute__do_build_and_run_instance"]);
    expect(one.instanceAction.events.every((e: any) => e.result === "Success")).toBe(true);
    expect(t.cloud.bus.pendingTasks()).toBe(0);
  });

  test("shape follows the microversion: embedded flavor 2.47, tags 2.26, locked_reason 2.73", async () => {
    const id = await boot("shape-1", admin, { tags: ["a", "b"], description: "d" }, "2.79");
    const s = await show(id, "2.79");
    expect(s.flavor).toMatchObject({ original_name: "m1.tiny", vcpus: 1, ram: 512, disk: 0, ephemeral: 0, swap: 0 });
    expect(s.tags).toEqual(["a", "b"]);
    expect(s.description).toBe("d");
    expect(s.locked).toBe(false);
    expect(s.locked_reason).toBeNull();
    expect(s.trusted_image_certificates).toBeNull();
    expect(s.server_groups).toEqual([]);
    expect(s.host_status).toBe("UP");
    // tags and description in a create need 2.52 / 2.19
    const old = await nova("POST", "/servers", { json: { server: { name: "x", imageRef: imageId, flavorRef: "1", tags: ["a"] } } });
    expect(old.status).toBe(400);
  });

  test("stop → SHUTOFF; stop again → 409 conflictingRequest with Nova's message; start → ACTIVE", async () => {
    const id = await boot("power-1");
    expect((await nova("POST", `/servers/${id}/action`, { json: { "os-stop": null } })).status).toBe(202);
    await t.cloud.bus.drain();
    expect((await show(id)).status).toBe("SHUTOFF");
    const again = await nova("POST", `/servers/${id}/action`, { json: { "os-stop": null } });
    expect(again.status).toBe(409);
    expect(((await again.json()) as any).conflictingRequest.message).toBe(`Cannot 'stop' instance ${id} while it is in vm_state stopped`);
    await nova("POST", `/servers/${id}/action`, { json: { "os-start": null } });
    await t.cloud.bus.drain();
    const s = await show(id);
    expect(s.status).toBe("ACTIVE");
    expect(s["OS-EXT-STS:power_state"]).toBe(1);
  });

  test("pause/unpause, suspend/resume, reboot, resize + confirm, revert", async () => {
    const id = await boot("act-1");
    const act = async (body: unknown, status = 202) => {
      const r = await nova("POST", `/servers/${id}/action`, { json: body });
      expect(r.status).toBe(status);
      await t.cloud.bus.drain();
      return (await show(id)).status as string;
    };
    expect(await act({ pause: null })).toBe("PAUSED");
    expect(await act({ unpause: null })).toBe("ACTIVE");
    expect(await act({ suspend: null })).toBe("SUSPENDED");
    expect(await act({ resume: null })).toBe("ACTIVE");
    expect(await act({ reboot: { type: "HARD" } })).toBe("ACTIVE");
    expect(await act({ resize: { flavorRef: "2" } })).toBe("VERIFY_RESIZE");
    expect((await show(id)).flavor.id).toBe("2");
    expect(await act({ revertResize: null })).toBe("ACTIVE");
    expect((await show(id)).flavor.id).toBe("1");
    expect(await act({ resize: { flavorRef: "2" } })).toBe("VERIFY_RESIZE");
    expect(await act({ confirmResize: null }, 204)).toBe("ACTIVE");
    expect((await show(id)).flavor.id).toBe("2");
    const same = await nova("POST", `/servers/${id}/action`, { json: { resize: { flavorRef: "2" } } });
    expect(same.status).toBe(400);
    const migs = (await (await nova("GET", `/os-migrations?instance_uuid=${id}`, { mv: "2.59" })).json()) as any;
    expect(migs.migrations.map((m: any) => m.status)).toEqual(["confirmed", "reverted"]);
    expect(migs.migrations[0]).toMatchObject({ migration_type: "resize", instance_uuid: id });
    expect((await nova("GET", "/os-migrations", { token: demo })).status).toBe(403);
  });

  test("createImage stores an active snapshot in Glance (2.45 returns image_id)", async () => {
    const id = await boot("snap-1");
    const r = await nova("POST", `/servers/${id}/action`, { mv: "2.45", json: { createImage: { name: "snap", metadata: { k: "v" } } } });
    expect(r.status).toBe(202);
    const imageIdSnap = ((await r.json()) as any).image_id;
    await t.cloud.bus.drain();
    const img = (await (await t.req("GET", `/v2/images/${imageIdSnap}`, { service: "image", token: admin })).json()) as any;
    expect(img.status).toBe("active");
    expect(img.instance_uuid).toBe(id);
    expect(img.image_type).toBe("snapshot");
    expect(img.k).toBe("v");
    expect((await show(id))["OS-EXT-STS:task_state"]).toBeNull();
  });

  test("console output: the last N lines as Nova splits them", async () => {
    const id = await boot("console-1");
    const r = await nova("POST", `/servers/${id}/action`, { json: { "os-getConsoleOutput": { length: 3 } } });
    expect(r.status).toBe(200);
    const out = ((await r.json()) as any).output as string;
    expect(out.split("\n").length).toBe(3);
    expect(out).toContain("login:");
  });

  test("a spawn failure ends in ERROR with a fault", async () => {
    const bad = await makeImage("broken", { fake_fail_spawn: "yes" });
    const r = await nova("POST", "/servers", { json: { server: { name: "err-1", imageRef: bad, flavorRef: "1", networks: "none" } } });
    const id = ((await r.json()) as any).server.id;
    await t.cloud.bus.drain();
    const s = await show(id);
    expect(s.status).toBe("ERROR");
    expect(s.fault.code).toBe(500);
    expect(s.fault.message).toContain("fake_fail_spawn");
    expect(s.fault.created).toMatch(/Z$/);
    // an ERROR server can be deleted
    expect((await nova("DELETE", `/servers/${id}`)).status).toBe(204);
    await t.cloud.bus.drain();
    expect((await nova("GET", `/servers/${id}`)).status).toBe(404);
  });

  test("delete → 404 afterwards; quota usage drops", async () => {
    const id = await boot("del-1");
    expect((await nova("DELETE", `/servers/${id}`)).status).toBe(204);
    await t.cloud.bus.drain();
    const r = await nova("GET", `/servers/${id}`);
    expect(r.status).toBe(404);
    expect(((await r.json()) as any).itemNotFound.message).toBe(`Instance ${id} could not be found.`);
    const list = (await (await nova("GET", "/servers?changes-since=2000-01-01T00:00:00Z")).json()) as any;
    expect(list.servers.some((s: any) => s.id === id)).toBe(true);
  });

  test("metadata and tags", async () => {
    const id = await boot("meta-1", admin, { metadata: { a: "1" } });
    expect(((await (await nova("POST", `/servers/${id}/metadata`, { json: { metadata: { b: "2" } } })).json()) as any).metadata).toEqual({ a: "1", b: "2" });
    const mismatch = await nova("PUT", `/servers/${id}/metadata/a`, { json: { meta: { z: "1" } } });
    expect(mismatch.status).toBe(400);
    expect((await nova("DELETE", `/servers/${id}/metadata/a`)).status).toBe(204);
    expect((await nova("GET", `/servers/${id}/metadata/a`)).status).toBe(404);
    expect((await nova("PUT", `/servers/${id}/tags/t1`, { mv: "2.26" })).status).toBe(201);
    expect((await nova("PUT", `/servers/${id}/tags/t1`, { mv: "2.26" })).status).toBe(204);
    expect((await nova("GET", `/servers/${id}/tags/t1`, { mv: "2.26" })).status).toBe(204);
    expect((await nova("GET", `/servers/${id}/tags`, { mv: "2.1" })).status).toBe(404);
    const filtered = (await (await nova("GET", "/servers?tags=t1", { mv: "2.26" })).json()) as any;
    expect(filtered.servers.map((s: any) => s.id)).toEqual([id]);
  });
});

describe("bad input", () => {
  test("unknown flavor, image, network → 400 badRequest with Nova's messages", async () => {
    const create = (server: Record<string, unknown>) =>
      nova("POST", "/servers", { json: { server: { name: "bad", imageRef: imageId, flavorRef: "1", ...server } } });
    let r = await create({ flavorRef: "no-such" });
    expect(r.status).toBe(400);
    expect(((await r.json()) as any).badRequest.message).toBe("Invalid flavorRef provided.");
    r = await create({ imageRef: "11111111-2222-3333-4444-555555555555" });
    expect(r.status).toBe(400);
    expect(((await r.json()) as any).badRequest.message).toBe("Can not find requested image");
    r = await create({ networks: [{ uuid: "11111111-2222-3333-4444-555555555555" }] });
    expect(r.status).toBe(400);
    expect(((await r.json()) as any).badRequest.message).toContain("11111111-2222-3333-4444-555555555555");
    r = await create({ key_name: "nope" });
    expect(r.status).toBe(400);
  });

  test("malformed bodies → 400 badRequest, nothing written", async () => {
    const before = ((await (await nova("GET", "/servers")).json()) as any).servers.length;
    let r = await nova("POST", "/servers", { body: "{not json", mv: "2.1" });
    expect(r.status).toBe(400);
    expect(((await r.json()) as any).badRequest).toBeDefined();
    r = await nova("POST", "/servers", { json: { server: { name: 12, imageRef: imageId, flavorRef: "1" } } });
    expect(r.status).toBe(400);
    r = await nova("POST", "/servers", { json: { server: { name: "x".repeat(256), imageRef: imageId, flavorRef: "1" } } });
    expect(r.status).toBe(400);
    r = await nova("POST", "/servers", { json: { server: { name: "ok", imageRef: imageId, flavorRef: "1", accessIPv4: "1.2.3" } } });
    expect(r.status).toBe(400);
    expect(((await (await nova("GET", "/servers")).json()) as any).servers.length).toBe(before);
  });
});

describe("projects and policy", () => {
  test("demo sees none of admin's servers and gets 404 on one; 403 on admin calls", async () => {
    const id = await boot("private-1");
    const list = (await (await nova("GET", "/servers/detail", { token: demo })).json()) as any;
    expect(list.servers.some((s: any) => s.id === id)).toBe(false);
    expect((await nova("GET", `/servers/${id}`, { token: demo })).status).toBe(404);
    expect((await nova("DELETE", `/servers/${id}`, { token: demo })).status).toBe(404);
    for (const p of ["/os-hypervisors", "/os-services", "/os-simple-tenant-usage", "/os-availability-zone/detail"]) {
      const r = await nova("GET", p, { token: demo });
      expect(r.status).toBe(403);
      expect(((await r.json()) as any).forbidden.code).toBe(403);
    }
    // admin sees it with all_tenants, demo does not get all_tenants
    const all = (await (await nova("GET", "/servers?all_tenants=1")).json()) as any;
    expect(all.servers.some((s: any) => s.id === id)).toBe(true);
    const demoAll = await nova("GET", "/servers?all_tenants=1", { token: demo });
    expect(demoAll.status).toBe(403);
  });

  test("a demo server is not shown to admin without all_tenants, is in the demo's simple usage", async () => {
    const id = await boot("demo-1", demo);
    const mine = (await (await nova("GET", "/servers", { token: demo })).json()) as any;
    expect(mine.servers.map((s: any) => s.id)).toContain(id);
    const adminList = (await (await nova("GET", "/servers")).json()) as any;
    expect(adminList.servers.map((s: any) => s.id)).not.toContain(id);
    const demoProject = t.cloud.identity.client.projectByName("demo")!.id;
    const u = (await (await nova("GET", `/os-simple-tenant-usage/${demoProject}`, { token: demo })).json()) as any;
    expect(u.tenant_usage.server_usages.map((s: any) => s.instance_id)).toContain(id);
  });
});

describe("admin views", () => {
  test("hypervisors count the instances on them; services are up", async () => {
    const stats = (await (await nova("GET", "/os-hypervisors/statistics")).json()) as any;
    const live = ((await (await nova("GET", "/servers?all_tenants=1")).json()) as any).servers.length;
    expect(stats.hypervisor_statistics.running_vms).toBe(live);
    expect(stats.hypervisor_statistics.count).toBe(1);
    const svcs = (await (await nova("GET", "/os-services", { mv: "2.53" })).json()) as any;
    expect(svcs.services.map((s: any) => s.binary).sort()).toEqual(["nova-compute", "nova-conductor", "nova-scheduler"]);
    expect(svcs.services.every((s: any) => s.state === "up")).toBe(true);
    const az = (await (await nova("GET", "/os-availability-zone")).json()) as any;
    expect(az.availabilityZoneInfo).toEqual([{ zoneName: "nova", zoneState: { available: true }, hosts: null }]);
  });

  test("a forced-down compute service is down and the scheduler finds no valid host", async () => {
    const svcs = (await (await nova("GET", "/os-services?binary=nova-compute", { mv: "2.53" })).json()) as any;
    const svc = svcs.services[0];
    const r = await nova("PUT", `/os-services/${svc.id}`, { mv: "2.53", json: { forced_down: true } });
    expect(r.status).toBe(200);
    expect(((await r.json()) as any).service.state).toBe("down");
    const res = await nova("POST", "/servers", { json: { server: { name: "nohost", imageRef: imageId, flavorRef: "1", networks: "none" } } });
    const id = ((await res.json()) as any).server.id;
    await t.cloud.bus.drain();
    const s = await show(id);
    expect(s.status).toBe("ERROR");
    expect(s.fault.message).toBe("No valid host was found. There are not enough hosts available.");
    await nova("PUT", `/os-services/${svc.id}`, { mv: "2.53", json: { forced_down: false } });
    await nova("DELETE", `/servers/${id}`);
    await t.cloud.bus.drain();
  });
});

describe("quota", () => {
  test("200 concurrent creates against a quota of 50 give exactly 50 servers and 150 clean 403s", async () => {
    const p = await t.req("POST", "/v3/projects", { token: admin, json: { project: { name: "quota-p", domain_id: "default" } } });
    const project = ((await p.json()) as any).project.id;
    const roles = ((await (await t.req("GET", "/v3/roles?name=member", { token: admin })).json()) as any).roles;
    const user = t.cloud.identity.client.userByName("demo")!.id;
    expect((await t.req("PUT", `/v3/projects/${project}/users/${user}/roles/${roles[0].id}`, { token: admin })).status).toBe(204);
    const q = await nova("PUT", `/os-quota-sets/${project}`, { json: { quota_set: { instances: 50, cores: -1, ram: -1 } } });
    expect(q.status).toBe(200);
    const tok = await t.token("demo", "secret", "quota-p");
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, n) =>
        nova("POST", "/servers", { token: tok, json: { server: { name: `q-${n}`, imageRef: imageId, flavorRef: "1", networks: "none" } } }),
      ),
    );
    const codes = results.map((r) => r.status);
    expect(codes.filter((c) => c === 202).length).toBe(50);
    expect(codes.filter((c) => c === 403).length).toBe(150);
    const denied = (await results.find((r) => r.status === 403)!.json()) as any;
    expect(denied.forbidden.message).toBe("Quota exceeded for instances: Requested 1, but already used 50 of 50 instances");
    await t.cloud.bus.drain();
    const list = (await (await nova("GET", "/servers", { token: tok })).json()) as any;
    expect(list.servers.length).toBe(50);
  });
});

describe("several hosts", () => {
  test("--compute-hosts 3: three zones, anti-affinity spreads, AZ requests are honoured", async () => {
    const t3 = await testCloud({ computeHosts: 3 });
    try {
      const tok = await t3.token("admin");
      const req = (m: string, p: string, json?: unknown, mv?: string) =>
        t3.req(m, `/v2.1${p}`, { service: "compute", token: tok, json, headers: mv ? { "OpenStack-API-Version": `compute ${mv}` } : {} });
      const img = await t3.req("POST", "/v2/images", { service: "image", token: tok, json: { name: "i", disk_format: "raw", container_format: "bare" } });
      const iid = ((await img.json()) as any).id;
      await t3.req("PUT", `/v2/images/${iid}/file`, { service: "image", token: tok, body: "x", headers: { "content-type": "application/octet-stream" } });
      const az = (await (await req("GET", "/os-availability-zone")).json()) as any;
      expect(az.availabilityZoneInfo.map((z: any) => z.zoneName).sort()).toEqual(["az2", "az3", "nova"]);
      const g = await req("POST", "/os-server-groups", { server_group: { name: "g", policies: ["anti-affinity"] } });
      expect(g.status).toBe(200);
      const gid = ((await g.json()) as any).server_group.id;
      const ids: string[] = [];
      for (let n = 0; n < 3; n++) {
        const r = await req("POST", "/servers", { server: { name: `aa-${n}`, imageRef: iid, flavorRef: "1", networks: "none" }, "os:scheduler_hints": { group: gid } });
        expect(r.status).toBe(202);
        ids.push(((await r.json()) as any).server.id);
        await t3.cloud.bus.drain();
      }
      const hosts = await Promise.all(ids.map(async (id) => ((await (await req("GET", `/servers/${id}`)).json()) as any).server["OS-EXT-SRV-ATTR:host"]));
      expect(new Set(hosts).size).toBe(3);
      // a fourth member has no host left
      const r4 = await req("POST", "/servers", { server: { name: "aa-4", imageRef: iid, flavorRef: "1", networks: "none" }, "os:scheduler_hints": { group: gid } });
      const id4 = ((await r4.json()) as any).server.id;
      await t3.cloud.bus.drain();
      expect(((await (await req("GET", `/servers/${id4}`)).json()) as any).server.status).toBe("ERROR");
      // availability zone placement
      const rz = await req("POST", "/servers", { server: { name: "in-az3", imageRef: iid, flavorRef: "1", networks: "none", availability_zone: "az3" } });
      const idz = ((await rz.json()) as any).server.id;
      await t3.cloud.bus.drain();
      expect(((await (await req("GET", `/servers/${idz}`)).json()) as any).server["OS-EXT-AZ:availability_zone"]).toBe("az3");
      const bad = await req("POST", "/servers", { server: { name: "x", imageRef: iid, flavorRef: "1", availability_zone: "nowhere" } });
      expect(bad.status).toBe(400);
    } finally {
      await t3.close();
    }
  });
});
