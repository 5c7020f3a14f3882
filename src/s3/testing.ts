/**
 * Test helpers: requests signed by AWS's own signer (@smithy/signature-v4, a
 * devDependency) so our verifier is checked against the reference
 * implementation rather than against itself.
 */
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import { awsEncode } from "./sigv4.ts";

export interface SignOpts {
  access: string;
  secret: string;
  region?: string;
  method: string;
  /** Base URL, e.g. http://127.0.0.1:9000 */
  base: string;
  /** Decoded path: /bucket/key with any characters; encoded here as the SDK does. */
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Payload hash to declare; default: the body's SHA-256. */
  payloadHash?: string;
  date?: Date;
}

function signer(o: Pick<SignOpts, "access" | "secret" | "region">): SignatureV4 {
  return new SignatureV4({
    credentials: { accessKeyId: o.access, secretAccessKey: o.secret },
    region: o.region ?? "RegionOne",
    service: "s3",
    sha256: Sha256,
    uriEscapePath: false,
    applyChecksum: true,
  });
}

function httpRequest(o: SignOpts) {
  const u = new URL(o.base);
  const headers: Record<string, string> = { host: u.host, ...(o.headers ?? {}) };
  if (o.payloadHash) headers["x-amz-content-sha256"] = o.payloadHash;
  return {
    method: o.method,
    protocol: u.protocol,
    hostname: u.hostname,
    port: u.port ? Number(u.port) : undefined,
    path: awsEncode(o.path, true),
    query: o.query ?? {},
    headers,
    body: o.body,
  };
}

function toUrl(base: string, path: string, query: Record<string, string | string[] | null>): string {
  const qs = Object.entries(query)
    .flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => [k, x]) : [[k, v ?? ""]]))
    .map(([k, v]) => `${awsEncode(k!)}=${awsEncode(v!)}`)
    .join("&");
  return `${base}${path}${qs ? `?${qs}` : ""}`;
}

/** A fetch Request signed in the Authorization header. */
export async function signedRequest(o: SignOpts): Promise<Request> {
  const signed = await signer(o).sign(httpRequest(o), { signingDate: o.date ?? new Date() });
  const headers = new Headers(signed.headers as Record<string, string>);
  // As on the wire (in-process Requests carry no Content-Length of their own).
  if (o.body !== undefined && !headers.has("content-length")) {
    headers.set("content-length", String(typeof o.body === "string" ? Buffer.byteLength(o.body) : o.body.length));
  }
  return new Request(toUrl(o.base, signed.path, signed.query as any), {
    method: o.method,
    headers,
    body: o.body as any,
  });
}

/** A presigned URL (query-string auth). */
export async function presignedUrl(o: SignOpts & { expiresIn?: number }): Promise<string> {
  // As @aws-sdk/s3-request-presigner does: the payload is UNSIGNED-PAYLOAD,
  // hoisted into the query as X-Amz-Content-Sha256.
  const req = httpRequest({ ...o, body: undefined });
  req.headers["X-Amz-Content-Sha256"] = "UNSIGNED-PAYLOAD";
  const signed = await signer(o).presign(req, {
    signingDate: o.date ?? new Date(),
    expiresIn: o.expiresIn ?? 900,
  });
  return toUrl(o.base, signed.path, signed.query as any);
}
