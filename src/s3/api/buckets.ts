/** ListBuckets, CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation and the few bucket sub-resources clients probe. */
import { s3err } from "../errors.ts";
import type { S3Req } from "../context.ts";
import { checkNewBucketName } from "../names.ts";
import { isoMs, parseXml, S3_NS, xmlResponse } from "../xml.ts";

export function owner(r: S3Req) {
  return { ID: r.auth.projectId, DisplayName: r.auth.projectId };
}

export async function listBuckets(r: S3Req): Promise<Response> {
  const buckets = [];
  let marker: string | undefined;
  for (;;) {
    const page = await r.deps.store.listContainers(r.account, { marker, limit: 10000 });
    for (const b of page) buckets.push({ Name: b.name, CreationDate: isoMs(b.createdAt) });
    if (page.length < 10000) break;
    marker = page[page.length - 1]!.name;
  }
  return xmlResponse({
    ListAllMyBucketsResult: {
      "@_xmlns": S3_NS,
      Owner: owner(r),
      Buckets: { Bucket: buckets },
    },
  });
}

export async function createBucket(r: S3Req): Promise<Response> {
  const bucket = r.bucket!;
  checkNewBucketName(bucket);
  const text = await r.text();
  if (text.trim()) {
    const doc = parseXml(text);
    const loc = doc.CreateBucketConfiguration?.LocationConstraint;
    const regions = [r.deps.cfg.region, "us-east-1", ""];
    if (loc !== undefined && typeof loc === "string" && !regions.includes(loc)) {
      throw s3err("InvalidLocationConstraint", "The specified location-constraint is not valid", { LocationConstraint: loc });
    }
  }
  const created = await r.deps.store.createContainer(r.account, bucket);
  if (!created) throw s3err("BucketAlreadyOwnedByYou", undefined, { BucketName: bucket });
  return new Response(null, { status: 200, headers: { location: `/${bucket}` } });
}

export async function headBucket(r: S3Req): Promise<Response> {
  await mustBucket(r);
  return new Response(null, { status: 200, headers: { "x-amz-bucket-region": r.deps.cfg.region } });
}

export async function deleteBucket(r: S3Req): Promise<Response> {
  await mustBucket(r);
  await r.deps.store.deleteContainer(r.account, r.bucket!);
  return new Response(null, { status: 204 });
}

export async function getBucketLocation(r: S3Req): Promise<Response> {
  await mustBucket(r);
  return xmlResponse({ LocationConstraint: { "@_xmlns": S3_NS, "#text": r.deps.cfg.region } });
}

export async function getBucketVersioning(r: S3Req): Promise<Response> {
  await mustBucket(r);
  return xmlResponse({ VersioningConfiguration: { "@_xmlns": S3_NS } });
}

export async function getBucketAcl(r: S3Req): Promise<Response> {
  await mustBucket(r);
  return aclResponse(r);
}

export function aclResponse(r: S3Req): Response {
  return xmlResponse({
    AccessControlPolicy: {
      "@_xmlns": S3_NS,
      Owner: owner(r),
      AccessControlList: {
        Grant: {
          Grantee: {
            "@_xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
            "@_xsi:type": "CanonicalUser",
            ...owner(r),
          },
          Permission: "FULL_CONTROL",
        },
      },
    },
  });
}

/** The bucket's info, or 404 NoSuchBucket. */
export async function mustBucket(r: S3Req) {
  const info = await r.deps.store.getContainer(r.account, r.bucket!);
  if (!info) throw s3err("NoSuchBucket", undefined, { BucketName: r.bucket! });
  return info;
}
