import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { testCloud, type TestCloud } from "../../test/harness.ts";

let t: TestCloud;
let admin: string;
let demo: string;
let adminProject: string;
let demoProject: string;

beforeAll(async () => {
  t = await testCloud();
  admin = await t.token("admin");
  demo = await t.token("demo", "secret", "demo");
  adminProject = t.cloud.identity.client.projectByName("admin")!.id;
  demoProject = t.cloud.identity.client.projectByName("demo")!.id;
  // Many tests make volumes in demo: lift its quota (the quota tests use projects of their own).
  for (const p of [demoProject, adminProject])
    await t.req("PUT", `/v3/${adminProject}/os-quota-sets/${p}`, { token: admin, service: "volume", json: { quota_set: { volumes: -1, snapshots: -1, gigabytes: -1 } } });
});
afterAll(() => t.close());

const V = (token: string, project: string) => ({
  req: (method: string, path: string, json?: unknown, headers: Record<string, string> = {}) =>
    t.req(method, `/v3/${project}${path}`, { token, json, service: "volume", headers }),
});
const asAdmin = () => V(admin, adminProject);
const asDemo = () => V(demo, demoProject);

async function create(v = asDemo(), body: Record<string, unknown> = { size: 1 }) {
  const r = await v.req("POST", "/volumes", { volume: body });
  const j = (await r.json()) as any;
  return { status: r.status, body: j, id: j.volume?.id as string };
}
async function show(id: string, v = asDemo()) {
  const r = await v.req("GET", `/volumes/${id}`);
  return { status: r.status, body: (await r.json()) as any };
}
const settle = () => t.cloud.bus.drain();

describe("version discovery", () => {
  test("GET / is 300 with v3.0 and the microversion range", async () => {
    const r = await t.req("GET", "/", { service: "volume" });
    expect(r.status).toBe(300);
    const j = (await r.json()) as any;
    expect(j.versions[0].id).toBe("v3.0");
    expect(j.versions[0].min_version).toBe("3.0");
    expect(Number(j.versions[0].version.split(".")[1])).toBeGreaterThanOrEqual(60);
  });
  test("GET /v3/ is 200 with the same document", async () => {
    const r = await t.req("GET", "/v3/", { service: "volume" });
    expect(r.status).toBe(200);
    expect(((await r.json()) as any).versions[0].id).toBe("v3.0");
  });
  test("3.67: URLs without the project id work too", async () => {
    const r = await t.req("GET", "/v3/volumes/detail", { token: demo, service: "volume", headers: { "OpenStack-API-Version": "volume 3.67" } });
    expect(r.status).toBe(200);
    expect(Array.isArray(((await r.json()) as any).volumes)).toBe(true);
    expect((await t.req("GET", "/v3/types/default", { token: demo, service: "volume" })).status).toBe(200);
  });
  test("microversions are echoed; out of range is 406", async () => {
    const ok = await asDemo().req("GET", "/volumes", undefined, { "OpenStack-API-Version": "volume 3.27" });
    expect(ok.headers.get("openstack-api-version")).toBe("volume 3.27");
    const bad = await asDemo().req("GET", "/volumes", undefined, { "OpenStack-API-Version": "volume 3.99" });
    expect(bad.status).toBe(406);
  });
});

