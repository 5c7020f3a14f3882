import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { md5hex, swiftTest, type SwiftTest } from "../testing.ts";

let s: SwiftTest;
let A: string;
beforeAll(async () => {
  s = await swiftTest();
  A = `/v1/${s.account}`;
});
afterAll(() => s.close());

describe("containers", () => {
  test("PUT 201 new, 202 existing; HEAD carries counters, policy, metadata", async () => {
    let res = await s.req("PUT", `${A}/box`, { headers: { "X-Container-Meta-Color": "red" } });
    expect(res.status).toBe(201);
    expect(res.headers.get("content-length")).toBe("0");
    res = await s.req("PUT", `${A}/box`, { headers: { "X-Container-Meta-Size": "big" } });
    expect(res.status).toBe(202);
    res = await s.req("HEAD", `${A}/box`);
    expect(res.status).toBe(204);
    expect(res.headers.get("x-container-object-count")).toBe("0");
    expect(res.headers.get("x-container-bytes-used")).toBe("0");
    expect(res.headers.get("x-storage-policy")).toBe("Policy-0");
    expect(res.headers.get("x-timestamp")).toMatch(/^\d+\.\d{5}$/);
    expect(res.headers.get("x-container-meta-color")).toBe("red");
    expect(res.headers.get("x-container-meta-size")).toBe("big");
    expect((await s.req("PUT", `${A}/pol`, { headers: { "X-Storage-Policy": "gold" } })).status).toBe(400);
    await s.req("PUT", `${A}/underscore`, { headers: { "X-Container-Meta-test_container_meta": "Meta1" } });
    expect((await s.req("HEAD", `${A}/underscore`)).headers.get("x-container-meta-test-container-meta")).toBe("Meta1");
  });

  test("bad names: over 256 bytes 400; a slash makes it an object path (404 without the container)", async () => {
    const res = await s.req("PUT", `${A}/${"c".repeat(257)}`);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("Container name length of 257 longer than 256");
    expect((await s.req("PUT", `${A}/${"é".repeat(128)}`)).status).toBe(201);
    expect((await s.req("PUT", `${A}/${"é".repeat(129)}`)).status).toBe(400);
    expect((await s.req("PUT", `${A}/no%2Fsuch`, { body: "" })).status).toBe(404);
  });

  test("GET/POST/DELETE of a missing container are 404", async () => {
    expect((await s.req("GET", `${A}/nope`)).status).toBe(404);
    expect((await s.req("HEAD", `${A}/nope`)).status).toBe(404);
    expect((await s.req("POST", `${A}/nope`)).status).toBe(404);
    expect((await s.req("DELETE", `${A}/nope`)).status).toBe(404);
  });

  test("object listings: formats, prefix/delimiter subdirs, markers, reverse", async () => {
    await s.req("PUT", `${A}/list`);
    for (const n of ["a.txt", "dir/one", "dir/two", "dir/sub/three", "z"])
      expect((await s.req("PUT", `${A}/list/${n}`, { body: n, headers: { "content-type": "text/plain" } })).status).toBe(201);
    const plain = await s.req("GET", `${A}/list`);
    expect(plain.status).toBe(200);
    expect(await plain.text()).toBe("a.txt\ndir/one\ndir/sub/three\ndir/two\nz\n");
    const t = async (qs: string) => (await (await s.req("GET", `${A}/list?${qs}`)).text()).trim().split("\n");
    expect(await t("delimiter=/")).toEqual(["a.txt", "dir/", "z"]);
    expect(await t("prefix=dir/&delimiter=/")).toEqual(["dir/one", "dir/sub/", "dir/two"]);
    expect(await t("marker=dir/one&end_marker=z")).toEqual(["dir/sub/three", "dir/two"]);
    expect(await t("reverse=1")).toEqual(["z", "dir/two", "dir/sub/three", "dir/one", "a.txt"]);
    expect(await t("limit=1")).toEqual(["a.txt"]);
    const json = (await (await s.req("GET", `${A}/list?format=json&delimiter=/`)).json()) as any[];
    expect(json[0]).toMatchObject({ name: "a.txt", bytes: 5, hash: md5hex("a.txt"), content_type: "text/plain" });
    expect(json[0].last_modified).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    expect(json[1]).toEqual({ subdir: "dir/" });
    const xml = await (await s.req("GET", `${A}/list?format=xml&delimiter=/`)).text();
    expect(xml).toContain('<container name="list"><object><name>a.txt</name><hash>');
    expect(xml).toContain('<subdir name="dir/"><name>dir/</name></subdir>');
    const head = await s.req("HEAD", `${A}/list`);
    expect(head.headers.get("x-container-object-count")).toBe("5");
    expect(head.headers.get("x-container-bytes-used")).toBe(String(5 + 7 + 7 + 13 + 1));
    // empty listing: plain 204, json []
    expect((await s.req("GET", `${A}/list?prefix=nothing`)).status).toBe(204);
    expect(await (await s.req("GET", `${A}/list?prefix=nothing&format=json`)).json()).toEqual([]);
  });

  test("DELETE: 409 while not empty, 204 once empty", async () => {
    await s.req("PUT", `${A}/full`);
    await s.req("PUT", `${A}/full/o`, { body: "x" });
    const res = await s.req("DELETE", `${A}/full`);
    expect(res.status).toBe(409);
    expect(res.headers.get("content-type")).toStartWith("text/html");
    expect((await s.req("DELETE", `${A}/full/o`)).status).toBe(204);
    expect((await s.req("DELETE", `${A}/full`)).status).toBe(204);
    expect((await s.req("HEAD", `${A}/full`)).status).toBe(404);
  });

  test("POST replaces metadata values and removes with X-Remove-", async () => {
    await s.req("PUT", `${A}/meta`, { headers: { "X-Container-Meta-A": "1", "X-Container-Meta-B": "2" } });
    expect((await s.req("POST", `${A}/meta`, { headers: { "X-Container-Meta-A": "3", "X-Remove-Container-Meta-B": "x" } })).status).toBe(204);
    const h = (await s.req("HEAD", `${A}/meta`)).headers;
    expect(h.get("x-container-meta-a")).toBe("3");
    expect(h.get("x-container-meta-b")).toBeNull();
  });
});

