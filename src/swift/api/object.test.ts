import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { md5hex, swiftTest, type SwiftTest } from "../testing.ts";

let s: SwiftTest;
let C: string;
beforeAll(async () => {
  s = await swiftTest({ maxObjectSize: 64 * 1024 });
  C = `/v1/${s.account}/objs`;
  await s.req("PUT", C);
});
afterAll(() => s.close());

const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

describe("PUT", () => {
  test("201 with the unquoted MD5 as ETag; GET returns the bytes with Swift's headers", async () => {
    const data = bytes(3000);
    const res = await s.req("PUT", `${C}/a/b.bin`, {
      body: data,
      headers: { "content-type": "application/x-thing", "x-object-meta-Color": "blue", "content-disposition": "inline" },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("etag")).toBe(md5hex(data));
    expect(res.headers.get("last-modified")).toBeTruthy();
    const get = await s.req("GET", `${C}/a/b.bin`);
    expect(get.status).toBe(200);
    expect(new Uint8Array(await get.arrayBuffer())).toEqual(data);
    const h = get.headers;
    expect(h.get("etag")).toBe(md5hex(data));
    expect(h.get("content-type")).toBe("application/x-thing");
    expect(h.get("content-length")).toBe("3000");
    expect(h.get("accept-ranges")).toBe("bytes");
    expect(h.get("x-object-meta-color")).toBe("blue");
    expect(h.get("content-disposition")).toBe("inline");
    expect(h.get("x-timestamp")).toMatch(/^\d+\.\d{5}$/);
    expect(h.get("last-modified")).toMatch(/GMT$/);
    const head = await s.req("HEAD", `${C}/a/b.bin`);
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe("3000");
    expect(await head.text()).toBe("");
  });

  test("a wrong ETag is 422 and leaves nothing behind; a quoted right one is accepted", async () => {
    const res = await s.req("PUT", `${C}/bad`, { body: "hello", headers: { etag: md5hex("other") } });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain("Unprocessable Entity");
    expect((await s.req("HEAD", `${C}/bad`)).status).toBe(404);
    expect((await s.req("PUT", `${C}/good`, { body: "hello", headers: { etag: `"${md5hex("hello")}"` } })).status).toBe(201);
  });

  test("chunked transfer (a stream of unknown length)", async () => {
    const parts = [bytes(1000, 1), bytes(2000, 2), bytes(10, 3)];
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (const p of parts) c.enqueue(p);
        c.close();
      },
    });
    const res = await s.req("PUT", `${C}/chunked`, { body: stream });
    expect(res.status).toBe(201);
    const all = new Uint8Array(3010);
    all.set(parts[0]!, 0);
    all.set(parts[1]!, 1000);
    all.set(parts[2]!, 3000);
    expect(res.headers.get("etag")).toBe(md5hex(all));
    expect(new Uint8Array(await (await s.req("GET", `${C}/chunked`)).arrayBuffer())).toEqual(all);
  });

  test("too large: 413 by Content-Length and by a chunked body; nothing left", async () => {
    const big = bytes(64 * 1024 + 1);
    expect((await s.req("PUT", `${C}/big`, { body: big })).status).toBe(413);
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(big);
        c.close();
      },
    });
    expect((await s.req("PUT", `${C}/big`, { body: stream })).status).toBe(413);
    expect((await s.req("HEAD", `${C}/big`)).status).toBe(404);
  });

  test("names: object over 1024 bytes 400; missing container 404; no length 411", async () => {
    const res = await s.req("PUT", `${C}/${"o".repeat(1025)}`, { body: "x" });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("Object name length of 1025 longer than 1024");
    expect((await s.req("PUT", `${C}/${"o".repeat(1024)}`, { body: "x" })).status).toBe(201);
    expect((await s.req("PUT", `/v1/${s.account}/nocontainer/o`, { body: "x" })).status).toBe(404);
    expect((await s.req("PUT", `${C}/nolength`)).status).toBe(411);
  });

  test("Content-Type guessed from the name when absent", async () => {
    await s.req("PUT", `${C}/page.html`, { body: "<p>" });
    expect((await s.req("HEAD", `${C}/page.html`)).headers.get("content-type")).toBe("text/html");
    await s.req("PUT", `${C}/noext`, { body: "x" });
    expect((await s.req("HEAD", `${C}/noext`)).headers.get("content-type")).toBe("application/octet-stream");
  });

  test("If-None-Match: * refuses to overwrite (412)", async () => {
    expect((await s.req("PUT", `${C}/once`, { body: "1", headers: { "if-none-match": "*" } })).status).toBe(201);
    expect((await s.req("PUT", `${C}/once`, { body: "2", headers: { "if-none-match": "*" } })).status).toBe(412);
  });
});