describe("volume lifecycle", () => {
  test("create answers at once (creating), the worker makes it available with a file", async () => {
    const c = await create(asDemo(), { size: 1, name: "v1", metadata: { a: "b" } });
    expect(c.status).toBe(202);
    expect(c.body.volume.status).toBe("creating");
    expect(c.body.volume.bootable).toBe("false");
    // `openstack volume create --read-only` sets the flag while the volume is still creating.
    expect((await asDemo().req("POST", `/volumes/${c.id}/action`, { "os-update_readonly_flag": { readonly: true } })).status).toBe(202);
    await settle();
    const s = await show(c.id);
    expect(s.body.volume.status).toBe("available");
    expect(s.body.volume.metadata).toEqual({ a: "b", readonly: "True" });
    const path = join(t.cloud.cfg.dataDir, "volumes", `volume-${c.id}`);
    expect(existsSync(path)).toBe(true);
  });

  test("a project never sees another's volumes; a foreign project in the URL is a 400", async () => {
    const c = await create(asAdmin());
    expect((await show(c.id, asDemo())).status).toBe(404);
    const list = (await (await asDemo().req("GET", "/volumes")).json()) as any;
    expect(list.volumes.map((v: any) => v.id)).not.toContain(c.id);
    const r = await t.req("GET", `/v3/${adminProject}/volumes`, { token: demo, service: "volume" });
    expect(r.status).toBe(400);
    expect(((await r.json()) as any).badRequest.message).toBe("Malformed request url");
  });

  test("unknown ids are a 404 itemNotFound; bad sizes a 400", async () => {
    const r = await asDemo().req("GET", "/volumes/nope");
    expect(r.status).toBe(404);
    expect(((await r.json()) as any).itemNotFound.code).toBe(404);
    for (const size of [0, -1, "ab", null]) expect((await create(asDemo(), { size })).status).toBe(400);
    expect((await create(asDemo(), { size: 1, volume_type: "no-such-type" })).status).toBe(404);
    expect((await create(asDemo(), { size: 1, snapshot_id: crypto.randomUUID() })).status).toBe(404);
    expect((await create(asDemo(), { size: 1, source_volid: crypto.randomUUID() })).status).toBe(404);
  });

  test("extend: smaller is a 400 and the volume stays as it was; larger grows the file", async () => {
    const c = await create();
    await settle();
    const bad = await asDemo().req("POST", `/volumes/${c.id}/action`, { "os-extend": { new_size: 1 } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).badRequest.message).toContain("greater than current size");
    expect((await show(c.id)).body.volume).toMatchObject({ status: "available", size: 1 });
    const ok = await asDemo().req("POST", `/volumes/${c.id}/action`, { "os-extend": { new_size: 2 } });
    expect(ok.status).toBe(202);
    expect((await show(c.id)).body.volume.status).toBe("extending");
    await settle();
    expect((await show(c.id)).body.volume).toMatchObject({ status: "available", size: 2 });
  });

  test("update, metadata and bootable", async () => {
    const c = await create();
    await settle();
    const u = await asDemo().req("PUT", `/volumes/${c.id}`, { volume: { name: "renamed", description: "d" } });
    expect(u.status).toBe(200);
    expect(((await u.json()) as any).volume).toMatchObject({ name: "renamed", description: "d" });
    await asDemo().req("PUT", `/volumes/${c.id}/metadata`, { metadata: { k1: "v1", k2: "v2" } });
    await asDemo().req("POST", `/volumes/${c.id}/metadata`, { metadata: { k3: "v3" } });
    expect((await asDemo().req("DELETE", `/volumes/${c.id}/metadata/k1`)).status).toBe(200);
    const m = (await (await asDemo().req("GET", `/volumes/${c.id}/metadata`)).json()) as any;
    expect(m.metadata).toEqual({ k2: "v2", k3: "v3" });
    const item = await asDemo().req("PUT", `/volumes/${c.id}/metadata/k2`, { meta: { k2: "new" } });
    expect(((await item.json()) as any).meta).toEqual({ k2: "new" });
    expect((await asDemo().req("GET", `/volumes/${c.id}/metadata/zz`)).status).toBe(404);
    expect((await asDemo().req("POST", `/volumes/${c.id}/action`, { "os-set_bootable": { bootable: true } })).status).toBe(200);
    expect((await show(c.id)).body.volume.bootable).toBe("true");
  });

  test("list: filters, sorting and paging with a next link", async () => {
    const p = V(admin, adminProject);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await create(p, { size: 1, name: `page-${i}`, metadata: { group: "paging" } })).id);
    await settle();
    const r = (await (await p.req("GET", `/volumes/detail?metadata=${encodeURIComponent("{'group': 'paging'}")}&sort=name:asc&limit=2`)).json()) as any;
    expect(r.volumes.map((v: any) => v.name)).toEqual(["page-0", "page-1"]);
    expect(r.volumes_links[0].rel).toBe("next");
    const next = new URL(r.volumes_links[0].href);
    const r2 = (await (await p.req("GET", `/volumes/detail${next.search}`)).json()) as any;
    expect(r2.volumes.map((v: any) => v.name)).toEqual(["page-2"]);
    const byName = (await (await p.req("GET", "/volumes?name=page-1")).json()) as any;
    expect(byName.volumes).toHaveLength(1);
    expect(Object.keys(byName.volumes[0]).sort()).toEqual(["id", "links", "name"]);
  });

  test("delete with snapshots is refused; cascade deletes both", async () => {
    const c = await create();
    await settle();
    const s = await asDemo().req("POST", "/snapshots", { snapshot: { volume_id: c.id, name: "s1" } });
    expect(s.status).toBe(202);
    const snap = ((await s.json()) as any).snapshot;
    await settle();
    const refused = await asDemo().req("DELETE", `/volumes/${c.id}`);
    expect(refused.status).toBe(400);
    expect((await show(c.id)).body.volume.status).toBe("available");
    expect((await asDemo().req("DELETE", `/volumes/${c.id}?cascade=true`)).status).toBe(202);
    await settle();
    expect((await show(c.id)).status).toBe(404);
    expect((await asDemo().req("GET", `/snapshots/${snap.id}`)).status).toBe(404);
    expect(existsSync(join(t.cloud.cfg.dataDir, "volumes", `snapshot-${snap.id}`))).toBe(false);
  });

  test("volume from a snapshot and from a volume are copies of the right size", async () => {
    const c = await create();
    await settle();
    const s = ((await (await asDemo().req("POST", "/snapshots", { snapshot: { volume_id: c.id } })).json()) as any).snapshot;
    await settle();
    expect(((await (await asDemo().req("GET", `/snapshots/${s.id}`)).json()) as any).snapshot.status).toBe("available");
    const small = await create(asDemo(), { size: 0 + 1, snapshot_id: s.id });
    expect(small.status).toBe(202);
    const bigger = await create(asDemo(), { size: 2, snapshot_id: s.id });
    const clone = await create(asDemo(), { source_volid: c.id });
    await settle();
    expect((await show(small.id)).body.volume).toMatchObject({ status: "available", size: 1, snapshot_id: s.id });
    expect((await show(bigger.id)).body.volume).toMatchObject({ status: "available", size: 2 });
    expect((await show(clone.id)).body.volume).toMatchObject({ status: "available", size: 1, source_volid: c.id });
    expect(statSync(join(t.cloud.cfg.dataDir, "volumes", `volume-${clone.id}`)).size).toBeGreaterThan(0);
  });

  test("a type asking for another backend finds no valid backend: error", async () => {
    const tr = await asAdmin().req("POST", "/types", { volume_type: { name: "elsewhere", extra_specs: { volume_backend_name: "lvm" } } });
    expect(tr.status).toBe(200);
    const c = await create(asAdmin(), { size: 1, volume_type: "elsewhere" });
    await settle();
    expect((await show(c.id, asAdmin())).body.volume.status).toBe("error");
    // The owner learns why from a user message (3.3+); demo's list does not show it.
    const h = { "OpenStack-API-Version": "volume 3.3" };
    const msgs = ((await (await asAdmin().req("GET", "/messages", undefined, h)).json()) as any).messages;
    const m = msgs.find((x: any) => x.resource_uuid === c.id);
    expect(m).toMatchObject({ event_id: "VOLUME_VOLUME_001_002", message_level: "ERROR", resource_type: "VOLUME" });
    expect(m.request_id).toMatch(/^req-/);
    const demoMsgs = ((await (await asDemo().req("GET", "/messages", undefined, h)).json()) as any).messages;
    expect(demoMsgs.some((x: any) => x.resource_uuid === c.id)).toBe(false);
    expect((await asAdmin().req("GET", "/messages")).status).toBe(404);
    expect((await asAdmin().req("DELETE", `/messages/${m.id}`, undefined, h)).status).toBe(204);
    expect((await asAdmin().req("GET", `/messages/${m.id}`, undefined, h)).status).toBe(404);
    expect((await asAdmin().req("DELETE", `/volumes/${c.id}`)).status).toBe(202);
    await settle();
  });
});

