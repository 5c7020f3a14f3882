import { describe, expect, test } from "bun:test";
import { awsChunkedDecoder, checksummer, verifyingStream, type ChunkedOptions } from "./chunked.ts";
import { S3Error } from "./errors.ts";
import { EMPTY_SHA256, hmac, sha256Hex, signingKey, verifySigV4 } from "./sigv4.ts";

const enc = new TextEncoder();

async function run(body: Uint8Array | string, opts: ChunkedOptions, pieces = 7): Promise<Uint8Array> {
  const bytes = typeof body === "string" ? enc.encode(body) : body;
  // Feed the body in awkward pieces so every parser state straddles a boundary.
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      for (let i = 0; i < bytes.length; i += pieces) c.enqueue(bytes.slice(i, i + pieces));
      c.close();
    },
  });
  return new Uint8Array(await new Response(stream.pipeThrough(awsChunkedDecoder(opts))).arrayBuffer());
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    if (e instanceof S3Error) return e.type;
    throw e;
  }
  return undefined;
}

/** Encode like the SDKs: signed chunks chain from the seed signature. */
function encodeSigned(data: Uint8Array, size: number, key: Buffer, amzDate: string, scope: string, seed: string, trailer?: [string, string]): string {
  let prev = seed;
  let out = "";
  const sig = (chunk: Uint8Array) => {
    const sts = `AWS4-HMAC-SHA256-PAYLOAD\n${amzDate}\n${scope}\n${prev}\n${EMPTY_SHA256}\n${sha256Hex(chunk)}`;
    prev = hmac(key, sts).toString("hex");
    return prev;
  };
  for (let i = 0; i < data.length; i += size) {
    const c = data.subarray(i, i + size);
    out += `${c.length.toString(16)};chunk-signature=${sig(c)}\r\n${new TextDecoder().decode(c)}\r\n`;
  }
  out += `0;chunk-signature=${sig(new Uint8Array())}\r\n`;
  if (trailer) {
    const canon = `${trailer[0]}:${trailer[1]}\n`;
    const sts = `AWS4-HMAC-SHA256-TRAILER\n${amzDate}\n${scope}\n${prev}\n${sha256Hex(canon)}`;
    out += `${trailer[0]}:${trailer[1]}\r\nx-amz-trailer-signature:${hmac(key, sts).toString("hex")}\r\n`;
  }
  return out + "\r\n";
}

describe("AWS's documented example (STREAMING-AWS4-HMAC-SHA256-PAYLOAD, 64 KiB + 1 KiB)", () => {
  const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  const seed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
  const headers = new Headers({
    host: "s3.amazonaws.com",
    "x-amz-date": "20130524T000000Z",
    "x-amz-storage-class": "REDUCED_REDUNDANCY",
    authorization: `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=${seed}`,
    "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
    "content-encoding": "aws-chunked",
    "x-amz-decoded-content-length": "66560",
    "content-length": "66824",
  });
  test("the seed signature verifies and the documented chunk signatures decode", async () => {
    const auth = verifySigV4(
      { method: "PUT", url: "http://s3.amazonaws.com/examplebucket/chunkObject.txt", headers },
      () => ({ userId: "u", projectId: "p", secret }),
      { now: Date.UTC(2013, 4, 24), regions: ["us-east-1"] },
    );
    expect(auth.signature).toBe(seed);
    const a = "a".repeat(65536);
    const b = "a".repeat(1024);
    const body =
      `10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n${a}\r\n` +
      `400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n${b}\r\n` +
      `0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n`;
    expect(body.length).toBe(66824);
    const signing = { signingKey: auth.signingKey, amzDate: auth.amzDate, scope: auth.scope, seedSignature: auth.signature };
    const out = await run(body, { signing, decodedLength: 66560 }, 4093);
    expect(out.length).toBe(66560);
    expect(out.every((x) => x === 97)).toBe(true);
    // One changed byte in the data breaks the chain.
    expect(await codeOf(run(body.replace("aaab", "aaaa").replace(/a(?=\r\n400)/, "b"), { signing }, 4093))).toBe("SignatureDoesNotMatch");
  });
});