describe("GET", () => {
  const data = bytes(1000, 7);
  beforeAll(async () => {
    await s.req("PUT", `${C}/ranged`, { body: data, headers: { "content-type": "application/octet-stream" } });
  });

  test("Range: 206 with Content-Range; suffix and open ranges; 416 when unsatisfiable", async () => {
    let res = await s.req("GET", `${C}/ranged`, { headers: { range: "bytes=10-19" } });
    expect(res.status).toBe(206);
    expect(res.headers.get("content-range")).toBe("bytes 10-19/1000");
    expect(res.headers.get("content-length")).toBe("10");
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(data.slice(10, 20));
    res = await s.req("GET", `${C}/ranged`, { headers: { range: "bytes=-5" } });
    expect(res.headers.get("content-range")).toBe("bytes 995-999/1000");
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(data.slice(995));
    res = await s.req("GET", `${C}/ranged`, { headers: { range: "bytes=990-" } });
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(data.slice(990));
    res = await s.req("GET", `${C}/ranged`, { headers: { range: "bytes=5000-6000" } });
    expect(res.status).toBe(416);
    expect(res.headers.get("content-range")).toBe("bytes */1000");
    // malformed: the whole object
    expect((await s.req("GET", `${C}/ranged`, { headers: { range: "bytes=a-b" } })).status).toBe(200);
  });

  test("several ranges: multipart/byteranges", async () => {
    const res = await s.req("GET", `${C}/ranged`, { headers: { range: "bytes=0-1,10-11" } });
    expect(res.status).toBe(206);
    const ct = res.headers.get("content-type")!;
    expect(ct).toStartWith("multipart/byteranges;boundary=");
    const boundary = ct.split("boundary=")[1]!;
    const body = Buffer.from(await res.arrayBuffer());
    expect(Number(res.headers.get("content-length"))).toBe(body.length);
    const text = body.toString("latin1");
    expect(text).toContain(`--${boundary}\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes 0-1/1000\r\n\r\n`);
    expect(text).toContain("Content-Range: bytes 10-11/1000");
    expect(text.endsWith(`--${boundary}--`)).toBe(true);
  });

  test("conditionals: If-None-Match/If-Modified-Since → 304, If-Match/If-Unmodified-Since → 412", async () => {
    const etag = md5hex(data);
    const lm = (await s.req("HEAD", `${C}/ranged`)).headers.get("last-modified")!;
    let res = await s.req("GET", `${C}/ranged`, { headers: { "if-none-match": `"${etag}"` } });
    expect(res.status).toBe(304);
    expect(res.headers.get("etag")).toBe(etag);
    expect(await res.text()).toBe("");
    expect((await s.req("GET", `${C}/ranged`, { headers: { "if-none-match": "other" } })).status).toBe(200);
    expect((await s.req("GET", `${C}/ranged`, { headers: { "if-match": etag } })).status).toBe(200);
    expect((await s.req("GET", `${C}/ranged`, { headers: { "if-match": "other" } })).status).toBe(412);
    expect((await s.req("HEAD", `${C}/ranged`, { headers: { "if-match": "other" } })).status).toBe(412);
    expect((await s.req("GET", `${C}/ranged`, { headers: { "if-modified-since": lm } })).status).toBe(304);
    expect((await s.req("GET", `${C}/ranged`, { headers: { "if-modified-since": "Mon, 01 Jan 2001 00:00:00 GMT" } })).status).toBe(200);
    expect((await s.req("GET", `${C}/ranged`, { headers: { "if-unmodified-since": "Mon, 01 Jan 2001 00:00:00 GMT" } })).status).toBe(412);
    expect((await s.req("GET", `${C}/ranged`, { headers: { "if-unmodified-since": lm } })).status).toBe(200);
  });

  test("missing object 404", async () => {
    const res = await s.req("GET", `${C}/nothing`);
    expect(res.status).toBe(404);
    expect(await res.text()).toBe("<html><h1>Not Found</h1><p>The resource could not be found.</p></html>");
  });
});

describe("metadata names and values", () => {
  test("`_` in a name reads as `-`; an empty object metadata value is kept", async () => {
    await s.req("PUT", `${C}/meta_names`, { body: "x", headers: { "X-Object-Meta-test_meta": "v", "X-Object-Meta-Empty": "" } });
    const h = (await s.req("HEAD", `${C}/meta_names`)).headers;
    expect(h.get("x-object-meta-test-meta")).toBe("v");
    expect(h.get("x-object-meta-empty")).toBe("");
    const copy = await s.req("COPY", `${C}/meta_names`, { headers: { destination: "objs/meta_copy", "x-object-meta-new": "n" } });
    expect(copy.headers.get("x-object-meta-test-meta")).toBe("v");
    expect(copy.headers.get("x-object-meta-new")).toBe("n");
  });
});