describe("quotas", () => {
  test("over the volumes quota is a 413 overLimit and nothing is created", async () => {
    // A fresh project of its own so other tests' volumes do not count.
    const proj = await t.req("POST", "/v3/projects", { token: admin, json: { project: { name: "quota-p", domain_id: "default" } } });
    const pid = ((await proj.json()) as any).project.id;
    const role = ((await (await t.req("GET", "/v3/roles?name=member", { token: admin })).json()) as any).roles[0].id;
    const uid = t.cloud.identity.client.userByName("demo")!.id;
    await t.req("PUT", `/v3/projects/${pid}/users/${uid}/roles/${role}`, { token: admin });
    const tok = await t.token("demo", "secret", "quota-p");
    const q = V(tok, pid);
    const put = await asAdmin().req("PUT", `/os-quota-sets/${pid}`, { quota_set: { volumes: 1, gigabytes: 3 } });
    expect(put.status).toBe(200);
    expect(((await put.json()) as any).quota_set.volumes).toBe(1);
    expect((await q.req("PUT", `/os-quota-sets/${pid}`, { quota_set: { volumes: 5 } })).status).toBe(403);

    const big = await create(q, { size: 4 });
    expect(big.status).toBe(413);
    expect(big.body.overLimit.message).toContain("exceed");
    expect((await create(q, { size: 1 })).status).toBe(202);
    const second = await create(q, { size: 1 });
    expect(second.status).toBe(413);
    expect(second.body.overLimit.code).toBe(413);
    const list = (await (await q.req("GET", "/volumes")).json()) as any;
    expect(list.volumes).toHaveLength(1);

    const usage = (await (await q.req("GET", `/os-quota-sets/${pid}?usage=true`)).json()) as any;
    expect(usage.quota_set.volumes).toEqual({ limit: 1, in_use: 1, reserved: 0, allocated: 0 });
    expect(usage.quota_set.gigabytes.in_use).toBe(1);
    const limits = (await (await q.req("GET", "/limits")).json()) as any;
    expect(limits.limits.absolute).toMatchObject({ maxTotalVolumes: 1, totalVolumesUsed: 1, totalGigabytesUsed: 1 });
    // Another project's quotas are not the member's to read.
    expect((await q.req("GET", `/os-quota-sets/${adminProject}`)).status).toBe(403);
    await settle();
  });

  test("concurrent creates never exceed the quota", async () => {
    const proj = await t.req("POST", "/v3/projects", { token: admin, json: { project: { name: "quota-race", domain_id: "default" } } });
    const pid = ((await proj.json()) as any).project.id;
    await asAdmin().req("PUT", `/os-quota-sets/${pid}`, { quota_set: { volumes: 3 } });
    const role = ((await (await t.req("GET", "/v3/roles?name=admin", { token: admin })).json()) as any).roles[0].id;
    const uid = t.cloud.identity.client.userByName("admin")!.id;
    await t.req("PUT", `/v3/projects/${pid}/users/${uid}/roles/${role}`, { token: admin });
    const tok = await t.token("admin", "secret", "quota-race");
    const results = await Promise.all(Array.from({ length: 10 }, () => create(V(tok, pid))));
    expect(results.filter((r) => r.status === 202)).toHaveLength(3);
    expect(results.filter((r) => r.status === 413)).toHaveLength(7);
    await settle();
  });
});

