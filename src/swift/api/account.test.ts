import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { TRANS_ID } from "../transid.ts";
import { swiftTest, type SwiftTest } from "../testing.ts";

let s: SwiftTest;
beforeAll(async () => {
  s = await swiftTest();
});
afterAll(() => s.close());

describe("info and transport", () => {
  test("GET /info lists what is implemented, with limits", async () => {
    const res = await s.req("GET", "/info", { token: null });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("application/json");
    const info = (await res.json()) as any;
    expect(info.swift.max_file_size).toBe(5 * 1024 ** 3 + 2);
    expect(info.swift.container_listing_limit).toBe(10000);
    expect(info.swift.max_object_name_length).toBe(1024);
    expect(info.swift.max_container_name_length).toBe(256);
    expect(info.slo.max_manifest_segments).toBeGreaterThan(0);
    expect(info.tempurl.methods).toEqual(["GET", "HEAD", "PUT", "POST", "DELETE"]);
    expect(info.tempurl.allowed_digests).toEqual(["sha1", "sha256", "sha512"]);
    expect(info.bulk_delete.max_deletes_per_request).toBe(10000);
    expect(info.bulk_upload.max_containers_per_extraction).toBe(10000);
    expect(info.staticweb).toBeUndefined();
  });

  test("every response carries a transaction id, Date and Content-Type", async () => {
    for (const [m, p, token] of [
      ["GET", "/info", null],
      ["HEAD", `/v1/${s.account}`, undefined],
      ["GET", `/v1/${s.account}/missing`, undefined],
      ["GET", `/v1/${s.account}`, null],
      ["GET", "/nowhere", null],
    ] as const) {
      const res = await s.req(m, p, { token });
      const tx = res.headers.get("x-trans-id");
      expect(tx).toMatch(TRANS_ID);
      expect(res.headers.get("x-openstack-request-id")).toBe(tx);
      expect(res.headers.get("date")).toBeTruthy();
      expect(res.headers.get("content-type")).toBeTruthy();
    }
  });
});

