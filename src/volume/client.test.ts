/**
 * The VolumeClient contract as Compute uses it (boot from volume, attach,
 * detach, delete_on_termination), on a volume service of its own whose image
 * client is an in-memory fake, so from-image and upload-to-image are tested
 * without Glance.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { testCloud, type TestCloud } from "../../test/harness.ts";
import { Bus } from "../core/bus.ts";
import { ApiError } from "../core/errors.ts";
import { silentLogger } from "../core/log.ts";
import type { ImageClient, ImageRef } from "../image/client.ts";
import { createVolume } from "./service.ts";

let t: TestCloud;
let svc: ReturnType<typeof createVolume>;
let bus: Bus;
let dataDir: string;
let project: string;
const uploads: { id: string; bytes: number }[] = [];

const image = (over: Partial<ImageRef>): ImageRef => ({
  id: crypto.randomUUID(),
  name: "img",
  status: "active",
  diskFormat: "raw",
  containerFormat: "bare",
  visibility: "public",
  owner: null,
  size: 4096,
  virtualSize: null,
  checksum: "abc",
  minDisk: 0,
  minRam: 64,
  protected: false,
  properties: { hw_disk_bus: "virtio", os_distro: "tiny" },
  tags: [],
  createdAt: "",
  updatedAt: "",
  ...over,
});
const images = new Map<string, ImageRef>();
const good = image({});
const queued = image({ status: "queued" });
const broken = image({ name: "broken" });
for (const i of [good, queued, broken]) images.set(i.id, i);

const fakeImages: ImageClient = {
  async getImage(_c, id) {
    return images.get(id);
  },
  async openData(_c, id) {
    const img = images.get(id);
    if (!img || img.id === broken.id) throw new ApiError(500, "the store lost the data");
    const bytes = new Uint8Array(4096).fill(7);
    return { image: img, size: bytes.length, body: new Response(bytes).body! };
  },
  async createImage(c, req) {
    const img = image({ name: req.name, status: "queued", owner: c.projectId, diskFormat: req.diskFormat ?? null, properties: req.properties ?? {} });
    images.set(img.id, img);
    return img;
  },
  async uploadData(_c, id, data) {
    let n = 0;
    for await (const chunk of data as unknown as AsyncIterable<Uint8Array>) n += chunk.length;
    uploads.push({ id, bytes: n });
    const img = { ...images.get(id)!, status: "active" as const, size: n };
    images.set(id, img);
    return img;
  },
  async deleteImage(_c, id) {
    images.delete(id);
  },
};

beforeAll(async () => {
  t = await testCloud();
  dataDir = mkdtempSync(join(tmpdir(), "tenrec-volume-client-"));
  bus = new Bus(t.cloud.db, silentLogger);
  svc = createVolume({
    db: t.cloud.db,
    bus,
    clock: t.cloud.clock,
    cfg: { ...t.cloud.cfg, dataDir, accessLog: false },
    log: silentLogger,
    identity: t.cloud.identity.client,
    image: fakeImages,
  });
  await svc.bootstrap();
  project = t.cloud.identity.client.projectByName("demo")!.id;
});
afterAll(async () => {
  await bus.drain();
  await t.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const caller = () => ({ projectId: project, isAdmin: false });

describe("VolumeClient", () => {
  test("createVolume waits until available; getVolume hides it from other projects", async () => {
    const v = await svc.client.createVolume(caller(), { size: 1, name: "boot" });
    expect(v).toMatchObject({ status: "available", size: 1, bootable: false, availabilityZone: "nova", attachments: [] });
    expect(existsSync(join(dataDir, "volumes", `volume-${v.id}`))).toBe(true);
    expect(await svc.client.getVolume({ projectId: "someone-else", isAdmin: false }, v.id)).toBeUndefined();
    expect((await svc.client.getVolume({ projectId: "someone-else", isAdmin: true }, v.id))?.id).toBe(v.id);
    // An instance in a compute zone Cinder does not have still gets its volume (cross_az_attach).
    const other = await svc.client.createVolume(caller(), { size: 1, availabilityZone: "az-2" });
    expect(other).toMatchObject({ status: "available", availabilityZone: "nova" });
  });

  test("from an image: bootable, the image's metadata copied, sized to the request", async () => {
    const v = await svc.client.createVolume(caller(), { size: 2, imageId: good.id });
    expect(v.bootable).toBe(true);
    expect(v.size).toBe(2);
    expect(v.imageMetadata).toMatchObject({ image_id: good.id, image_name: "img", disk_format: "raw", min_ram: "64", hw_disk_bus: "virtio", os_distro: "tiny" });
  });

  test("a missing or inactive image is refused at once (400); a failed copy ends in error", async () => {
    const missing = await svc.client.createVolume(caller(), { size: 1, imageId: crypto.randomUUID() }).catch((e) => e);
    expect(missing).toBeInstanceOf(ApiError);
    expect(missing.status).toBe(400);
    const q = await svc.client.createVolume(caller(), { size: 1, imageId: queued.id }).catch((e) => e);
    expect(q.status).toBe(400);
    const b = await svc.client.createVolume(caller(), { size: 1, imageId: broken.id }).catch((e) => e);
    expect(b).toBeInstanceOf(ApiError);
    expect(b.message).toContain("the store lost the data");
    const errored = t.cloud.db.all<{ status: string }>("SELECT status FROM volume_volumes WHERE image_id = ?", broken.id);
    expect(errored.map((r) => r.status)).toEqual(["error"]);
  });

  test("attach: reserve → complete → in-use with the file to plug in; detach → available", async () => {
    const v = await svc.client.createVolume(caller(), { size: 1 });
    const server = crypto.randomUUID();
    const { attachmentId } = await svc.client.reserveAttachment(caller(), v.id, server);
    expect((await svc.client.getVolume(caller(), v.id))!.status).toBe("reserved");
    // Not attachable twice (not multiattach): Cinder's InvalidVolume, a 400.
    const again = await svc.client.reserveAttachment(caller(), v.id, crypto.randomUUID()).catch((e) => e);
    expect(again.status).toBe(400);
    const conn = await svc.client.completeAttachment(caller(), attachmentId, { host: "compute-1", mountpoint: "/dev/vdb" });
    expect(conn).toEqual({ driverVolumeType: "file", path: join(dataDir, "volumes", `volume-${v.id}`), format: expect.stringMatching(/^(raw|qcow2)$/) });
    const inUse = (await svc.client.getVolume(caller(), v.id))!;
    expect(inUse.status).toBe("in-use");
    expect(inUse.attachments).toEqual([{ attachmentId, serverId: server, device: "/dev/vdb", attachedAt: expect.any(String) }]);
    // An in-use volume cannot be deleted.
    const del = await svc.client.deleteVolume(caller(), v.id).catch((e) => e);
    expect(del.status).toBe(400);
    await svc.client.deleteAttachment(caller(), attachmentId);
    const after = (await svc.client.getVolume(caller(), v.id))!;
    expect(after.status).toBe("available");
    expect(after.attachments).toEqual([]);
    // delete_on_termination: the delete waits until the volume is gone.
    await svc.client.deleteVolume(caller(), v.id);
    expect(await svc.client.getVolume(caller(), v.id)).toBeUndefined();
    expect(existsSync(join(dataDir, "volumes", `volume-${v.id}`))).toBe(false);
  });

  test("another project's attachment is not found", async () => {
    const v = await svc.client.createVolume(caller(), { size: 1 });
    const { attachmentId } = await svc.client.reserveAttachment(caller(), v.id, crypto.randomUUID());
    const e = await svc.client.deleteAttachment({ projectId: "other", isAdmin: false }, attachmentId).catch((x) => x);
    expect(e.status).toBe(404);
    expect((await svc.client.getVolume(caller(), v.id))!.status).toBe("reserved");
  });

  test("os-volume_upload_image streams the volume (as qcow2) into a new image and the volume returns to available", async () => {
    const v = await svc.client.createVolume(caller(), { size: 1, name: "to-upload", imageId: good.id });
    const tok = await t.token("demo", "secret", "demo");
    const r = await svc.app.fetch(
      new Request(`http://x/v3/${project}/volumes/${v.id}/action`, {
        method: "POST",
        headers: { "x-auth-token": tok, "content-type": "application/json" },
        body: JSON.stringify({ "os-volume_upload_image": { image_name: "from-volume", disk_format: "qcow2" } }),
      }),
    );
    expect(r.status).toBe(202);
    const out = ((await r.json()) as any)["os-volume_upload_image"];
    expect(out).toMatchObject({ status: "uploading", image_name: "from-volume", disk_format: "qcow2", container_format: "bare" });
    expect((await svc.client.getVolume(caller(), v.id))!.status).toBe("uploading");
    await bus.drain();
    expect((await svc.client.getVolume(caller(), v.id))!.status).toBe("available");
    const up = uploads.find((u) => u.id === out.image_id);
    // A qcow2 of a 1 GiB volume holding 4 KiB of data: small, but not empty.
    expect(up?.bytes).toBeGreaterThan(4096);
    expect(up!.bytes).toBeLessThan(16 * 1024 ** 2);
    expect(images.get(out.image_id)).toMatchObject({ status: "active", properties: { hw_disk_bus: "virtio", os_distro: "tiny" } });
  });

  test("os-reimage (3.68) rewrites an available volume from an image: downloading, then available and bootable", async () => {
    const v = await svc.client.createVolume(caller(), { size: 1 });
    const tok = await t.token("demo", "secret", "demo");
    const act = (mv: string) =>
      svc.app.fetch(
        new Request(`http://x/v3/${project}/volumes/${v.id}/action`, {
          method: "POST",
          headers: { "x-auth-token": tok, "content-type": "application/json", "OpenStack-API-Version": `volume ${mv}` },
          body: JSON.stringify({ "os-reimage": { image_id: good.id } }),
        }),
      );
    expect((await act("3.67")).status).toBe(400);
    expect((await act("3.68")).status).toBe(202);
    expect((await svc.client.getVolume(caller(), v.id))!.status).toBe("downloading");
    await bus.drain();
    const after = (await svc.client.getVolume(caller(), v.id))!;
    expect(after).toMatchObject({ status: "available", bootable: true });
    expect(after.imageMetadata.image_id).toBe(good.id);
  });
});