describe("snapshots and attachments", () => {
  test("snapshot of an in-use volume needs force (before 3.66); delete of an in-use volume is refused", async () => {
    const c = await create();
    await settle();
    // Attach through the 3.27 attachments API, as Nova does.
    const h = { "OpenStack-API-Version": "volume 3.44" };
    const a = await asDemo().req("POST", "/attachments", { attachment: { volume_uuid: c.id, instance_uuid: crypto.randomUUID() } }, h);
    expect(a.status).toBe(200);
    const att = ((await a.json()) as any).attachment;
    expect(att.status).toBe("reserved");
    expect((await show(c.id)).body.volume.status).toBe("reserved");
    const up = await asDemo().req("PUT", `/attachments/${att.id}`, { attachment: { connector: { host: "h1", mountpoint: "/dev/vdb" } } }, h);
    expect(((await up.json()) as any).attachment.connection_info.driver_volume_type).toBe("file");
    expect((await asDemo().req("POST", `/attachments/${att.id}/action`, { "os-complete": null }, h)).status).toBe(204);
    const inUse = (await show(c.id)).body.volume;
    expect(inUse.status).toBe("in-use");
    expect(inUse.attachments[0]).toMatchObject({ attachment_id: att.id, volume_id: c.id, host_name: "h1", device: "/dev/vdb" });

    const noForce = await asDemo().req("POST", "/snapshots", { snapshot: { volume_id: c.id } });
    expect(noForce.status).toBe(400);
    const del = await asDemo().req("DELETE", `/volumes/${c.id}`);
    expect(del.status).toBe(400);
    expect(((await del.json()) as any).badRequest.code).toBe(400);
    expect((await show(c.id)).body.volume.status).toBe("in-use");
    const forced = await asDemo().req("POST", "/snapshots", { snapshot: { volume_id: c.id, force: true } });
    expect(forced.status).toBe(202);
    const at366 = await asDemo().req("POST", "/snapshots", { snapshot: { volume_id: c.id } }, { "OpenStack-API-Version": "volume 3.66" });
    expect(at366.status).toBe(202);
    await settle();

    expect((await asDemo().req("DELETE", `/attachments/${att.id}`, undefined, h)).status).toBe(200);
    expect((await show(c.id)).body.volume).toMatchObject({ status: "available", attachments: [] });
  });

  test("legacy reserve/unreserve: a second reserve is a 400", async () => {
    const c = await create();
    await settle();
    expect((await asDemo().req("POST", `/volumes/${c.id}/action`, { "os-reserve": null })).status).toBe(202);
    expect((await show(c.id)).body.volume.status).toBe("attaching");
    expect((await asDemo().req("POST", `/volumes/${c.id}/action`, { "os-reserve": null })).status).toBe(400);
    expect((await asDemo().req("POST", `/volumes/${c.id}/action`, { "os-unreserve": null })).status).toBe(202);
    expect((await show(c.id)).body.volume.status).toBe("available");
  });
});

