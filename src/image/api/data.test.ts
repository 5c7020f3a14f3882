import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { bytes, glanceTest, md5, sha512, type GlanceTest } from "../testing.ts";
import { parseRange } from "./data.ts";

let g: GlanceTest;
beforeAll(async () => {
  g = await glanceTest({ imageSizeCap: 256 * 1024 });
});
afterAll(() => g.close());

const show = async (id: string, token?: string) => (await (await g.req("GET", `/v2/images/${id}`, { token })).json()) as any;

/** A body that yields `chunks` pieces and then fails, like a client that went away. */
function failing(chunks: number, size = 4096): ReadableStream<Uint8Array> {
  let n = 0;
  return new ReadableStream({
    pull(ctrl) {
      if (n++ < chunks) ctrl.enqueue(bytes(size, n));
      else ctrl.error(new Error("The connection was closed."));
    },
  });
}

describe("upload and download", () => {
  test("PUT file: queued → active with size, MD5 checksum, SHA-512; the data is an object of the service account", async () => {
    const img = await g.create({ name: "data" });
    const data = bytes(100_000);
    expect(await g.upload(img.id, data)).toBe(204);
    const s = await show(img.id);
    expect(s).toMatchObject({ status: "active", size: data.length, checksum: md5(data), os_hash_algo: "sha512", os_hash_value: sha512(data), virtual_size: data.length, stores: "swift" });
    const objs = await g.listObjects();
    expect(objs.find((o) => o.name === img.id)).toMatchObject({ bytes: data.length, etag: md5(data) });
  });

  test("GET file streams the bytes back with Content-MD5; Range gives 206; empty image 204", async () => {
    const img = await g.create();
    expect((await g.req("GET", `/v2/images/${img.id}/file`)).status).toBe(204);
    const data = bytes(70_000, 7);
    await g.upload(img.id, data);
    const r = await g.req("GET", `/v2/images/${img.id}/file`);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-md5")).toBe(md5(data));
    expect(r.headers.get("content-type")).toBe("application/octet-stream");
    expect(new Uint8Array(await r.arrayBuffer())).toEqual(data);
    const part = await g.req("GET", `/v2/images/${img.id}/file`, { headers: { range: "bytes=10-19" } });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 10-19/${data.length}`);
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(data.slice(10, 20));
    const tail = await g.req("GET", `/v2/images/${img.id}/file`, { headers: { range: "bytes=-5" } });
    expect(new Uint8Array(await tail.arrayBuffer())).toEqual(data.slice(-5));
    expect((await g.req("GET", `/v2/images/${img.id}/file`, { headers: { range: `bytes=${data.length}-` } })).status).toBe(416);
  });

  test("a chunked upload (no Content-Length) works the same", async () => {
    const img = await g.create();
    const data = bytes(50_000, 3);
    const body = new ReadableStream<Uint8Array>({
      start(ctrl) {
        for (let i = 0; i < data.length; i += 8192) ctrl.enqueue(data.slice(i, i + 8192));
        ctrl.close();
      },
    });
    const r = await g.req("PUT", `/v2/images/${img.id}/file`, { body });
    expect(r.status).toBe(204);
    expect((await show(img.id)).checksum).toBe(md5(data));
  });

  test("upload to an active image is 409; the data is unchanged", async () => {
    const img = await g.create();
    const data = bytes(1000, 5);
    await g.upload(img.id, data);
    expect(await g.upload(img.id, bytes(1000, 6))).toBe(409);
    expect((await show(img.id)).checksum).toBe(md5(data));
  });

  test("upload needs disk and container formats (400), and the owner (403/404)", async () => {
    const r = await g.req("POST", "/v2/images", { json: { name: "noformat" } });
    const img = (await r.json()) as any;
    expect(await g.upload(img.id, bytes(10))).toBe(400);
    expect((await show(img.id)).status).toBe("queued");
    const pub = await g.create({ visibility: "public" });
    expect(await g.upload(pub.id, bytes(10), g.demo)).toBe(403);
  });

  test("a body over the size cap is 413 in Glance's body; the image stays queued with no object", async () => {
    const img = await g.create({ name: "too-big" });
    const chunked = new ReadableStream<Uint8Array>({
      start(ctrl) {
        for (let i = 0; i < 40; i++) ctrl.enqueue(bytes(8192, i));
        ctrl.close();
      },
    });
    const r = await g.req("PUT", `/v2/images/${img.id}/file`, { body: chunked });
    expect(r.status).toBe(413);
    expect(((await r.json()) as any).message).toContain("262144");
    expect((await show(img.id)).status).toBe("queued");
    expect((await g.listObjects()).some((o) => o.name === img.id)).toBe(false);
    // A declared Content-Length over the cap is refused before any byte is read.
    const r2 = await g.req("PUT", `/v2/images/${img.id}/file`, { body: bytes(300 * 1024) });
    expect(r2.status).toBe(413);
    // And the image still takes a good upload afterwards.
    expect(await g.upload(img.id, bytes(1000))).toBe(204);
  });

  test("an interrupted upload returns the image to queued and leaves no object", async () => {
    const img = await g.create({ name: "interrupted" });
    const r = await g.req("PUT", `/v2/images/${img.id}/file`, { body: failing(5) });
    expect(r.status).toBe(400);
    const s = await show(img.id);
    expect(s).toMatchObject({ status: "queued", size: null, checksum: null });
    expect((await g.listObjects()).some((o) => o.name === img.id)).toBe(false);
    expect(await g.upload(img.id, bytes(10))).toBe(204);
  });

  test("deleting an image deletes its object", async () => {
    const img = await g.create();
    await g.upload(img.id, bytes(500));
    expect((await g.listObjects()).some((o) => o.name === img.id)).toBe(true);
    expect((await g.req("DELETE", `/v2/images/${img.id}`)).status).toBe(204);
    expect((await g.listObjects()).some((o) => o.name === img.id)).toBe(false);
  });
});

describe("virtual_size and format inspection", () => {
  test("qcow2: from qemu-img info (when installed)", async () => {
    if (!Bun.which("qemu-img")) return;
    const dir = (await import("node:fs")).mkdtempSync("/tmp/tenrec-img-test-");
    const path = `${dir}/d.qcow2`;
    const p = Bun.spawnSync(["qemu-img", "create", "-q", "-f", "qcow2", path, "64M"]);
    expect(p.exitCode).toBe(0);
    const img = await g.create({ disk_format: "qcow2" });
    expect(await g.upload(img.id, new Uint8Array(await Bun.file(path).arrayBuffer()))).toBe(204);
    expect((await show(img.id)).virtual_size).toBe(64 * 1024 * 1024);
    // A qcow2 with a backing file (here a host path) is refused: the image goes back to queued, no object stays.
    const child = `${dir}/child.qcow2`;
    expect(Bun.spawnSync(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", path, child]).exitCode).toBe(0);
    const backed = await g.create({ disk_format: "qcow2" });
    const r = await g.req("PUT", `/v2/images/${backed.id}/file`, { body: new Uint8Array(await Bun.file(child).arrayBuffer()) });
    expect(r.status).toBe(400);
    expect(((await r.json()) as any).message).toContain("backing file");
    expect((await show(backed.id)).status).toBe("queued");
    expect((await g.listObjects()).some((o) => o.name === backed.id)).toBe(false);
    const junk = await g.create({ disk_format: "qcow2" });
    await g.upload(junk.id, bytes(2000));
    expect((await show(junk.id)).virtual_size).toBeNull();
    (await import("node:fs")).rmSync(dir, { recursive: true, force: true });
  });
});

describe("interoperable import", () => {
  test("glance-direct: stage → uploading, import → active, a task with the request id", async () => {
    const img = await g.create({ name: "imported" });
    const data = bytes(20_000, 9);
    const st = await g.req("PUT", `/v2/images/${img.id}/stage`, { body: data });
    expect(st.status).toBe(204);
    expect((await show(img.id)).status).toBe("uploading");
    expect(await g.upload(img.id, data)).toBe(409);
    const r = await g.req("POST", `/v2/images/${img.id}/import`, { json: { method: { name: "glance-direct" } } });
    expect(r.status).toBe(202);
    let s: any;
    for (let i = 0; i < 100; i++) {
      s = await show(img.id);
      if (s.status === "active") break;
      await Bun.sleep(10);
    }
    expect(s).toMatchObject({ status: "active", size: data.length, checksum: md5(data), stores: "swift" });
    const tasks = ((await (await g.req("GET", `/v2/images/${img.id}/tasks`)).json()) as any).tasks;
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ status: "success", request_id: r.headers.get("x-openstack-request-id"), image_id: img.id });
    expect(tasks[0].input.import_req.method.name).toBe("glance-direct");
    expect(((await (await g.req("GET", `/v2/tasks/${tasks[0].id}`)).json()) as any).id).toBe(tasks[0].id);
    expect((await g.req("GET", `/v2/tasks/${tasks[0].id}`, { token: g.demo })).status).toBe(404);
    const mine = ((await (await g.req("GET", "/v2/tasks")).json()) as any).tasks.map((t: any) => t.id);
    expect(mine).toContain(tasks[0].id);
    const dl = await g.req("GET", `/v2/images/${img.id}/file`);
    expect(new Uint8Array(await dl.arrayBuffer())).toEqual(data);
    expect(await g.listObjects("glance-staging")).toEqual([]);
  });

  test("import without staged data is 409; an unknown method 400", async () => {
    const img = await g.create();
    expect((await g.req("POST", `/v2/images/${img.id}/import`, { json: { method: { name: "glance-direct" } } })).status).toBe(409);
    expect((await g.req("POST", `/v2/images/${img.id}/import`, { json: { method: { name: "copy-image" } } })).status).toBe(400);
    expect((await g.req("POST", `/v2/images/${img.id}/import`, { json: { method: { name: "web-download", uri: "gopher://x" } } })).status).toBe(400);
    expect((await show(img.id)).status).toBe("queued");
  });

  test("glance-download copies another image of this cloud; a bad id is 400, a missing one fails the task", async () => {
    const src = await g.create({ hw_cpu_cores: "5", speed: "88mph", disk_format: "raw" });
    const data = bytes(3000, 4);
    await g.upload(src.id, data);
    const dst = await g.create({ disk_format: "iso", container_format: "ovf" });
    const bad = await g.req("POST", `/v2/images/${dst.id}/import`, { json: { method: { name: "glance-download", glance_image_id: "foo", glance_region: "RegionOne" } } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).message).toContain("image id does not look like a UUID");
    const go = async (id: string, srcId: string) => {
      const r = await g.req("POST", `/v2/images/${id}/import`, { json: { method: { name: "glance-download", glance_image_id: srcId, glance_region: "RegionOne", glance_service_interface: "public" } } });
      expect(r.status).toBe(202);
      for (let i = 0; i < 100; i++) {
        const tasks = ((await (await g.req("GET", `/v2/images/${id}/tasks`)).json()) as any).tasks;
        if (tasks.every((t: any) => t.status !== "processing")) return tasks;
        await Bun.sleep(10);
      }
      throw new Error("import did not finish");
    };
    const tasks = await go(dst.id, src.id);
    expect(tasks[0].status).toBe("success");
    const s = await show(dst.id);
    expect(s).toMatchObject({ status: "active", disk_format: "raw", container_format: "bare", hw_cpu_cores: "5", checksum: md5(data) });
    expect(s.speed).toBeUndefined();
    const other = await g.create();
    const failed = await go(other.id, crypto.randomUUID());
    expect(failed[0].status).toBe("failure");
    expect((await show(other.id)).status).toBe("queued");
  });
});

describe("web-download", () => {
  const waitImport = async (id: string) => {
    for (let i = 0; i < 200; i++) {
      const s = await show(id);
      if (s.status !== "importing") return s;
      await Bun.sleep(10);
    }
    throw new Error("import did not finish");
  };

  test("fetches the URL into the image; a failed fetch sets os_glance_failed_import and leaves it queued", async () => {
    const data = bytes(40_000, 11);
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: (r) => (new URL(r.url).pathname === "/img" ? new Response(data) : new Response("no", { status: 404 })) });
    try {
      const img = await g.create({ name: "web" });
      const r = await g.req("POST", `/v2/images/${img.id}/import`, { json: { method: { name: "web-download", uri: `http://127.0.0.1:${server.port}/img` } } });
      expect(r.status).toBe(202);
      const s = await waitImport(img.id);
      expect(s).toMatchObject({ status: "active", size: data.length, checksum: md5(data), os_glance_failed_import: "", os_glance_importing_to_stores: "" });
      const bad = await g.create({ name: "web-bad" });
      await g.req("POST", `/v2/images/${bad.id}/import`, { json: { method: { name: "web-download", uri: `http://127.0.0.1:${server.port}/missing` } } });
      const b = await waitImport(bad.id);
      expect(b).toMatchObject({ status: "queued", os_glance_failed_import: "swift" });
      expect((await g.listObjects()).some((o) => o.name === bad.id)).toBe(false);
    } finally {
      server.stop(true);
    }
  });
});

describe("parseRange", () => {
  test("forms and edge cases", () => {
    expect(parseRange("bytes=0-9", 100)).toEqual({ start: 0, end: 10 });
    expect(parseRange("bytes=90-", 100)).toEqual({ start: 90, end: 100 });
    expect(parseRange("bytes=-10", 100)).toEqual({ start: 90, end: 100 });
    expect(parseRange("bytes=95-200", 100)).toEqual({ start: 95, end: 100 });
    expect(parseRange("bytes=100-", 100)).toBeNull();
    expect(parseRange("bytes=5-1", 100)).toBeUndefined();
    expect(parseRange("items=1-2", 100)).toBeUndefined();
  });
});
