import { describe, expect, test } from "bun:test";
import { S3Error } from "./errors.ts";
import { awsEncode, canonicalQuery, queryPairs, verifySigV4, UNSIGNED, sha256Hex } from "./sigv4.ts";
import { presignedUrl, signedRequest } from "./testing.ts";

const ACCESS = "AKIDEXAMPLE";
const SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const secretOf = (a: string) => (a === ACCESS ? { userId: "u1", projectId: "p1", secret: SECRET } : undefined);
const BASE = "http://127.0.0.1:9000";
const opts = (now = Date.now()) => ({ now, regions: ["RegionOne", "us-east-1"] });

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof S3Error) return e.type;
    throw e;
  }
  return undefined;
}

describe("canonical pieces", () => {
  test("AWS URI encoding", () => {
    expect(awsEncode("a b+c*~!'()/é", true)).toBe("a%20b%2Bc%2A~%21%27%28%29/%C3%A9");
    expect(awsEncode("a/b")).toBe("a%2Fb");
  });
  test("query sorted by encoded name then value, bare names get =", () => {
    expect(canonicalQuery(queryPairs("uploads&prefix=a%2Fb&b=2&b=1&list-type=2"))).toBe("b=1&b=2&list-type=2&prefix=a%2Fb&uploads=");
  });
});

describe("header signatures (reference signer: @smithy/signature-v4)", () => {
  const cases: [string, Parameters<typeof signedRequest>[0]][] = [
    ["GET with query", { access: ACCESS, secret: SECRET, method: "GET", base: BASE, path: "/bucket", query: { "list-type": "2", prefix: "photos/2024 ", delimiter: "/" }, payloadHash: sha256Hex("") }],
    ["PUT with body and odd key", { access: ACCESS, secret: SECRET, method: "PUT", base: BASE, path: "/bucket/dir/a b+c(1)*~é.txt", body: "hello", headers: { "content-type": "text/plain", "x-amz-meta-color": "  blue   green " } }],
    ["unsigned payload", { access: ACCESS, secret: SECRET, method: "PUT", base: BASE, path: "/b/k", body: "x", payloadHash: UNSIGNED }],
    ["us-east-1 region", { access: ACCESS, secret: SECRET, region: "us-east-1", method: "HEAD", base: BASE, path: "/b", payloadHash: sha256Hex("") }],
    ["subresource without value", { access: ACCESS, secret: SECRET, method: "POST", base: BASE, path: "/b/k", query: { uploads: "" }, payloadHash: sha256Hex("") }],
    ["virtual host", { access: ACCESS, secret: SECRET, method: "GET", base: "http://bucket.localhost:9000", path: "/key", payloadHash: sha256Hex("") }],
  ];
  for (const [name, o] of cases) {
    test(name, async () => {
      const hash = o.payloadHash ?? sha256Hex(o.body ?? "");
      const req = await signedRequest({ ...o, payloadHash: hash });
      const auth = verifySigV4(req, secretOf, opts());
      expect(auth).toMatchObject({ accessKey: ACCESS, userId: "u1", projectId: "p1", presigned: false, payloadHash: hash });
    });
  }

  test("tampering with a signed header, the path, the query or the method fails", async () => {
    const o = { access: ACCESS, secret: SECRET, method: "GET", base: BASE, path: "/b/k", query: { a: "1" }, headers: { "x-amz-meta-a": "1" }, payloadHash: sha256Hex("") };
    const req = await signedRequest(o);
    const tamper = (url: string, method = "GET", h?: [string, string]) => {
      const headers = new Headers(req.headers);
      if (h) headers.set(h[0], h[1]);
      return codeOf(() => verifySigV4({ method, url, headers }, secretOf, opts()));
    };
    expect(tamper(req.url)).toBeUndefined();
    expect(tamper(req.url.replace("/b/k", "/b/j"))).toBe("SignatureDoesNotMatch");
    expect(tamper(req.url.replace("a=1", "a=2"))).toBe("SignatureDoesNotMatch");
    expect(tamper(req.url, "DELETE")).toBe("SignatureDoesNotMatch");
    expect(tamper(req.url, "GET", ["x-amz-meta-a", "2"])).toBe("SignatureDoesNotMatch");
    // An unsigned header may change freely.
    expect(tamper(req.url, "GET", ["user-agent", "other"])).toBeUndefined();
  });

  test("SignatureDoesNotMatch carries the canonical request and string to sign", async () => {
    const req = await signedRequest({ access: ACCESS, secret: "wrong", method: "GET", base: BASE, path: "/b", payloadHash: sha256Hex("") });
    try {
      verifySigV4(req, secretOf, opts());
      throw new Error("verified");
    } catch (e) {
      expect(e).toBeInstanceOf(S3Error);
      const err = e as S3Error;
      expect(err.status).toBe(403);
      expect(err.type).toBe("SignatureDoesNotMatch");
      expect(String(err.extra.CanonicalRequest)).toStartWith("GET\n/b\n\nhost:127.0.0.1:9000\n");
      expect(String(err.extra.StringToSign)).toStartWith("AWS4-HMAC-SHA256\n");
    }
  });

  test("unknown key, skewed clock, wrong region, missing payload hash", async () => {
    const good = { access: ACCESS, secret: SECRET, method: "GET", base: BASE, path: "/b", payloadHash: sha256Hex("") };
    const req0 = await signedRequest(good);
    expect(codeOf(() => verifySigV4(req0, secretOf, opts()))).toBeUndefined();
    const other = await signedRequest({ ...good, access: "NOPE" });
    expect(codeOf(() => verifySigV4(other, secretOf, opts()))).toBe("InvalidAccessKeyId");
    const old = await signedRequest({ ...good, date: new Date(Date.now() - 16 * 60_000) });
    expect(codeOf(() => verifySigV4(old, secretOf, opts()))).toBe("RequestTimeTooSkewed");
    const fine = await signedRequest({ ...good, date: new Date(Date.now() - 14 * 60_000) });
    expect(codeOf(() => verifySigV4(fine, secretOf, opts()))).toBeUndefined();
    const region = await signedRequest({ ...good, region: "eu-west-1" });
    expect(codeOf(() => verifySigV4(region, secretOf, opts()))).toBe("AuthorizationHeaderMalformed");
    const noHash = new Headers(req0.headers);
    noHash.delete("x-amz-content-sha256");
    expect(codeOf(() => verifySigV4({ method: "GET", url: req0.url, headers: noHash }, secretOf, opts()))).toBe("InvalidRequest");
    expect(codeOf(() => verifySigV4({ method: "GET", url: `${BASE}/b`, headers: new Headers() }, secretOf, opts()))).toBe("AccessDenied");
  });
});