describe("types", () => {
  test("members cannot create types; the default type exists and cannot be deleted; a type in use cannot be deleted", async () => {
    expect((await asDemo().req("POST", "/types", { volume_type: { name: "x" } })).status).toBe(403);
    const def = (await (await asDemo().req("GET", "/types/default")).json()) as any;
    expect(def.volume_type.name).toBe("__DEFAULT__");
    expect((await asAdmin().req("DELETE", `/types/${def.volume_type.id}`)).status).toBe(400);
    const created = (await (await asAdmin().req("POST", "/types", { volume_type: { name: "gold", extra_specs: { a: "1" } } })).json()) as any;
    expect((await asAdmin().req("POST", "/types", { volume_type: { name: "gold" } })).status).toBe(409);
    const v = await create(asDemo(), { size: 1, volume_type: "gold" });
    expect(v.body.volume.volume_type).toBe("gold");
    expect((await asAdmin().req("DELETE", `/types/${created.volume_type.id}`)).status).toBe(400);
    await settle();
    await asDemo().req("DELETE", `/volumes/${v.id}`);
    await settle();
    expect((await asAdmin().req("DELETE", `/types/${created.volume_type.id}`)).status).toBe(202);
  });

  test("extra specs: set, show one, delete", async () => {
    const ty = ((await (await asAdmin().req("POST", "/types", { volume_type: { name: "specs" } })).json()) as any).volume_type;
    const set = await asAdmin().req("POST", `/types/${ty.id}/extra_specs`, { extra_specs: { k: "v", k2: "v2" } });
    expect(((await set.json()) as any).extra_specs).toEqual({ k: "v", k2: "v2" });
    expect(await (await asAdmin().req("GET", `/types/${ty.id}/extra_specs/k`)).json()).toEqual({ k: "v" });
    expect((await asAdmin().req("DELETE", `/types/${ty.id}/extra_specs/k`)).status).toBe(202);
    expect((await asAdmin().req("GET", `/types/${ty.id}/extra_specs/k`)).status).toBe(404);
    expect((await asDemo().req("GET", `/types/${ty.id}/extra_specs`)).status).toBe(403);
  });

  test("private types are visible only to projects given access", async () => {
    const ty = ((await (await asAdmin().req("POST", "/types", { volume_type: { name: "private-t", "os-volume-type-access:is_public": false } })).json()) as any).volume_type;
    expect((await asDemo().req("GET", `/types/${ty.id}`)).status).toBe(404);
    expect((await asAdmin().req("POST", `/types/${ty.id}/action`, { addProjectAccess: { project: demoProject } })).status).toBe(202);
    expect((await asDemo().req("GET", `/types/${ty.id}`)).status).toBe(200);
    const acc = (await (await asAdmin().req("GET", `/types/${ty.id}/os-volume-type-access`)).json()) as any;
    expect(acc.volume_type_access).toEqual([{ volume_type_id: ty.id, project_id: demoProject }]);
  });
});

