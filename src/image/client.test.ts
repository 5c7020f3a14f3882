import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ImageClient } from "./client.ts";
import { bytes, glanceTest, md5, type GlanceTest } from "./testing.ts";

let g: GlanceTest;
let client: ImageClient;
beforeAll(async () => {
  g = await glanceTest();
  client = g.image.client;
});
afterAll(() => g.close());

const stream = (b: Uint8Array) => new Blob([b]).stream();

describe("ImageClient (what Compute and Block Storage call)", () => {
  const alice = () => ({ projectId: g.demoProject, isAdmin: false });
  const bob = { projectId: "another-project", isAdmin: false };

  test("createImage with data: active, owned by the caller, hashed", async () => {
    const data = bytes(5000, 2);
    const ref = await client.createImage(alice(), { name: "snap", diskFormat: "raw", containerFormat: "bare", properties: { image_type: "snapshot", instance_uuid: "i-1" } }, stream(data));
    expect(ref).toMatchObject({ name: "snap", status: "active", owner: g.demoProject, size: 5000, checksum: md5(data), visibility: "shared", properties: { image_type: "snapshot", instance_uuid: "i-1" } });
    const shown = (await (await g.req("GET", `/v2/images/${ref.id}`, { token: g.demo })).json()) as any;
    expect(shown.image_type).toBe("snapshot");
  });

  test("createImage without data stays queued; uploadData then makes it active", async () => {
    const ref = await client.createImage(alice(), { name: "later", diskFormat: "qcow2", containerFormat: "bare" });
    expect(ref.status).toBe("queued");
    const data = bytes(1234, 3);
    const up = await client.uploadData(alice(), ref.id, stream(data));
    expect(up).toMatchObject({ status: "active", size: 1234 });
  });

  test("getImage follows visibility (undefined for what the caller may not see); openData streams the bytes", async () => {
    const data = bytes(4000, 4);
    const ref = await client.createImage(alice(), { name: "private", diskFormat: "raw", containerFormat: "bare", visibility: "private" }, stream(data));
    expect(await client.getImage(bob, ref.id)).toBeUndefined();
    expect(await client.getImage({ projectId: "x", isAdmin: true }, ref.id)).toBeDefined();
    expect(await client.getImage(alice(), crypto.randomUUID())).toBeUndefined();
    const open = await client.openData(alice(), ref.id);
    expect(open.size).toBe(4000);
    expect(new Uint8Array(await new Response(open.body).arrayBuffer())).toEqual(data);
    await expect(client.openData(bob, ref.id)).rejects.toMatchObject({ status: 404 });
  });

  test("openData of a queued image is refused; deleteImage removes it", async () => {
    const ref = await client.createImage(alice(), { name: "queued" });
    await expect(client.openData(alice(), ref.id)).rejects.toMatchObject({ status: 409 });
    await expect(client.deleteImage(bob, ref.id)).rejects.toMatchObject({ status: 404 });
    await client.deleteImage(alice(), ref.id);
    expect(await client.getImage(alice(), ref.id)).toBeUndefined();
  });

  test("a failed createImage with data leaves no image behind", async () => {
    const before = (await (await g.req("GET", "/v2/images?name=broken")).json()) as any;
    expect(before.images).toEqual([]);
    const bad = new ReadableStream<Uint8Array>({
      pull(ctrl) {
        ctrl.error(new Error("The connection was closed."));
      },
    });
    await expect(client.createImage(alice(), { name: "broken", diskFormat: "raw", containerFormat: "bare" }, bad)).rejects.toBeDefined();
    const after = (await (await g.req("GET", "/v2/images?name=broken")).json()) as any;
    expect(after.images).toEqual([]);
  });
});

describe("registerLocalImage (bootstrap)", () => {
  test("registers a public image from a file, idempotent by name", async () => {
    const svc = g.image;
    const dir = mkdtempSync("/tmp/tenrec-image-reg-");
    const path = join(dir, "tiny.img");
    const data = bytes(9000, 8);
    writeFileSync(path, data);
    const a = await svc.registerLocalImage({ name: "tenrec-tiny", path, diskFormat: "raw", properties: { os_distro: "busybox" } });
    expect(a).toMatchObject({ status: "active", visibility: "public", size: 9000, checksum: md5(data), properties: { os_distro: "busybox" } });
    const b = await svc.registerLocalImage({ name: "tenrec-tiny", path, diskFormat: "raw" });
    expect(b.id).toBe(a.id);
    const listed = (await (await g.req("GET", "/v2/images?name=tenrec-tiny", { token: g.demo })).json()) as any;
    expect(listed.images.map((i: any) => i.id)).toEqual([a.id]);
    rmSync(dir, { recursive: true, force: true });
  });
});

