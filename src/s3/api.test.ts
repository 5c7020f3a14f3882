import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { testCloud, type TestCloud } from "../../test/harness.ts";
import { join } from "node:path";
import { FsObjectStore } from "../objectstore/store.ts";
import { fromObjectStore } from "./store.ts";
import { createS3 } from "./service.ts";
import { sha256Hex } from "./sigv4.ts";
import { presignedUrl, signedRequest, type SignOpts } from "./testing.ts";
import { silentLogger } from "../core/log.ts";

let t: TestCloud;
let app: ReturnType<typeof createS3>["app"];
let keys: { access: string; secret: string; project: string };
let other: { access: string; secret: string; project: string };
const BASE = "http://127.0.0.1:9000";

/** EC2 credentials for a user in a project, through the identity API. */
export async function ec2Keys(t: TestCloud, user = "admin", password = "secret", project = user === "admin" ? "admin" : "demo") {
  const token = await t.token(user, password, project);
  const info = (await (await t.req("GET", "/v3/auth/tokens", { token, headers: { "x-subject-token": token } })).json()) as any;
  const uid = info.token.user.id;
  const pid = info.token.project.id;
  const res = await t.req("POST", `/v3/users/${uid}/credentials/OS-EC2`, { token, json: { tenant_id: pid } });
  if (res.status !== 201) throw new Error(`ec2 credential: ${res.status} ${await res.text()}`);
  const cred = ((await res.json()) as any).credential;
  return { access: cred.access as string, secret: cred.secret as string, project: pid as string };
}

type Opts = Omit<SignOpts, "access" | "secret" | "base" | "method" | "path"> & { as?: typeof keys; base?: string };

async function s3(method: string, path: string, o: Opts = {}): Promise<Response> {
  const k = o.as ?? keys;
  const req = await signedRequest({ base: BASE, ...o, method, path, access: k.access, secret: k.secret, payloadHash: o.payloadHash ?? sha256Hex(o.body ?? "") });
  return app.fetch(req);
}

async function xml(res: Response): Promise<string> {
  return res.text();
}

function tag(body: string, name: string): string[] {
  return [...body.matchAll(new RegExp(`<${name}>([^<]*)</${name}>`, "g"))].map((m) => m[1]!);
}

beforeAll(async () => {
  t = await testCloud();
  // The real store on the test cloud's data (its own directory), with tiny multipart parts allowed.
  const store = new FsObjectStore(t.cloud.db, join(t.cloud.cfg.dataDir, "objects-s3-test"), t.cloud.clock, silentLogger, 2 ** 40, 5);
  app = createS3({ store: fromObjectStore(store), identity: t.cloud.identity.client, cfg: t.cloud.cfg, log: silentLogger, clock: t.cloud.clock }).app;
  keys = await ec2Keys(t);
  other = await ec2Keys(t, "demo", "secret", "demo");
});
afterAll(() => t.close());

describe("auth and errors", () => {
  test("anonymous → 403 AccessDenied as S3 XML with request id headers", async () => {
    const res = await app.fetch(new Request(`${BASE}/`));
    expect(res.status).toBe(403);
    expect(res.headers.get("content-type")).toBe("application/xml");
    expect(res.headers.get("x-amz-request-id")).toBeTruthy();
    expect(res.headers.get("x-amz-id-2")).toBeTruthy();
    const body = await res.text();
    expect(body).toStartWith('<?xml version="1.0" encoding="UTF-8"?>');
    expect(tag(body, "Code")).toEqual(["AccessDenied"]);
    expect(tag(body, "RequestId")).toEqual([res.headers.get("x-amz-request-id")!]);
  });
  test("wrong secret → SignatureDoesNotMatch, unknown key → InvalidAccessKeyId", async () => {
    let res = await s3("GET", "/", { as: { ...keys, secret: "nope" } });
    expect(res.status).toBe(403);
    expect(tag(await xml(res), "Code")).toEqual(["SignatureDoesNotMatch"]);
    res = await s3("GET", "/", { as: { ...keys, access: "AKIAUNKNOWN" } });
    expect(res.status).toBe(403);
    expect(tag(await xml(res), "Code")).toEqual(["InvalidAccessKeyId"]);
  });
  test("a skewed clock → RequestTimeTooSkewed", async () => {
    const res = await s3("GET", "/", { date: new Date(Date.now() - 20 * 60_000) });
    expect(res.status).toBe(403);
    expect(tag(await xml(res), "Code")).toEqual(["RequestTimeTooSkewed"]);
  });
  test("a body that does not match x-amz-content-sha256 leaves nothing behind", async () => {
    await s3("PUT", "/shaguard");
    const res = await s3("PUT", "/shaguard/k", { body: "real", payloadHash: sha256Hex("other") });
    expect(res.status).toBe(400);
    expect(tag(await xml(res), "Code")).toEqual(["XAmzContentSHA256Mismatch"]);
    expect((await s3("HEAD", "/shaguard/k")).status).toBe(404);
  });
});