describe("transfers", () => {
  test("offer (awaiting-transfer), wrong key refused, accept moves volume and snapshots to the other project", async () => {
    const c = await create(asAdmin());
    await settle();
    const snap = ((await (await asAdmin().req("POST", "/snapshots", { snapshot: { volume_id: c.id } })).json()) as any).snapshot;
    await settle();
    const r = await asAdmin().req("POST", "/os-volume-transfer", { transfer: { volume_id: c.id, name: "gift" } });
    expect(r.status).toBe(202);
    const tr = ((await r.json()) as any).transfer;
    expect(tr.auth_key).toBeTruthy();
    expect((await show(c.id, asAdmin())).body.volume.status).toBe("awaiting-transfer");
    // The receiving project cannot see the offer, only accept it with the key.
    expect((await asDemo().req("GET", `/os-volume-transfer/${tr.id}`)).status).toBe(404);
    const wrong = await asDemo().req("POST", `/os-volume-transfer/${tr.id}/accept`, { accept: { auth_key: "nope" } });
    expect(wrong.status).toBe(400);
    expect((await show(c.id, asAdmin())).body.volume.status).toBe("awaiting-transfer");
    const ok = await asDemo().req("POST", `/os-volume-transfer/${tr.id}/accept`, { accept: { auth_key: tr.auth_key } });
    expect(ok.status).toBe(202);
    const v = (await show(c.id)).body.volume;
    expect(v).toMatchObject({ status: "available", "os-vol-tenant-attr:tenant_id": demoProject });
    expect((await asDemo().req("GET", `/snapshots/${snap.id}`)).status).toBe(200);
    expect((await asAdmin().req("GET", `/os-volume-transfer/${tr.id}`)).status).toBe(404);
  });

  test("deleting an offer makes the volume available again; volume-transfers needs 3.55", async () => {
    const c = await create();
    await settle();
    expect((await asDemo().req("POST", "/volume-transfers", { transfer: { volume_id: c.id } })).status).toBe(404);
    const h = { "OpenStack-API-Version": "volume 3.57" };
    const r = await asDemo().req("POST", "/volume-transfers", { transfer: { volume_id: c.id } }, h);
    const tr = ((await r.json()) as any).transfer;
    expect(tr).toMatchObject({ volume_id: c.id, no_snapshots: false, source_project_id: demoProject, accepted: false });
    expect((await asDemo().req("DELETE", `/volume-transfers/${tr.id}`, undefined, h)).status).toBe(202);
    expect((await show(c.id)).body.volume.status).toBe("available");
  });
});