describe("presigned URLs", () => {
  const base = { access: ACCESS, secret: SECRET, method: "GET", base: BASE, path: "/bucket/some key.txt" };
  test("valid, then expired", async () => {
    const t = new Date();
    const url = await presignedUrl({ ...base, date: t, expiresIn: 60 });
    expect(url).toContain("X-Amz-Signature=");
    const auth = verifySigV4({ method: "GET", url, headers: new Headers({ host: "127.0.0.1:9000" }) }, secretOf, opts(t.getTime() + 30_000));
    expect(auth.presigned).toBe(true);
    expect(auth.payloadHash).toBe(UNSIGNED);
    try {
      verifySigV4({ method: "GET", url, headers: new Headers({ host: "127.0.0.1:9000" }) }, secretOf, opts(t.getTime() + 61_000));
      throw new Error("verified");
    } catch (e) {
      expect((e as S3Error).type).toBe("AccessDenied");
      expect((e as S3Error).message).toBe("Request has expired");
    }
  });
  test("tampered signature, key or expiry → SignatureDoesNotMatch; a week max", async () => {
    const url = await presignedUrl({ ...base, expiresIn: 60 });
    const h = () => new Headers({ host: "127.0.0.1:9000" });
    const v = (u: string, method = "GET") => codeOf(() => verifySigV4({ method, url: u, headers: h() }, secretOf, opts()));
    expect(v(url)).toBeUndefined();
    const sig = /X-Amz-Signature=([0-9a-f]+)/.exec(url)![1]!;
    const flipped = sig.slice(0, -1) + (sig.endsWith("0") ? "1" : "0");
    expect(v(url.replace(sig, flipped))).toBe("SignatureDoesNotMatch");
    expect(v(url.replace("some%20key", "other%20key"))).toBe("SignatureDoesNotMatch");
    expect(v(url.replace("X-Amz-Expires=60", "X-Amz-Expires=61"))).toBe("SignatureDoesNotMatch");
    expect(v(url, "PUT")).toBe("SignatureDoesNotMatch");
    expect(v(url.replace("X-Amz-Expires=60", "X-Amz-Expires=604801"))).toBe("AuthorizationQueryParametersError");
    expect(v(url.replace(/X-Amz-Credential=[^&]+&/, ""))).toBe("AuthorizationQueryParametersError");
  });
  test("presigned PUT", async () => {
    const url = await presignedUrl({ ...base, method: "PUT", headers: { "content-type": "text/plain" } });
    const headers = new Headers({ host: "127.0.0.1:9000", "content-type": "text/plain" });
    expect(verifySigV4({ method: "PUT", url, headers }, secretOf, opts()).presigned).toBe(true);
  });
});