describe("buckets", () => {
  test("create (with LocationConstraint), list, head, location, conflict, delete", async () => {
    const cfg = `<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>RegionOne</LocationConstraint></CreateBucketConfiguration>`;
    expect((await s3("PUT", "/alpha", { body: cfg })).status).toBe(200);
    let res = await s3("PUT", "/alpha");
    expect(res.status).toBe(409);
    expect(tag(await xml(res), "Code")).toEqual(["BucketAlreadyOwnedByYou"]);
    res = await s3("GET", "/");
    const body = await xml(res);
    expect(tag(body, "Name")).toContain("alpha");
    expect(tag(body, "ID")).toEqual([keys.project]);
    expect((await s3("HEAD", "/alpha")).status).toBe(200);
    res = await s3("HEAD", "/missing-bucket");
    expect(res.status).toBe(404);
    expect(await res.text()).toBe("");
    res = await s3("GET", "/alpha", { query: { location: "" } });
    expect(await xml(res)).toContain(">RegionOne</LocationConstraint>");
    // Another project sees its own (empty) account.
    res = await s3("GET", "/", { as: other });
    expect(tag(await xml(res), "Name")).not.toContain("alpha");
    res = await s3("GET", "/alpha", { as: other });
    expect(res.status).toBe(404);
    expect(tag(await xml(res), "Code")).toEqual(["NoSuchBucket"]);
    expect(tag(await xml(await s3("PUT", "/Bad_Name"))!, "Code")).toEqual(["InvalidBucketName"]);
    await s3("PUT", "/alpha/x", { body: "1" });
    res = await s3("DELETE", "/alpha");
    expect(res.status).toBe(409);
    expect(tag(await xml(res), "Code")).toEqual(["BucketNotEmpty"]);
    await s3("DELETE", "/alpha/x");
    expect((await s3("DELETE", "/alpha")).status).toBe(204);
    expect((await s3("DELETE", "/alpha")).status).toBe(404);
  });
  test("virtual-hosted style", async () => {
    await s3("PUT", "/vhost");
    expect((await s3("PUT", "/k.txt", { base: "http://vhost.localhost:9000", body: "v" })).status).toBe(200);
    const res = await s3("GET", "/vhost/k.txt");
    expect(await res.text()).toBe("v");
    const list = await xml(await s3("GET", "/", { base: "http://vhost.localhost:9000", query: { "list-type": "2" } }));
    expect(tag(list, "Key")).toEqual(["k.txt"]);
  });
  test("unsupported sub-resources answer 501 or their NoSuch… code", async () => {
    await s3("PUT", "/subres");
    expect((await s3("PUT", "/subres", { query: { website: "" } })).status).toBe(501);
    const res = await s3("GET", "/subres", { query: { policy: "" } });
    expect(res.status).toBe(404);
    expect(tag(await xml(res), "Code")).toEqual(["NoSuchBucketPolicy"]);
  });
});

