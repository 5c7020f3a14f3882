import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash, createHmac } from "node:crypto";
import { md5hex, swiftTest, type SwiftTest } from "../testing.ts";

let s: SwiftTest;
let A: string;
const seg = (i: number, n = 1024) => Uint8Array.from({ length: n }, (_, j) => (i * 7 + j) & 0xff);
const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

beforeAll(async () => {
  s = await swiftTest();
  A = `/v1/${s.account}`;
  await s.req("PUT", `${A}/lo`);
  await s.req("PUT", `${A}/lo_segments`);
  for (let i = 0; i < 3; i++) await s.req("PUT", `${A}/lo_segments/file/${String(i).padStart(8, "0")}`, { body: seg(i) });
});
afterAll(() => s.close());

describe("DLO", () => {
  test("GET concatenates the segments by prefix; ETag is the quoted MD5 of their ETags", async () => {
    const res = await s.req("PUT", `${A}/lo/dlo`, { body: "", headers: { "x-object-manifest": "lo_segments/file/" } });
    expect(res.status).toBe(201);
    const get = await s.req("GET", `${A}/lo/dlo`);
    expect(get.status).toBe(200);
    const whole = concat([seg(0), seg(1), seg(2)]);
    expect(new Uint8Array(await get.arrayBuffer())).toEqual(whole);
    expect(get.headers.get("x-object-manifest")).toBe("lo_segments/file/");
    expect(get.headers.get("content-length")).toBe("3072");
    const etag = createHash("md5").update(md5hex(seg(0)) + md5hex(seg(1)) + md5hex(seg(2))).digest("hex");
    expect(get.headers.get("etag")).toBe(`"${etag}"`);
    const head = await s.req("HEAD", `${A}/lo/dlo`);
    expect(head.headers.get("content-length")).toBe("3072");
    const part = await s.req("GET", `${A}/lo/dlo`, { headers: { range: "bytes=1000-1100" } });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe("bytes 1000-1100/3072");
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(whole.slice(1000, 1101));
    // the manifest itself
    const mm = await s.req("GET", `${A}/lo/dlo?multipart-manifest=get`);
    expect(mm.headers.get("content-length")).toBe("0");
    expect((await s.req("PUT", `${A}/lo/bad`, { body: "", headers: { "x-object-manifest": "nocontainer" } })).status).toBe(400);
  });
});