describe("qos specs", () => {
  test("admin-only; create, set and unset keys, associate with a type, delete refused while associated", async () => {
    expect((await asDemo().req("GET", "/qos-specs")).status).toBe(403);
    const r = await asAdmin().req("POST", "/qos-specs", { qos_specs: { name: "fast", consumer: "front-end", read_iops_sec: 100 } });
    expect(r.status).toBe(200);
    const q = ((await r.json()) as any).qos_specs;
    expect(q).toMatchObject({ name: "fast", consumer: "front-end", specs: { read_iops_sec: "100" } });
    expect((await asAdmin().req("POST", "/qos-specs", { qos_specs: { name: "fast" } })).status).toBe(409);
    await asAdmin().req("PUT", `/qos-specs/${q.id}`, { qos_specs: { write_iops_sec: "50" } });
    expect((await asAdmin().req("PUT", `/qos-specs/${q.id}/delete_keys`, { keys: ["read_iops_sec"] })).status).toBe(202);
    const shown = ((await (await asAdmin().req("GET", `/qos-specs/${q.id}`)).json()) as any).qos_specs;
    expect(shown.specs).toEqual({ write_iops_sec: "50" });
    const ty = ((await (await asAdmin().req("POST", "/types", { volume_type: { name: "qos-t" } })).json()) as any).volume_type;
    expect((await asAdmin().req("GET", `/qos-specs/${q.id}/associate?vol_type_id=${ty.id}`)).status).toBe(202);
    expect(((await (await asAdmin().req("GET", `/types/${ty.id}`)).json()) as any).volume_type.qos_specs_id).toBe(q.id);
    const assoc = ((await (await asAdmin().req("GET", `/qos-specs/${q.id}/associations`)).json()) as any).qos_associations;
    expect(assoc).toEqual([{ association_type: "volume_type", id: ty.id, name: "qos-t" }]);
    expect((await asAdmin().req("DELETE", `/qos-specs/${q.id}`)).status).toBe(400);
    expect((await asAdmin().req("DELETE", `/qos-specs/${q.id}?force=True`)).status).toBe(202);
    expect(((await (await asAdmin().req("GET", `/types/${ty.id}`)).json()) as any).volume_type.qos_specs_id).toBeNull();
  });

  test("APIs this cloud does not have answer 501, not a made-up success", async () => {
    const r = await asDemo().req("GET", "/groups/detail");
    expect(r.status).toBe(501);
    expect(((await r.json()) as any).notImplemented.message).toContain("groups");
  });
});

describe("backups", () => {
  test("backup (backing-up, then back to available), restore into a new volume with the metadata, delete", async () => {
    const c = await create(asDemo(), { size: 1, metadata: { app: "db" } });
    await settle();
    const r = await asDemo().req("POST", "/backups", { backup: { volume_id: c.id, name: "b1", container: "cont" } });
    expect(r.status).toBe(202);
    const b = ((await r.json()) as any).backup;
    expect((await show(c.id)).body.volume.status).toBe("backing-up");
    // A volume being backed up cannot be deleted.
    expect((await asDemo().req("DELETE", `/volumes/${c.id}`)).status).toBe(400);
    await settle();
    expect((await show(c.id)).body.volume.status).toBe("available");
    const shown = ((await (await asDemo().req("GET", `/backups/${b.id}`)).json()) as any).backup;
    expect(shown).toMatchObject({ status: "available", size: 1, volume_id: c.id, container: "cont", is_incremental: false });
    const limits = ((await (await asDemo().req("GET", "/limits")).json()) as any).limits.absolute;
    expect(limits.totalBackupsUsed).toBeGreaterThanOrEqual(1);

    const rr = await asDemo().req("POST", `/backups/${b.id}/restore`, { restore: { name: "restored" } });
    expect(rr.status).toBe(202);
    const restore = ((await rr.json()) as any).restore;
    expect(restore).toMatchObject({ backup_id: b.id, volume_name: "restored" });
    expect((await show(restore.volume_id)).body.volume.status).toBe("restoring-backup");
    await settle();
    const nv = (await show(restore.volume_id)).body.volume;
    expect(nv).toMatchObject({ status: "available", size: 1, metadata: { app: "db" } });

    // Lists are per project: the admin sees demo's backup only with all_tenants.
    const own = ((await (await asAdmin().req("GET", "/backups")).json()) as any).backups.map((x: any) => x.id);
    expect(own).not.toContain(b.id);
    const all = ((await (await asAdmin().req("GET", "/backups?all_tenants=1")).json()) as any).backups.map((x: any) => x.id);
    expect(all).toContain(b.id);

    // Incremental backups need a full one first and make it undeletable while they exist.
    const inc = ((await (await asDemo().req("POST", "/backups", { backup: { volume_id: c.id, incremental: true } })).json()) as any).backup;
    await settle();
    expect((await asDemo().req("DELETE", `/backups/${b.id}`)).status).toBe(400);
    expect((await asDemo().req("DELETE", `/backups/${inc.id}`)).status).toBe(202);
    await settle();
    expect((await asDemo().req("DELETE", `/backups/${b.id}`)).status).toBe(202);
    await settle();
    expect((await asDemo().req("GET", `/backups/${b.id}`)).status).toBe(404);
  });
});