describe("POST, DELETE, expiry", () => {
  test("POST replaces the metadata (202)", async () => {
    await s.req("PUT", `${C}/m`, { body: "x", headers: { "x-object-meta-a": "1", "x-object-meta-b": "2" } });
    const res = await s.req("POST", `${C}/m`, { headers: { "x-object-meta-c": "3", "content-type": "text/x-new" } });
    expect(res.status).toBe(202);
    const h = (await s.req("HEAD", `${C}/m`)).headers;
    expect(h.get("x-object-meta-a")).toBeNull();
    expect(h.get("x-object-meta-c")).toBe("3");
    expect(h.get("content-type")).toBe("text/x-new");
    expect((await s.req("POST", `${C}/missing`, { headers: { "x-object-meta-c": "3" } })).status).toBe(404);
  });

  test("DELETE 204, then 404", async () => {
    await s.req("PUT", `${C}/del`, { body: "x" });
    const res = await s.req("DELETE", `${C}/del`);
    expect(res.status).toBe(204);
    expect(res.headers.get("content-length")).toBeNull();
    expect((await s.req("DELETE", `${C}/del`)).status).toBe(404);
  });

  test("X-Delete-After hides the object once due; bad values are 400", async () => {
    let res = await s.req("PUT", `${C}/temp`, { body: "x", headers: { "x-delete-after": "60" } });
    expect(res.status).toBe(201);
    res = await s.req("HEAD", `${C}/temp`);
    const at = Number(res.headers.get("x-delete-at"));
    expect(at).toBeGreaterThan(Date.now() / 1000);
    s.t.cloud.clock.advance(61_000);
    try {
      expect((await s.req("GET", `${C}/temp`)).status).toBe(404);
    } finally {
      s.t.cloud.clock.advance(-61_000);
    }
    expect((await s.req("PUT", `${C}/t2`, { body: "x", headers: { "x-delete-after": "soon" } })).status).toBe(400);
    expect((await s.req("PUT", `${C}/t2`, { body: "x", headers: { "x-delete-at": "1000" } })).status).toBe(400);
  });
});

describe("copy", () => {
  test("COPY with Destination keeps the metadata and merges new", async () => {
    await s.req("PUT", `${C}/src`, { body: "copy me", headers: { "x-object-meta-a": "1", "content-type": "text/plain" } });
    const res = await s.req("COPY", `${C}/src`, { headers: { destination: "objs/dst", "x-object-meta-b": "2" } });
    expect(res.status).toBe(201);
    expect(res.headers.get("x-copied-from")).toBe("objs/src");
    expect(res.headers.get("etag")).toBe(md5hex("copy me"));
    const get = await s.req("GET", `${C}/dst`);
    expect(await get.text()).toBe("copy me");
    expect(get.headers.get("x-object-meta-a")).toBe("1");
    expect(get.headers.get("x-object-meta-b")).toBe("2");
    expect(get.headers.get("content-type")).toBe("text/plain");
  });

  test("PUT with X-Copy-From (and X-Fresh-Metadata)", async () => {
    const res = await s.req("PUT", `${C}/dst2`, { body: "", headers: { "x-copy-from": "/objs/src", "x-fresh-metadata": "true" } });
    expect(res.status).toBe(201);
    const get = await s.req("GET", `${C}/dst2`);
    expect(await get.text()).toBe("copy me");
    expect(get.headers.get("x-object-meta-a")).toBeNull();
    expect((await s.req("PUT", `${C}/dst3`, { body: "", headers: { "x-copy-from": "nonsense" } })).status).toBe(412);
    expect((await s.req("PUT", `${C}/dst3`, { body: "", headers: { "x-copy-from": "objs/none" } })).status).toBe(404);
    expect((await s.req("COPY", `${C}/src`)).status).toBe(412);
  });

  test("copy into another project's container needs its write ACL", async () => {
    await s.req("PUT", `/v1/${s.demoAccount}/inbox`, { token: s.demo });
    await s.req("PUT", `/v1/${s.demoAccount}/inbox/x`, { token: s.demo, body: "from demo" });
    const copy = () =>
      s.req("COPY", `/v1/${s.demoAccount}/inbox/x`, {
        token: s.demo,
        headers: { destination: "objs/from-demo", "destination-account": s.account },
      });
    expect((await copy()).status).toBe(403);
    await s.req("POST", C, { headers: { "x-container-write": `${s.demoProjectId}:*` } });
    const res = await copy();
    expect(res.status).toBe(201);
    expect(res.headers.get("x-copied-from-account")).toBe(s.demoAccount);
    expect(await (await s.req("GET", `${C}/from-demo`)).text()).toBe("from demo");
    // reading the source also needs rights
    expect((await s.req("COPY", `${C}/src`, { token: s.demo, headers: { destination: "objs/again" } })).status).toBe(403);
  });
});