describe("SLO", () => {
  const manifest = () => [0, 1, 2].map((i) => ({ path: `/lo_segments/file/${String(i).padStart(8, "0")}`, etag: md5hex(seg(i)), size_bytes: 1024 }));

  test("PUT ?multipart-manifest=put validates the segments; GET streams the concatenation", async () => {
    const res = await s.req("PUT", `${A}/lo/slo?multipart-manifest=put`, { body: JSON.stringify(manifest()) });
    expect(res.status).toBe(201);
    const sloEtag = createHash("md5").update(manifest().map((m) => m.etag).join("")).digest("hex");
    expect(res.headers.get("etag")).toBe(`"${sloEtag}"`);
    const get = await s.req("GET", `${A}/lo/slo`);
    expect(get.status).toBe(200);
    expect(get.headers.get("x-static-large-object")).toBe("True");
    expect(get.headers.get("etag")).toBe(`"${sloEtag}"`);
    expect(get.headers.get("content-length")).toBe("3072");
    const whole = concat([seg(0), seg(1), seg(2)]);
    expect(new Uint8Array(await get.arrayBuffer())).toEqual(whole);
    const part = await s.req("GET", `${A}/lo/slo`, { headers: { range: "bytes=-100" } });
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(whole.slice(-100));
    // listing shows the manifest
    const list = (await (await s.req("GET", `${A}/lo?format=json`)).json()) as any[];
    expect(list.find((e) => e.name === "slo")).toBeTruthy();
  });

  test("?multipart-manifest=get returns the stored manifest", async () => {
    const res = await s.req("GET", `${A}/lo/slo?multipart-manifest=get`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("application/json");
    const m = (await res.json()) as any[];
    expect(m.map((x) => x.name)).toEqual(manifest().map((x) => x.path));
    expect(m[0]).toMatchObject({ bytes: 1024, hash: md5hex(seg(0)) });
    const raw = (await (await s.req("GET", `${A}/lo/slo?multipart-manifest=get&format=raw`)).json()) as any[];
    expect(raw[1]).toEqual({ path: manifest()[1]!.path, etag: md5hex(seg(1)), size_bytes: 1024 });
  });

  test("mismatches are 400 with the problem segments; a bad ETag header is 422; nothing stored", async () => {
    const bad = manifest();
    bad[0]!.etag = md5hex("nope");
    bad[1]!.size_bytes = 5;
    bad[2]!.path = "/lo_segments/missing";
    let res = await s.req("PUT", `${A}/lo/bad?multipart-manifest=put`, { body: JSON.stringify(bad), headers: { accept: "application/json" } });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { Errors: [string, string][] };
    expect(body.Errors).toEqual([
      ["/lo_segments/file/00000000", "Etag Mismatch"],
      ["/lo_segments/file/00000001", "Size Mismatch"],
      ["/lo_segments/missing", "404 Not Found"],
    ]);
    res = await s.req("PUT", `${A}/lo/bad?multipart-manifest=put`, { body: "not json" });
    expect(res.status).toBe(400);
    res = await s.req("PUT", `${A}/lo/bad?multipart-manifest=put`, { body: JSON.stringify([{ path: "nocontainer" }]) });
    expect(res.status).toBe(400);
    res = await s.req("PUT", `${A}/lo/bad?multipart-manifest=put`, { body: JSON.stringify(manifest()), headers: { etag: md5hex("x") } });
    expect(res.status).toBe(422);
    expect((await s.req("HEAD", `${A}/lo/bad`)).status).toBe(404);
    expect((await s.req("PUT", `${A}/lo/x`, { body: "x", headers: { "x-static-large-object": "true" } })).status).toBe(400);
  });

  test("DELETE ?multipart-manifest=delete removes the segments too", async () => {
    await s.req("PUT", `${A}/del_segs`);
    for (let i = 0; i < 2; i++) await s.req("PUT", `${A}/del_segs/${i}`, { body: seg(i) });
    const m = [0, 1].map((i) => ({ path: `del_segs/${i}`, etag: null, size_bytes: null }));
    expect((await s.req("PUT", `${A}/lo/todelete?multipart-manifest=put`, { body: JSON.stringify(m) })).status).toBe(201);
    const res = await s.req("DELETE", `${A}/lo/todelete?multipart-manifest=delete`, { headers: { accept: "application/json" } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ "Number Deleted": 3, "Number Not Found": 0, "Response Status": "200 OK", Errors: [] });
    expect((await s.req("HEAD", `${A}/lo/todelete`)).status).toBe(404);
    expect((await s.req("GET", `${A}/del_segs`)).status).toBe(204);
  });
});

describe("TempURL", () => {
  const sign = (key: string, method: string, path: string, expires: number, digest = "sha256") =>
    createHmac(digest, key).update(`${method}\n${expires}\n${path}`).digest("hex");

  test("account and container keys, SHA1/256/512, method-bound, expiry", async () => {
    await s.req("POST", A, { headers: { "x-account-meta-temp-url-key": "acctkey" } });
    await s.req("PUT", `${A}/tu`, { headers: { "x-container-meta-temp-url-key": "contkey" } });
    await s.req("PUT", `${A}/tu/obj`, { body: "secret data", headers: { "x-object-meta-private": "p" } });
    const path = `${A}/tu/obj`;
    const exp = Math.floor(Date.now() / 1000) + 60;
    for (const [key, digest] of [
      ["acctkey", "sha1"],
      ["acctkey", "sha256"],
      ["contkey", "sha512"],
    ] as const) {
      const res = await s.req("GET", `${path}?temp_url_sig=${sign(key, "GET", path, exp, digest)}&temp_url_expires=${exp}`, { token: null });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe("secret data");
      expect(res.headers.get("content-disposition")).toBe(`attachment; filename="obj"; filename*=UTF-8''obj`);
      expect(res.headers.get("x-object-meta-private")).toBeNull();
    }
    // base64 form with a digest prefix
    const b64 = createHmac("sha512", "acctkey").update(`GET\n${exp}\n${path}`).digest("base64url");
    expect((await s.req("GET", `${path}?temp_url_sig=sha512:${b64}&temp_url_expires=${exp}`, { token: null })).status).toBe(200);
    // HEAD is allowed by a GET signature
    expect((await s.req("HEAD", `${path}?temp_url_sig=${sign("acctkey", "GET", path, exp)}&temp_url_expires=${exp}`, { token: null })).status).toBe(200);
    // wrong method, wrong key, expired
    expect((await s.req("PUT", `${path}?temp_url_sig=${sign("acctkey", "GET", path, exp)}&temp_url_expires=${exp}`, { token: null, body: "x" })).status).toBe(401);
    expect((await s.req("GET", `${path}?temp_url_sig=${sign("nokey", "GET", path, exp)}&temp_url_expires=${exp}`, { token: null })).status).toBe(401);
    const past = Math.floor(Date.now() / 1000) - 1;
    const res = await s.req("GET", `${path}?temp_url_sig=${sign("acctkey", "GET", path, past)}&temp_url_expires=${past}`, { token: null });
    expect(res.status).toBe(401);
    expect(await res.text()).toContain("Temp URL invalid");
    // a PUT URL uploads
    const up = `${A}/tu/uploaded`;
    expect((await s.req("PUT", `${up}?temp_url_sig=${sign("contkey", "PUT", up, exp)}&temp_url_expires=${exp}`, { token: null, body: "via tempurl" })).status).toBe(201);
    expect(await (await s.req("GET", up)).text()).toBe("via tempurl");
  });

  test("prefix-based URLs", async () => {
    const exp = Math.floor(Date.now() / 1000) + 60;
    const sig = sign("acctkey", "GET", `prefix:${A}/tu/ob`, exp);
    expect((await s.req("GET", `${A}/tu/obj?temp_url_sig=${sig}&temp_url_expires=${exp}&temp_url_prefix=ob`, { token: null })).status).toBe(200);
    expect((await s.req("GET", `${A}/tu/uploaded?temp_url_sig=${sig}&temp_url_expires=${exp}&temp_url_prefix=ob`, { token: null })).status).toBe(401);
  });
});

describe("bulk delete", () => {
  test("POST ?bulk-delete with a newline list; json and plain answers", async () => {
    await s.req("PUT", `${A}/bulk`);
    for (const n of ["a", "b c", "d"]) await s.req("PUT", `${A}/bulk/${encodeURIComponent(n)}`, { body: n });
    let res = await s.req("POST", `${A}?bulk-delete`, {
      body: ["/bulk/a", "/bulk/b%20c", "/bulk/missing", "/bulk"].join("\n"),
      headers: { "content-type": "text/plain", accept: "application/json" },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      "Response Status": "400 Bad Request",
      "Response Body": "",
      "Number Deleted": 2,
      "Number Not Found": 1,
      Errors: [["/bulk", "409 Conflict"]],
    });
    res = await s.req("POST", `${A}?bulk-delete`, { body: "/bulk/d\n/bulk\n", headers: { "content-type": "text/plain" } });
    expect(res.headers.get("content-type")).toStartWith("text/plain");
    expect(await res.text()).toBe("Number Deleted: 2\nNumber Not Found: 0\nResponse Body: \nResponse Status: 200 OK\nErrors:\n");
    expect((await s.req("HEAD", `${A}/bulk`)).status).toBe(404);
    // another project's token deletes nothing of ours
    await s.req("PUT", `${A}/keep`);
    res = await s.req("POST", `/v1/${s.demoAccount}?bulk-delete`, { token: s.demo, body: `/keep`, headers: { accept: "application/json" } });
    expect(((await res.json()) as any)["Number Not Found"]).toBe(1);
    expect((await s.req("HEAD", `${A}/keep`)).status).toBe(204);
    expect((await s.req("POST", `${A}?bulk-delete`, { token: s.demo, body: `/keep` })).status).toBe(403);
  });
});

describe("bulk upload (extract-archive)", () => {
  /** A minimal ustar archive of regular files and directories. */
  function tar(entries: { name: string; data?: string; dir?: boolean }[]): Uint8Array<ArrayBuffer> {
    const blocks: Uint8Array[] = [];
    const enc = new TextEncoder();
    for (const e of entries) {
      const h = new Uint8Array(512);
      const data = enc.encode(e.data ?? "");
      h.set(enc.encode(e.name), 0);
      h.set(enc.encode("0000644\0"), 100);
      h.set(enc.encode(data.length.toString(8).padStart(11, "0") + "\0"), 124);
      h.set(enc.encode("00000000000\0"), 136);
      h[156] = (e.dir ? "5" : "0").charCodeAt(0);
      h.set(enc.encode("ustar\x0000"), 257);
      h.fill(32, 148, 156);
      let sum = 0;
      for (const b of h) sum += b;
      h.set(enc.encode(sum.toString(8).padStart(6, "0") + "\0 "), 148);
      blocks.push(h);
      if (data.length) {
        const body = new Uint8Array(Math.ceil(data.length / 512) * 512);
        body.set(data);
        blocks.push(body);
      }
    }
    blocks.push(new Uint8Array(1024));
    const out = new Uint8Array(blocks.reduce((n, b) => n + b.length, 0));
    let o = 0;
    for (const b of blocks) {
      out.set(b, o);
      o += b.length;
    }
    return out;
  }

  test("an archive at the account: directories become containers, files objects", async () => {
    const archive = tar([
      { name: "tarbox/", dir: true },
      { name: "tarbox/one.txt", data: "first" },
      { name: "tarbox/sub/two", data: "x".repeat(700) },
      { name: "toplevel", data: "no container" },
    ]);
    const res = await s.req("PUT", `${A}?extract-archive=tar`, { body: archive, headers: { accept: "application/json" } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      "Number Files Created": 2,
      "Response Body": "",
      "Response Status": "400 Bad Request",
      Errors: [["/toplevel", "400 Bad Request"]],
    });
    expect(await (await s.req("GET", `${A}/tarbox/one.txt`)).text()).toBe("first");
    expect(await (await s.req("GET", `${A}/tarbox/sub/two`)).text()).toBe("x".repeat(700));
  });

  test("into a container, gzipped", async () => {
    await s.req("PUT", `${A}/tgz`);
    const gz = Bun.gzipSync(tar([{ name: "a", data: "A" }, { name: "b/c", data: "C" }]));
    const res = await s.req("PUT", `${A}/tgz?extract-archive=tar.gz`, { body: gz });
    expect(await res.text()).toBe("Number Files Created: 2\nResponse Body: \nResponse Status: 201 Created\nErrors:\n");
    expect(await (await s.req("GET", `${A}/tgz`)).text()).toBe("a\nb/c\n");
    expect((await s.req("PUT", `${A}/tgz?extract-archive=zip`, { body: "x" })).status).toBe(400);
  });
});
