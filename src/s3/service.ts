/**
 * The S3 API (Swift's s3api on port 9000): SigV4-authenticated requests
 * against the caller's project account `AUTH_<projectId>`, so a bucket is that
 * project's Swift container and a key is a Swift object name.
 */
import type { Hono } from "hono";
import { publicHost } from "../core/config.ts";
import { createApp, type AppEnv, type Ctx } from "../core/http.ts";
import { randomBytes } from "node:crypto";
import { abortMultipartUpload, completeMultipartUpload, createMultipartUpload, listMultipartUploads, listParts, uploadPart, uploadPartCopy } from "./api/multipart.ts";
import { createBucket, deleteBucket, getBucketAcl, getBucketLocation, getBucketVersioning, headBucket, listBuckets, aclResponse, mustBucket } from "./api/buckets.ts";
import { listObjects } from "./api/listing.ts";
import { copyObject, deleteObject, deleteObjects, getObject, putObject } from "./api/objects.ts";
import { bodyOf, type S3Deps, type S3Req } from "./context.ts";
import { s3Dialect, s3err } from "./errors.ts";
import { checkBucketName } from "./names.ts";
import { verifySigV4 } from "./sigv4.ts";
import { hostSuffixes, resolveTarget } from "./target.ts";

export type { S3Deps } from "./context.ts";

/** Bucket sub-resources we do not implement: an explicit 501, never a made-up 200. */
const UNSUPPORTED_BUCKET = ["policy", "cors", "lifecycle", "website", "tagging", "logging", "notification", "replication", "encryption", "object-lock", "accelerate", "requestPayment", "inventory", "analytics", "metrics", "intelligent-tiering", "ownershipControls", "publicAccessBlock", "versions"];
const UNSUPPORTED_OBJECT = ["tagging", "retention", "legal-hold", "torrent", "restore", "select", "attributes"];
const NO_SUCH_CONFIG: Record<string, string> = {
  policy: "NoSuchBucketPolicy",
  cors: "NoSuchCORSConfiguration",
  lifecycle: "NoSuchLifecycleConfiguration",
  tagging: "NoSuchTagSet",
};

type Handler = (r: S3Req) => Promise<Response>;

function route(r: S3Req): Handler {
  const m = r.c.req.method;
  const q = r.query;
  if (r.bucket === undefined) {
    if (m === "GET") return listBuckets;
    throw s3err("MethodNotAllowed", undefined, { Method: m, ResourceType: "SERVICE" });
  }
  checkBucketName(r.bucket);
  if (r.key === undefined) {
    for (const sub of UNSUPPORTED_BUCKET) {
      if (q.has(sub)) {
        if (m === "GET" && NO_SUCH_CONFIG[sub]) {
          return async (rr) => {
            await mustBucket(rr);
            throw s3err(NO_SUCH_CONFIG[sub]!, undefined, { BucketName: rr.bucket! });
          };
        }
        throw s3err("NotImplemented", `The ${sub} sub-resource is not implemented`);
      }
    }
    switch (m) {
      case "GET":
        if (q.has("location")) return getBucketLocation;
        if (q.has("versioning")) return getBucketVersioning;
        if (q.has("acl")) return getBucketAcl;
        if (q.has("uploads")) return listMultipartUploads;
        return listObjects;
      case "HEAD":
        return headBucket;
      case "PUT":
        if (q.has("acl") || q.has("versioning")) throw s3err("NotImplemented", "Changing bucket ACLs or versioning is not implemented");
        return createBucket;
      case "DELETE":
        return deleteBucket;
      case "POST":
        if (q.has("delete")) return deleteObjects;
        break;
    }
    throw s3err("MethodNotAllowed", undefined, { Method: m, ResourceType: "BUCKET" });
  }
  for (const sub of UNSUPPORTED_OBJECT) if (q.has(sub)) throw s3err("NotImplemented", `The ${sub} sub-resource is not implemented`);
  const copy = r.c.req.header("x-amz-copy-source") !== undefined;
  switch (m) {
    case "GET":
      if (q.has("acl")) return async (rr) => (await getObject(rr, true), aclResponse(rr));
      if (q.has("uploadId")) return listParts;
      return (rr) => getObject(rr);
    case "HEAD":
      return (rr) => getObject(rr, true);
    case "PUT":
      if (q.has("acl")) throw s3err("NotImplemented", "Changing object ACLs is not implemented");
      if (q.has("uploadId") || q.has("partNumber")) return copy ? uploadPartCopy : uploadPart;
      return copy ? copyObject : putObject;
    case "DELETE":
      if (q.has("uploadId")) return abortMultipartUpload;
      return deleteObject;
    case "POST":
      if (q.has("uploads")) return createMultipartUpload;
      if (q.has("uploadId")) return completeMultipartUpload;
      break;
  }
  throw s3err("MethodNotAllowed", undefined, { Method: m, ResourceType: "OBJECT" });
}

export function createS3(deps: S3Deps): { app: Hono<AppEnv> } {
  const app = createApp({
    service: "s3",
    dialect: s3Dialect,
    log: deps.log,
    accessLog: deps.cfg.accessLog,
    requestIdHeaders: ["x-amz-request-id"],
  });
  const suffixes = hostSuffixes(publicHost(deps.cfg).toLowerCase());
  const regions = [...new Set([deps.cfg.region, "us-east-1"])];

  app.use("*", async (c, next) => {
    await next();
    c.res.headers.set("x-amz-id-2", randomBytes(24).toString("base64"));
    c.res.headers.set("server", "tenrec-s3");
  });

  app.all("*", async (c: Ctx) => {
    const url = new URL(c.req.url);
    const auth = verifySigV4({ method: c.req.method, url: c.req.url, headers: c.req.raw.headers }, (a) => deps.identity.ec2Credential(a), {
      now: deps.clock.now(),
      regions,
    });
    const target = resolveTarget(url, c.req.header("host"), suffixes);
    const body = bodyOf(c, auth);
    let consumed = false;
    const stream = () => {
      if (consumed) throw new Error("request body read twice");
      consumed = true;
      return body.stream();
    };
    const r: S3Req = {
      c,
      deps,
      auth,
      account: `AUTH_${auth.projectId}`,
      bucket: target.bucket,
      key: target.key,
      query: url.searchParams,
      contentLength: body.length,
      body: stream,
      text: async () => {
        const text = await new Response(stream()).text();
        if (text.length > 2 * 1024 * 1024) throw s3err("MalformedXML", "The XML you provided was too large");
        return text;
      },
    };
    return route(r)(r);
  });
  return { app };
}