describe("account", () => {
  test("401 without a token, 401 with a bad one, 403 for another project's account", async () => {
    expect((await s.req("GET", `/v1/${s.account}`, { token: null })).status).toBe(401);
    expect((await s.req("GET", `/v1/${s.account}`, { token: "nope" })).status).toBe(401);
    const res = await s.req("GET", `/v1/${s.account}`, { token: s.demo });
    expect(res.status).toBe(403);
    expect(res.headers.get("content-type")).toStartWith("text/html");
    // admin is the reseller admin: any account
    expect((await s.req("HEAD", `/v1/${s.demoAccount}`)).status).toBe(204);
  });

  test("an empty account: HEAD 204 with counters, GET plain 204, json []", async () => {
    const head = await s.req("HEAD", `/v1/${s.demoAccount}`, { token: s.demo });
    expect(head.status).toBe(204);
    expect(head.headers.get("x-account-container-count")).toBe("0");
    expect(head.headers.get("x-account-object-count")).toBe("0");
    expect(head.headers.get("x-account-bytes-used")).toBe("0");
    expect(head.headers.get("x-timestamp")).toMatch(/^\d+\.\d{5}$/);
    expect(await head.text()).toBe("");
    const plain = await s.req("GET", `/v1/${s.demoAccount}`, { token: s.demo });
    expect(plain.status).toBe(204);
    const json = await s.req("GET", `/v1/${s.demoAccount}?format=json`, { token: s.demo });
    expect(json.status).toBe(200);
    expect(await json.json()).toEqual([]);
  });

  test("container listing in plain, json (format or Accept) and xml with query options", async () => {
    for (const c of ["a1", "a2", "b1", "b2/x", "c"]) {
      if (c.includes("/")) continue;
      expect((await s.req("PUT", `/v1/${s.account}/${c}`)).status).toBe(201);
    }
    await s.req("PUT", `/v1/${s.account}/b-sub`);
    const plain = await s.req("GET", `/v1/${s.account}`);
    expect(plain.status).toBe(200);
    expect(plain.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(await plain.text()).toBe("a1\na2\nb-sub\nb1\nc\n");
    const json = await s.req("GET", `/v1/${s.account}`, { headers: { accept: "application/json" } });
    expect(json.headers.get("content-type")).toBe("application/json; charset=utf-8");
    const rows = (await json.json()) as any[];
    expect(rows.map((r) => r.name)).toEqual(["a1", "a2", "b-sub", "b1", "c"]);
    expect(rows[0]).toMatchObject({ count: 0, bytes: 0 });
    expect(rows[0].last_modified).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    const q = async (qs: string) => (await (await s.req("GET", `/v1/${s.account}?${qs}`)).text()).trim().split("\n");
    expect(await q("prefix=a")).toEqual(["a1", "a2"]);
    expect(await q("marker=a2")).toEqual(["b-sub", "b1", "c"]);
    expect(await q("end_marker=b1")).toEqual(["a1", "a2", "b-sub"]);
    expect(await q("limit=2")).toEqual(["a1", "a2"]);
    expect(await q("reverse=true&limit=2")).toEqual(["c", "b1"]);
    expect(await q("delimiter=-")).toEqual(["a1", "a2", "b-", "b1", "c"]);
    const xml = await s.req("GET", `/v1/${s.account}?format=xml&prefix=c`);
    expect(xml.headers.get("content-type")).toBe("application/xml; charset=utf-8");
    const body = await xml.text();
    expect(body).toStartWith('<?xml version="1.0" encoding="UTF-8"?>');
    expect(body).toContain(`<account name="${s.account}">`);
    expect(body).toContain("<container><name>c</name><count>0</count><bytes>0</bytes>");
    expect((await s.req("GET", `/v1/${s.account}?limit=10001`)).status).toBe(412);
    expect((await s.req("GET", `/v1/${s.account}`, { headers: { accept: "image/png" } })).status).toBe(406);
    const head = await s.req("HEAD", `/v1/${s.account}`);
    expect(head.headers.get("x-account-container-count")).toBe("5");
  });

  test("POST sets and removes account metadata; Temp-URL keys only for the owner", async () => {
    let res = await s.req("POST", `/v1/${s.demoAccount}`, {
      token: s.demo,
      headers: { "X-Account-Meta-Color": "blue", "X-Account-Meta-Temp-URL-Key": "k1" },
    });
    expect(res.status).toBe(204);
    res = await s.req("HEAD", `/v1/${s.demoAccount}`, { token: s.demo });
    expect(res.headers.get("x-account-meta-color")).toBe("blue");
    expect(res.headers.get("x-account-meta-temp-url-key")).toBe("k1");
    res = await s.req("POST", `/v1/${s.demoAccount}`, { token: s.demo, headers: { "X-Remove-Account-Meta-Color": "x" } });
    expect(res.status).toBe(204);
    res = await s.req("HEAD", `/v1/${s.demoAccount}`, { token: s.demo });
    expect(res.headers.get("x-account-meta-color")).toBeNull();
    res = await s.req("POST", `/v1/${s.demoAccount}`, { token: s.demo, headers: { ["X-Account-Meta-" + "x".repeat(129)]: "v" } });
    expect(res.status).toBe(400);
    // another project may not
    expect((await s.req("POST", `/v1/${s.account}`, { token: s.demo, headers: { "X-Account-Meta-A": "b" } })).status).toBe(403);
  });

  test("PUT and DELETE of an account are not allowed", async () => {
    expect((await s.req("PUT", `/v1/${s.account}`)).status).toBe(405);
    expect((await s.req("DELETE", `/v1/${s.account}`)).status).toBe(405);
  });

  test("a bad path: unknown version 400, invalid UTF-8 412", async () => {
    expect((await s.req("GET", `/v2/${s.account}`)).status).toBe(400);
    expect((await s.req("GET", `/v1/${s.account}/%FF%FE`)).status).toBe(412);
  });
});