describe("aws-chunked decoding", () => {
  const key = signingKey("s3cr3t", "20260101", "RegionOne", "s3");
  const amzDate = "20260101T000000Z";
  const scope = "20260101/RegionOne/s3/aws4_request";
  const seed = "f".repeat(64);
  const signing = { signingKey: key, amzDate, scope, seedSignature: seed };
  const data = enc.encode("The quick brown fox jumps over the lazy dog\n".repeat(50));

  test("signed chunks, any piece size", async () => {
    const body = encodeSigned(data, 100, key, amzDate, scope, seed);
    for (const pieces of [1, 2, 3, 64, 100000]) {
      expect(await run(body, { signing, decodedLength: data.length }, pieces)).toEqual(data);
    }
  });

  test("signed chunks with a signed trailer checksum", async () => {
    const sum = checksummer("crc32");
    sum.update(data);
    const body = encodeSigned(data, 512, key, amzDate, scope, seed, ["x-amz-checksum-crc32", sum.base64()]);
    expect(await run(body, { signing, trailer: "x-amz-checksum-crc32" })).toEqual(data);
    const bad = encodeSigned(data, 512, key, amzDate, scope, seed, ["x-amz-checksum-crc32", "AAAAAA=="]);
    expect(await codeOf(run(bad, { signing, trailer: "x-amz-checksum-crc32" }))).toBe("BadDigest");
    const forged = body.replace(/x-amz-checksum-crc32:[^\r]+/, "x-amz-checksum-crc32:AAAAAA==");
    expect(await codeOf(run(forged, { signing, trailer: "x-amz-checksum-crc32" }))).toBe("SignatureDoesNotMatch");
  });

  test("wrong seed or a missing chunk signature", async () => {
    const body = encodeSigned(data, 100, key, amzDate, scope, seed);
    expect(await codeOf(run(body, { signing: { ...signing, seedSignature: "e".repeat(64) } }))).toBe("SignatureDoesNotMatch");
    expect(await codeOf(run("5\r\nhello\r\n0\r\n\r\n", { signing }))).toBe("SignatureDoesNotMatch");
  });

  test("unsigned chunks with trailers (STREAMING-UNSIGNED-PAYLOAD-TRAILER), as SDK v3 sends", async () => {
    for (const alg of ["crc32", "crc32c", "sha1", "sha256"] as const) {
      const sum = checksummer(alg);
      sum.update(enc.encode("hello world"));
      const body = `6\r\nhello \r\n5\r\nworld\r\n0\r\nx-amz-checksum-${alg}:${sum.base64()}\r\n\r\n`;
      expect(new TextDecoder().decode(await run(body, { trailer: `x-amz-checksum-${alg}`, decodedLength: 11 }, 3))).toBe("hello world");
      const bad = body.replace("world", "World");
      expect(await codeOf(run(bad, { trailer: `x-amz-checksum-${alg}` }))).toBe("BadDigest");
    }
    // crc32c of "123456789" is the well-known 0xE3069283.
    const c = checksummer("crc32c");
    c.update(enc.encode("123456789"));
    expect(Buffer.from(c.base64(), "base64").toString("hex")).toBe("e3069283");
    // The final empty line may be missing.
    expect(new TextDecoder().decode(await run("2\r\nhi\r\n0\r\nx-amz-checksum-crc32:2JMqrA==\r\n", { trailer: "x-amz-checksum-crc32" }))).toBe("hi");
  });

  test("malformed or short bodies", async () => {
    expect(await codeOf(run("zz\r\nhello\r\n0\r\n\r\n", {}))).toBe("IncompleteBody");
    expect(await codeOf(run("5\r\nhel", {}))).toBe("IncompleteBody");
    expect(await codeOf(run("5\r\nhelloXX0\r\n\r\n", {}))).toBe("IncompleteBody");
    expect(await codeOf(run("5\r\nhello\r\n0\r\n\r\n", { decodedLength: 6 }))).toBe("IncompleteBody");
  });
});

describe("plain payload checks", () => {
  const pipe = (s: string, checks: Parameters<typeof verifyingStream>[0]) =>
    new Response(new Response(s).body!.pipeThrough(verifyingStream(checks))).text();
  test("x-amz-content-sha256 and x-amz-checksum-* are checked at the end", async () => {
    expect(await pipe("abc", { sha256: sha256Hex("abc") })).toBe("abc");
    expect(await codeOf(pipe("abd", { sha256: sha256Hex("abc") }))).toBe("XAmzContentSHA256Mismatch");
    const sum = checksummer("sha256");
    sum.update(enc.encode("abc"));
    expect(await pipe("abc", { checksum: { alg: "sha256", value: sum.base64() } })).toBe("abc");
    expect(await codeOf(pipe("abd", { checksum: { alg: "sha256", value: sum.base64() } }))).toBe("BadDigest");
  });
});