describe("ACLs", () => {
  test("another project: 403 without ACL; read ACL project:user grants reads, not writes", async () => {
    await s.req("PUT", `${A}/shared`);
    await s.req("PUT", `${A}/shared/doc`, { body: "hello" });
    expect((await s.req("GET", `${A}/shared`, { token: s.demo })).status).toBe(403);
    expect((await s.req("GET", `${A}/shared/doc`, { token: s.demo })).status).toBe(403);
    expect((await s.req("GET", `${A}/shared/doc`, { token: null })).status).toBe(401);
    let res = await s.req("POST", `${A}/shared`, { headers: { "X-Container-Read": `${s.demoProjectId}:${s.demoUserId}` } });
    expect(res.status).toBe(204);
    expect((await s.req("HEAD", `${A}/shared`)).headers.get("x-container-read")).toBe(`${s.demoProjectId}:${s.demoUserId}`);
    res = await s.req("GET", `${A}/shared/doc`, { token: s.demo });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("hello");
    res = await s.req("GET", `${A}/shared`, { token: s.demo });
    expect(res.status).toBe(200);
    // non-owners do not see the ACLs
    expect(res.headers.get("x-container-read")).toBeNull();
    expect((await s.req("PUT", `${A}/shared/new`, { token: s.demo, body: "x" })).status).toBe(403);
    expect((await s.req("DELETE", `${A}/shared/doc`, { token: s.demo })).status).toBe(403);
    expect((await s.req("POST", `${A}/shared`, { token: s.demo, headers: { "X-Container-Meta-X": "y" } })).status).toBe(403);
  });

  test("write ACL by names (demo:demo) grants object writes", async () => {
    await s.req("PUT", `${A}/dropbox`, { headers: { "X-Container-Write": "demo:demo" } });
    expect((await s.req("PUT", `${A}/dropbox/in`, { token: s.demo, body: "data" })).status).toBe(201);
    expect((await s.req("GET", `${A}/dropbox/in`, { token: s.demo })).status).toBe(403);
    expect((await s.req("GET", `${A}/dropbox/in`)).status).toBe(200);
  });

  test(".r:* grants anonymous object reads; listings need .rlistings", async () => {
    await s.req("PUT", `${A}/public`, { headers: { "X-Container-Read": ".r:*" } });
    await s.req("PUT", `${A}/public/page`, { body: "<p>hi</p>" });
    let res = await s.req("GET", `${A}/public/page`, { token: null });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("<p>hi</p>");
    expect((await s.req("GET", `${A}/public`, { token: null })).status).toBe(401);
    expect((await s.req("PUT", `${A}/public/x`, { token: null, body: "x" })).status).toBe(401);
    await s.req("POST", `${A}/public`, { headers: { "X-Container-Read": ".r:*,.rlistings" } });
    res = await s.req("GET", `${A}/public`, { token: null });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("page\n");
  });

  test("malformed ACLs are 400; referrers are not allowed in write ACLs", async () => {
    expect((await s.req("PUT", `${A}/badacl`, { headers: { "X-Container-Read": ".r:" } })).status).toBe(400);
    expect((await s.req("PUT", `${A}/badacl`, { headers: { "X-Container-Write": ".r:*" } })).status).toBe(400);
    expect((await s.req("PUT", `${A}/badacl`, { headers: { "X-Container-Read": ".x:y" } })).status).toBe(400);
    expect((await s.req("HEAD", `${A}/badacl`)).status).toBe(404);
  });
});
