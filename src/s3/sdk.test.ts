/**
 * The real @aws-sdk/client-s3 against a live listener: the cloud started
 * in-process on a random port offset, EC2 credentials made through the
 * identity API.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { mkdtempSync } from "node:fs";
import { Readable } from "node:stream";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { removeDataDir, startCloud, type Cloud } from "../cloud.ts";
import { loadConfig } from "../core/config.ts";
import { silentLogger } from "../core/log.ts";

let cloud: Cloud;
let dataDir: string;
let client: S3Client;
let endpoint: string;

async function identityJson(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; json: any; headers: Headers }> {
  const res = await fetch(`${cloud.url("identity")}${path}`, {
    method,
    headers: { "content-type": "application/json", ...(token ? { "x-auth-token": token } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json().catch(() => null), headers: res.headers };
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "tenrec-s3sdk-"));
  // A random offset in 1000–4990 (ports stay below the ephemeral range), retried if taken.
  for (let attempt = 0; ; attempt++) {
    const portOffset = 1000 + Math.floor(Math.random() * 400) * 10;
    const cfg = { ...loadConfig({ dataDir, passwordHashCost: 4, portOffset }, {}), accessLog: false };
    try {
      cloud = await startCloud(cfg, silentLogger);
      break;
    } catch (e) {
      if (attempt > 5) throw e;
    }
  }
  endpoint = cloud.url("s3");
  const auth = await identityJson("POST", "/v3/auth/tokens", {
    auth: {
      identity: { methods: ["password"], password: { user: { name: "admin", domain: { id: "default" }, password: cloud.cfg.adminPassword } } },
      scope: { project: { name: "admin", domain: { id: "default" } } },
    },
  });
  const token = auth.headers.get("x-subject-token")!;
  const uid = auth.json.token.user.id;
  const cred = await identityJson("POST", `/v3/users/${uid}/credentials/OS-EC2`, { tenant_id: auth.json.token.project.id }, token);
  expect(cred.status).toBe(201);
  client = new S3Client({
    endpoint,
    region: "RegionOne",
    forcePathStyle: true,
    credentials: { accessKeyId: cred.json.credential.access, secretAccessKey: cred.json.credential.secret },
  });
});

afterAll(async () => {
  client?.destroy();
  await cloud?.stop();
  removeDataDir(dataDir);
});

async function errorOf(p: Promise<unknown>): Promise<S3ServiceException> {
  try {
    await p;
  } catch (e) {
    if (e instanceof S3ServiceException) return e;
    throw e;
  }
  throw new Error("expected an S3 error");
}

describe("@aws-sdk/client-s3 against a live listener", () => {
  const Bucket = "sdk-bucket";

  test("bucket and object lifecycle", async () => {
    await client.send(new CreateBucketCommand({ Bucket, CreateBucketConfiguration: { LocationConstraint: "RegionOne" as any } }));
    const dup = await errorOf(client.send(new CreateBucketCommand({ Bucket })));
    expect(dup.name).toBe("BucketAlreadyOwnedByYou");
    expect((await client.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toContain(Bucket);

    const put = await client.send(new PutObjectCommand({ Bucket, Key: "docs/hello.txt", Body: "hello sdk", ContentType: "text/plain", Metadata: { owner: "me" } }));
    expect(put.ETag).toBe(`"${new Bun.CryptoHasher("md5").update("hello sdk").digest("hex")}"`);
    const got = await client.send(new GetObjectCommand({ Bucket, Key: "docs/hello.txt" }));
    expect(await got.Body!.transformToString()).toBe("hello sdk");
    expect(got.ContentType).toBe("text/plain");
    expect(got.Metadata).toEqual({ owner: "me" });
    const ranged = await client.send(new GetObjectCommand({ Bucket, Key: "docs/hello.txt", Range: "bytes=6-" }));
    expect(await ranged.Body!.transformToString()).toBe("sdk");

    // A streamed body of known length goes aws-chunked with a CRC32 trailer.
    const stream = Readable.from([Buffer.from("streamed body ".repeat(500)), Buffer.from("streamed body ".repeat(500))]);
    await client.send(new PutObjectCommand({ Bucket, Key: "docs/streamed", Body: stream, ContentLength: 14000 }));
    const head = await client.send(new HeadObjectCommand({ Bucket, Key: "docs/streamed" }));
    expect(head.ContentLength).toBe(14000);
    expect(head.ContentEncoding).toBeUndefined();

    await client.send(new CopyObjectCommand({ Bucket, Key: "copy.txt", CopySource: `${Bucket}/docs/hello.txt` }));
    const list = await client.send(new ListObjectsV2Command({ Bucket, Delimiter: "/" }));
    expect(list.Contents?.map((o) => o.Key)).toEqual(["copy.txt"]);
    expect(list.CommonPrefixes?.map((p) => p.Prefix)).toEqual(["docs/"]);
    const missing = await errorOf(client.send(new GetObjectCommand({ Bucket, Key: "nope" })));
    expect(missing.name).toBe("NoSuchKey");
    expect(missing.$metadata.httpStatusCode).toBe(404);
    expect(missing.$metadata.requestId).toStartWith("req-");

    const notEmpty = await errorOf(client.send(new DeleteBucketCommand({ Bucket })));
    expect(notEmpty.name).toBe("BucketNotEmpty");
    const del = await client.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: [{ Key: "docs/streamed" }, { Key: "copy.txt" }] } }));
    expect(del.Deleted?.length).toBe(2);
    await client.send(new DeleteObjectCommand({ Bucket, Key: "docs/hello.txt" }));
    await client.send(new DeleteObjectCommand({ Bucket, Key: "docs/hello.txt" }));
    await client.send(new DeleteBucketCommand({ Bucket }));
  });

  test("multipart upload of 12 MiB", async () => {
    const b = "sdk-multipart";
    await client.send(new CreateBucketCommand({ Bucket: b }));
    const data = new Uint8Array(12 * 1024 * 1024);
    crypto.getRandomValues(data.subarray(0, 65536));
    for (let i = 65536; i < data.length; i += 65536) data.set(data.subarray(0, 65536), i);
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: b, Key: "big.bin" }));
    const sizes = [5, 5, 2].map((m) => m * 1024 * 1024);
    const parts: { PartNumber: number; ETag: string }[] = [];
    let off = 0;
    await Promise.all(
      sizes.map(async (size, i) => {
        const start = off;
        off += size;
        const r = await client.send(new UploadPartCommand({ Bucket: b, Key: "big.bin", UploadId, PartNumber: i + 1, Body: data.subarray(start, start + size) }));
        parts[i] = { PartNumber: i + 1, ETag: r.ETag! };
      }),
    );
    const done = await client.send(new CompleteMultipartUploadCommand({ Bucket: b, Key: "big.bin", UploadId, MultipartUpload: { Parts: parts } }));
    expect(done.ETag).toMatch(/^"[0-9a-f]{32}-3"$/);
    const got = await client.send(new GetObjectCommand({ Bucket: b, Key: "big.bin" }));
    const bytes = await got.Body!.transformToByteArray();
    expect(bytes.length).toBe(data.length);
    expect(Buffer.compare(Buffer.from(bytes), Buffer.from(data))).toBe(0);
    await client.send(new DeleteObjectCommand({ Bucket: b, Key: "big.bin" }));
    await client.send(new DeleteBucketCommand({ Bucket: b }));
  });

  test("presigned GET through fetch(), and a tampered one", async () => {
    const b = "sdk-presign";
    await client.send(new CreateBucketCommand({ Bucket: b }));
    await client.send(new PutObjectCommand({ Bucket: b, Key: "file name.txt", Body: "shared" }));
    const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: b, Key: "file name.txt" }), { expiresIn: 60 });
    let res = await fetch(url);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("shared");
    const sig = /X-Amz-Signature=([0-9a-f]{64})/.exec(url)![1]!;
    res = await fetch(url.replace(sig, `${sig.slice(0, 63)}${sig.endsWith("a") ? "b" : "a"}`));
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("<Code>SignatureDoesNotMatch</Code>");
    const put = await getSignedUrl(client, new PutObjectCommand({ Bucket: b, Key: "uploaded" }), { expiresIn: 60 });
    res = await fetch(put, { method: "PUT", body: "by presigned put" });
    expect(res.status).toBe(200);
    const got = await client.send(new GetObjectCommand({ Bucket: b, Key: "uploaded" }));
    expect(await got.Body!.transformToString()).toBe("by presigned put");
  });
});