describe("objects", () => {
  beforeAll(async () => {
    await s3("PUT", "/objs");
  });
  test("put with Content-MD5 and metadata, get, head", async () => {
    const body = "hello, world";
    const md5 = new Bun.CryptoHasher("md5").update(body).digest();
    let res = await s3("PUT", "/objs/dir/hello world+.txt", {
      body,
      headers: { "content-md5": md5.toString("base64"), "content-type": "text/plain", "x-amz-meta-Color": "blue" },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("etag")).toBe(`"${md5.toString("hex")}"`);
    res = await s3("GET", "/objs/dir/hello world+.txt");
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(body);
    expect(res.headers.get("content-type")).toBe("text/plain");
    expect(res.headers.get("x-amz-meta-color")).toBe("blue");
    expect(res.headers.get("content-length")).toBe(String(body.length));
    expect(res.headers.get("last-modified")).toMatch(/GMT$/);
    res = await s3("HEAD", "/objs/dir/hello world+.txt");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBe(String(body.length));
    expect(await res.text()).toBe("");
  });
  test("bad Content-MD5 → 400 BadDigest and no object; missing key → NoSuchKey", async () => {
    const wrong = new Bun.CryptoHasher("md5").update("other").digest("base64");
    let res = await s3("PUT", "/objs/bad", { body: "data", headers: { "content-md5": wrong } });
    expect(res.status).toBe(400);
    expect(tag(await xml(res), "Code")).toEqual(["BadDigest"]);
    res = await s3("GET", "/objs/bad");
    expect(res.status).toBe(404);
    const body = await xml(res);
    expect(tag(body, "Code")).toEqual(["NoSuchKey"]);
    expect(tag(body, "Resource")).toEqual(["/objs/bad"]);
    res = await s3("PUT", "/objs/bad", { body: "data", headers: { "content-md5": "notbase64" } });
    expect(tag(await xml(res), "Code")).toEqual(["InvalidDigest"]);
  });
  test("ranges and conditionals", async () => {
    await s3("PUT", "/objs/range", { body: "0123456789" });
    let res = await s3("GET", "/objs/range", { headers: { range: "bytes=2-4" } });
    expect(res.status).toBe(206);
    expect(res.headers.get("content-range")).toBe("bytes 2-4/10");
    expect(await res.text()).toBe("234");
    res = await s3("GET", "/objs/range", { headers: { range: "bytes=7-" } });
    expect(await res.text()).toBe("789");
    res = await s3("GET", "/objs/range", { headers: { range: "bytes=-3" } });
    expect(await res.text()).toBe("789");
    res = await s3("GET", "/objs/range", { headers: { range: "bytes=10-" } });
    expect(res.status).toBe(416);
    expect(tag(await xml(res), "Code")).toEqual(["InvalidRange"]);
    const etag = (await s3("HEAD", "/objs/range")).headers.get("etag")!;
    expect((await s3("GET", "/objs/range", { headers: { "if-none-match": etag } })).status).toBe(304);
    expect((await s3("GET", "/objs/range", { headers: { "if-match": etag } })).status).toBe(200);
    res = await s3("GET", "/objs/range", { headers: { "if-match": '"abc"' } });
    expect(res.status).toBe(412);
    expect(tag(await xml(res), "Code")).toEqual(["PreconditionFailed"]);
    const future = new Date(Date.now() + 3600_000).toUTCString();
    const past = new Date(Date.now() - 3600_000).toUTCString();
    expect((await s3("GET", "/objs/range", { headers: { "if-modified-since": future } })).status).toBe(304);
    expect((await s3("GET", "/objs/range", { headers: { "if-unmodified-since": past } })).status).toBe(412);
    res = await s3("GET", "/objs/range", { query: { "response-content-type": "x/y", "response-content-disposition": "attachment" } });
    expect(res.headers.get("content-type")).toBe("x/y");
    expect(res.headers.get("content-disposition")).toBe("attachment");
  });
  test("delete (204 even when missing) and DeleteObjects", async () => {
    expect((await s3("DELETE", "/objs/never-there")).status).toBe(204);
    for (const k of ["d1", "d2", "d3"]) await s3("PUT", `/objs/${k}`, { body: k });
    const body = `<Delete><Object><Key>d1</Key></Object><Object><Key>d2</Key></Object><Object><Key>nope</Key></Object></Delete>`;
    const md5 = new Bun.CryptoHasher("md5").update(body).digest("base64");
    let res = await s3("POST", "/objs", { query: { delete: "" }, body, headers: { "content-md5": md5 } });
    expect(res.status).toBe(200);
    expect(tag(await xml(res), "Key")).toEqual(["d1", "d2", "nope"]);
    expect((await s3("HEAD", "/objs/d1")).status).toBe(404);
    expect((await s3("HEAD", "/objs/d3")).status).toBe(200);
    res = await s3("POST", "/objs", { query: { delete: "" }, body: "<Delete><Object>", headers: {} });
    expect(tag(await xml(res), "Code")).toEqual(["MalformedXML"]);
  });
  test("copy with COPY and REPLACE directives", async () => {
    await s3("PUT", "/objs/src", { body: "copy me", headers: { "x-amz-meta-a": "1", "content-type": "text/x" } });
    let res = await s3("PUT", "/objs/dst", { headers: { "x-amz-copy-source": "/objs/src" } });
    expect(res.status).toBe(200);
    const body = await xml(res);
    expect(body).toContain("<CopyObjectResult");
    expect(tag(body, "ETag")[0]).toBe(`&quot;${new Bun.CryptoHasher("md5").update("copy me").digest("hex")}&quot;`);
    res = await s3("GET", "/objs/dst");
    expect(await res.text()).toBe("copy me");
    expect(res.headers.get("x-amz-meta-a")).toBe("1");
    expect(res.headers.get("content-type")).toBe("text/x");
    await s3("PUT", "/objs/dst2", { headers: { "x-amz-copy-source": "objs/src", "x-amz-metadata-directive": "REPLACE", "x-amz-meta-b": "2", "content-type": "text/y" } });
    res = await s3("HEAD", "/objs/dst2");
    expect(res.headers.get("x-amz-meta-a")).toBeNull();
    expect(res.headers.get("x-amz-meta-b")).toBe("2");
    expect(res.headers.get("content-type")).toBe("text/y");
    res = await s3("PUT", "/objs/src", { headers: { "x-amz-copy-source": "/objs/src" } });
    expect(tag(await xml(res), "Code")).toEqual(["InvalidRequest"]);
    res = await s3("PUT", "/objs/x", { headers: { "x-amz-copy-source": "/objs/missing" } });
    expect(tag(await xml(res), "Code")).toEqual(["NoSuchKey"]);
  });
  test("presigned GET and a tampered one", async () => {
    await s3("PUT", "/objs/pre", { body: "presigned!" });
    const url = await presignedUrl({ access: keys.access, secret: keys.secret, method: "GET", base: BASE, path: "/objs/pre" });
    let res = await app.fetch(new Request(url));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("presigned!");
    res = await app.fetch(new Request(url.replace("/objs/pre", "/objs/src")));
    expect(res.status).toBe(403);
    expect(tag(await xml(res), "Code")).toEqual(["SignatureDoesNotMatch"]);
    const put = await presignedUrl({ access: keys.access, secret: keys.secret, method: "PUT", base: BASE, path: "/objs/pre-put" });
    res = await app.fetch(new Request(put, { method: "PUT", body: "via presigned PUT" }));
    expect(res.status).toBe(200);
    expect(await (await s3("GET", "/objs/pre-put")).text()).toBe("via presigned PUT");
  });
});

describe("listing", () => {
  const keysIn = ["a.txt", "b/1", "b/2", "c/d/1", "c/e", "z y"];
  beforeAll(async () => {
    await s3("PUT", "/lst");
    for (const k of keysIn) await s3("PUT", `/lst/${k}`, { body: k });
  });
  test("v2 with delimiter and pagination through continuation tokens", async () => {
    const seen: string[] = [];
    let token: string | undefined;
    for (let i = 0; i < 10; i++) {
      const q: Record<string, string> = { "list-type": "2", delimiter: "/", "max-keys": "2" };
      if (token) q["continuation-token"] = token;
      const body = await xml(await s3("GET", "/lst", { query: q }));
      seen.push(...tag(body, "Key"), ...tag(body, "Prefix").filter((p) => p));
      expect(Number(tag(body, "KeyCount")[0])).toBeLessThanOrEqual(2);
      if (tag(body, "IsTruncated")[0] !== "true") break;
      token = tag(body, "NextContinuationToken")[0];
    }
    expect(seen.sort()).toEqual(["a.txt", "b/", "c/", "z y"]);
  });
  test("prefix, start-after, encoding-type=url, v1 markers", async () => {
    let body = await xml(await s3("GET", "/lst", { query: { "list-type": "2", prefix: "c/" } }));
    expect(tag(body, "Key")).toEqual(["c/d/1", "c/e"]);
    body = await xml(await s3("GET", "/lst", { query: { "list-type": "2", "start-after": "b/2" } }));
    expect(tag(body, "Key")).toEqual(["c/d/1", "c/e", "z y"]);
    body = await xml(await s3("GET", "/lst", { query: { "list-type": "2", prefix: "z", "encoding-type": "url" } }));
    expect(tag(body, "Key")).toEqual(["z%20y"]);
    body = await xml(await s3("GET", "/lst", { query: { "max-keys": "2", delimiter: "/" } }));
    expect(tag(body, "IsTruncated")).toEqual(["true"]);
    expect(tag(body, "NextMarker")).toEqual(["b/"]);
    body = await xml(await s3("GET", "/lst", { query: { marker: "b/", delimiter: "/" } }));
    expect(tag(body, "Key")).toEqual(["z y"]);
    expect(tag(body, "Prefix").filter(Boolean)).toEqual(["c/"]);
  });
});

describe("multipart", () => {
  test("create, upload parts (one copied), list, complete with the md5-of-md5s ETag", async () => {
    await s3("PUT", "/mpu");
    await s3("PUT", "/mpu/source", { body: "XXXXXpart3XXXXX" });
    let body = await xml(await s3("POST", "/mpu/big", { query: { uploads: "" }, headers: { "x-amz-meta-k": "v" } }));
    const id = tag(body, "UploadId")[0]!;
    expect(id).toBeTruthy();
    const p1 = "part-one-"; // the test store's minimum part size is 5 bytes
    const p2 = "part-two-";
    const md5 = (s: string) => new Bun.CryptoHasher("md5").update(s).digest();
    let res = await s3("PUT", "/mpu/big", { query: { partNumber: "1", uploadId: id }, body: p1, headers: { "content-md5": md5(p1).toString("base64") } });
    expect(res.headers.get("etag")).toBe(`"${md5(p1).toString("hex")}"`);
    res = await s3("PUT", "/mpu/big", { query: { partNumber: "2", uploadId: id }, body: p2, headers: { "content-md5": md5("wrong").toString("base64") } });
    expect(tag(await xml(res), "Code")).toEqual(["BadDigest"]);
    await s3("PUT", "/mpu/big", { query: { partNumber: "2", uploadId: id }, body: p2 });
    res = await s3("PUT", "/mpu/big", { query: { partNumber: "3", uploadId: id }, headers: { "x-amz-copy-source": "/mpu/source", "x-amz-copy-source-range": "bytes=5-9" } });
    expect(await xml(res)).toContain("<CopyPartResult");
    body = await xml(await s3("GET", "/mpu/big", { query: { uploadId: id } }));
    expect(tag(body, "PartNumber")).toEqual(["1", "2", "3"]);
    body = await xml(await s3("GET", "/mpu", { query: { uploads: "" } }));
    expect(tag(body, "UploadId")).toEqual([id]);
    const etags = [p1, p2, "part3"].map((p) => md5(p).toString("hex"));
    const complete = (parts: [number, string][]) =>
      `<CompleteMultipartUpload>${parts.map(([n, e]) => `<Part><PartNumber>${n}</PartNumber><ETag>"${e}"</ETag></Part>`).join("")}</CompleteMultipartUpload>`;
    res = await s3("POST", "/mpu/big", { query: { uploadId: id }, body: complete([[2, etags[1]!], [1, etags[0]!]]) });
    expect(tag(await xml(res), "Code")).toEqual(["InvalidPartOrder"]);
    res = await s3("POST", "/mpu/big", { query: { uploadId: id }, body: complete([[1, etags[1]!]]) });
    expect(tag(await xml(res), "Code")).toEqual(["InvalidPart"]);
    res = await s3("POST", "/mpu/big", { query: { uploadId: id }, body: complete([[1, etags[0]!], [2, etags[1]!], [3, etags[2]!]]) });
    expect(res.status).toBe(200);
    const want = `${new Bun.CryptoHasher("md5").update(Buffer.concat(etags.map((e) => Buffer.from(e, "hex")))).digest("hex")}-3`;
    expect(tag(await xml(res), "ETag")).toEqual([`&quot;${want}&quot;`]);
    res = await s3("GET", "/mpu/big");
    expect(await res.text()).toBe(`${p1}${p2}part3`);
    expect(res.headers.get("etag")).toBe(`"${want}"`);
    expect(res.headers.get("x-amz-meta-k")).toBe("v");
  });
  test("abort, then the upload is gone", async () => {
    const id = tag(await xml(await s3("POST", "/mpu/gone", { query: { uploads: "" } })), "UploadId")[0]!;
    expect((await s3("DELETE", "/mpu/gone", { query: { uploadId: id } })).status).toBe(204);
    const res = await s3("GET", "/mpu/gone", { query: { uploadId: id } });
    expect(res.status).toBe(404);
    expect(tag(await xml(res), "Code")).toEqual(["NoSuchUpload"]);
  });
});
