/**
 * AWS Signature Version 4 verification for S3, in the Authorization header and
 * in presigned query strings, exactly as AWS computes it for S3: the canonical
 * URI is the path as sent (S3 does not normalize or double-encode it), the
 * query is re-encoded and sorted, and the payload line is the client's
 * `x-amz-content-sha256` (a hex SHA-256, UNSIGNED-PAYLOAD or a STREAMING-*
 * marker, see chunked.ts).
 *
 *   const auth = verifySigV4({ method, url, headers }, lookup, { now, regions: ["RegionOne", "us-east-1"] });
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { s3err } from "./errors.ts";

export const ALGORITHM = "AWS4-HMAC-SHA256";
export const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
export const UNSIGNED = "UNSIGNED-PAYLOAD";
/** The longest a presigned URL may live (7 days), as AWS enforces. */
export const MAX_PRESIGN_EXPIRES = 604800;
/** Allowed difference between the request time and ours. */
export const MAX_SKEW_MS = 15 * 60 * 1000;

export interface SecretOf {
  (access: string): { userId: string; projectId: string; secret: string } | undefined;
}

export interface SigRequest {
  method: string;
  /** The request URL as received (path and query still percent-encoded). */
  url: string;
  headers: Headers;
}

export interface VerifyOptions {
  /** Our clock, ms since the epoch. */
  now: number;
  /** Regions accepted in the credential scope. */
  regions: string[];
  service?: string;
}

/** What a verified signature tells us about the request. */
export interface SigV4Auth {
  accessKey: string;
  userId: string;
  projectId: string;
  presigned: boolean;
  /** The declared payload hash: hex SHA-256, UNSIGNED-PAYLOAD or a STREAMING-* marker. */
  payloadHash: string;
  /** What a streaming (aws-chunked) payload's chunk signatures chain from. */
  signingKey: Buffer;
  amzDate: string;
  scope: string;
  signature: string;
}

/** AWS's URI encoding: every byte but A-Z a-z 0-9 - _ . ~ is %XX (uppercase); `/` kept when `keepSlash`. */
export function awsEncode(s: string, keepSlash = false): string {
  let out = encodeURIComponent(s).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
  if (keepSlash) out = out.replaceAll("%2F", "/");
  return out;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Split a raw query string (without `?`) into decoded [name, value] pairs, in order. */
export function queryPairs(rawQuery: string): [string, string][] {
  const out: [string, string][] = [];
  for (const part of rawQuery.split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    const name = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? "" : part.slice(eq + 1);
    out.push([safeDecode(name), safeDecode(value)]);
  }
  return out;
}

/** The canonical query string: names and values AWS-encoded, sorted by name then value. */
export function canonicalQuery(pairs: [string, string][], exclude?: string): string {
  return pairs
    .filter(([k]) => k !== exclude)
    .map(([k, v]) => [awsEncode(k), awsEncode(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
}

/** A signed header's canonical value: trimmed, runs of spaces folded to one. */
function canonicalValue(v: string | null): string {
  return (v ?? "").trim().replace(/\s+/g, " ");
}

export function canonicalRequest(
  method: string,
  canonicalUri: string,
  canonicalQs: string,
  headers: Headers,
  signedHeaders: string[],
  payloadHash: string,
  host?: string,
): string {
  const value = (h: string) => headers.get(h) ?? (h === "host" ? host ?? null : null);
  const lines = signedHeaders.map((h) => `${h}:${canonicalValue(value(h))}\n`).join("");
  return `${method}\n${canonicalUri}\n${canonicalQs}\n${lines}\n${signedHeaders.join(";")}\n${payloadHash}`;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

export function hmac(key: Uint8Array | string, data: string): Buffer {
  return createHmac("sha256", key).update(data).digest();
}

const keyCache = new Map<string, Buffer>();
/** kSigning = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request"), cached. */
export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const id = `${secret}\0${date}\0${region}\0${service}`;
  let key = keyCache.get(id);
  if (!key) {
    key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), "aws4_request");
    if (keyCache.size > 1000) keyCache.clear();
    keyCache.set(id, key);
  }
  return key;
}

export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return `${ALGORITHM}\n${amzDate}\n${scope}\n${sha256Hex(canonical)}`;
}

function sameSig(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/** `20130524T000000Z` → ms, or NaN. */
export function parseAmzDate(s: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return NaN;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
}

function amzDateOf(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

interface Parsed {
  access: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
  amzDate: string;
  payloadHash: string;
  presigned: boolean;
  expires?: number;
}

function parseCredential(cred: string, malformed: (m: string) => Error): Pick<Parsed, "access" | "date" | "region" | "service"> {
  const parts = cred.split("/");
  if (parts.length !== 5 || parts[4] !== "aws4_request" || !/^\d{8}$/.test(parts[1]!)) {
    throw malformed(`the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`);
  }
  return { access: parts[0]!, date: parts[1]!, region: parts[2]!, service: parts[3]! };
}

function parseHeaderAuth(authz: string, headers: Headers): Parsed {
  const malformed = (m: string) => s3err("AuthorizationHeaderMalformed", `The authorization header is malformed; ${m}`);
  if (!authz.startsWith(`${ALGORITHM} `)) throw s3err("InvalidArgument", "Unsupported Authorization Type");
  const fields: Record<string, string> = {};
  for (const part of authz.slice(ALGORITHM.length + 1).split(",")) {
    const eq = part.indexOf("=");
    if (eq > 0) fields[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  if (!fields.Credential || !fields.SignedHeaders || !fields.Signature) {
    throw malformed("it must contain Credential, SignedHeaders and Signature.");
  }
  const amzDate = headers.get("x-amz-date") ?? dateHeaderAsAmz(headers.get("date"));
  if (!amzDate) throw s3err("AccessDenied", "AWS authentication requires a valid Date or x-amz-date header");
  const payloadHash = headers.get("x-amz-content-sha256");
  if (!payloadHash) throw s3err("InvalidRequest", "Missing required header for this request: x-amz-content-sha256");
  return {
    ...parseCredential(fields.Credential, malformed),
    signedHeaders: fields.SignedHeaders.split(";"),
    signature: fields.Signature,
    amzDate,
    payloadHash,
    presigned: false,
  };
}

function dateHeaderAsAmz(date: string | null): string | undefined {
  if (!date) return undefined;
  const ms = Date.parse(date);
  return Number.isNaN(ms) ? undefined : amzDateOf(ms);
}

function parsePresigned(q: Map<string, string>): Parsed {
  const need = ["X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Expires"];
  if (need.some((n) => !q.has(n))) throw s3err("AuthorizationQueryParametersError");
  if (q.get("X-Amz-Algorithm") !== ALGORITHM) {
    throw s3err("AuthorizationQueryParametersError", "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
  }
  const malformed = (m: string) => s3err("AuthorizationQueryParametersError", `Error parsing the X-Amz-Credential parameter; ${m}`);
  const expires = Number(q.get("X-Amz-Expires"));
  if (!Number.isInteger(expires) || expires < 0) {
    throw s3err("AuthorizationQueryParametersError", "X-Amz-Expires should be a number");
  }
  if (expires > MAX_PRESIGN_EXPIRES) {
    throw s3err("AuthorizationQueryParametersError", "X-Amz-Expires must be less than a week (in seconds) that is 604800");
  }
  return {
    ...parseCredential(q.get("X-Amz-Credential")!, malformed),
    signedHeaders: q.get("X-Amz-SignedHeaders")!.split(";"),
    signature: q.get("X-Amz-Signature")!,
    amzDate: q.get("X-Amz-Date")!,
    payloadHash: q.get("X-Amz-Content-Sha256") ?? UNSIGNED,
    presigned: true,
    expires,
  };
}

/** Does the request carry SigV4 (header or query)? */
export function hasSigV4(req: SigRequest): boolean {
  const a = req.headers.get("authorization");
  if (a?.startsWith(ALGORITHM)) return true;
  return new URL(req.url).searchParams.has("X-Amz-Signature");
}

/**
 * Verify a SigV4-signed request. Throws the S3 error AWS answers with:
 * InvalidAccessKeyId, SignatureDoesNotMatch, RequestTimeTooSkewed,
 * AccessDenied (expired presigned URL), AuthorizationHeaderMalformed…
 */
export function verifySigV4(req: SigRequest, secretOf: SecretOf, opts: VerifyOptions): SigV4Auth {
  const url = new URL(req.url);
  const rawQuery = url.search.startsWith("?") ? url.search.slice(1) : url.search;
  const pairs = queryPairs(rawQuery);
  const authz = req.headers.get("authorization");
  let p: Parsed;
  if (authz) {
    p = parseHeaderAuth(authz, req.headers);
  } else {
    const q = new Map(pairs);
    if (!q.has("X-Amz-Signature") && !q.has("X-Amz-Algorithm")) throw s3err("AccessDenied", "Anonymous access is forbidden for this operation");
    p = parsePresigned(q);
  }
  const service = opts.service ?? "s3";
  const where = p.presigned ? "AuthorizationQueryParametersError" : "AuthorizationHeaderMalformed";
  if (p.service !== service) {
    throw s3err(where, `The authorization ${p.presigned ? "query parameters are" : "header is"} malformed; incorrect service "${p.service}". This endpoint belongs to "${service}".`);
  }
  if (!opts.regions.includes(p.region)) {
    throw s3err(where, `The authorization ${p.presigned ? "query parameters are" : "header is"} malformed; the region '${p.region}' is wrong; expecting '${opts.regions[0]}'`, { Region: opts.regions[0]! });
  }
  const t = parseAmzDate(p.amzDate);
  if (Number.isNaN(t)) {
    throw p.presigned
      ? s3err("AuthorizationQueryParametersError", "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
      : s3err("AccessDenied", "AWS authentication requires a valid Date or x-amz-date header");
  }
  if (p.amzDate.slice(0, 8) !== p.date) {
    throw s3err(where, `The authorization ${p.presigned ? "query parameters are" : "header is"} malformed; Invalid credential date "${p.date}". This date is not the same as X-Amz-Date: "${p.amzDate.slice(0, 8)}".`);
  }
  if (!p.signedHeaders.includes("host")) {
    throw s3err("AccessDenied", "There were headers present in the request which were not signed", { HeadersNotSigned: "host" });
  }

  const cred = secretOf(p.access);
  if (!cred) throw s3err("InvalidAccessKeyId", undefined, { AWSAccessKeyId: p.access });

  if (p.presigned) {
    if (t - opts.now > MAX_SKEW_MS) throw s3err("AccessDenied", "Request is not valid yet");
    if (opts.now > t + p.expires! * 1000) {
      throw s3err("AccessDenied", "Request has expired", {
        "X-Amz-Expires": p.expires!,
        Expires: new Date(t + p.expires! * 1000).toISOString(),
        ServerTime: new Date(opts.now).toISOString(),
      });
    }
  } else if (Math.abs(t - opts.now) > MAX_SKEW_MS) {
    throw s3err("RequestTimeTooSkewed", undefined, {
      RequestTime: req.headers.get("x-amz-date") ?? req.headers.get("date") ?? p.amzDate,
      ServerTime: new Date(opts.now).toISOString(),
      MaxAllowedSkewMilliseconds: 900000,
    });
  }

  const scope = `${p.date}/${p.region}/${p.service}/aws4_request`;
  const key = signingKey(cred.secret, p.date, p.region, p.service);
  const qs = canonicalQuery(pairs, p.presigned ? "X-Amz-Signature" : undefined);
  const rawPath = url.pathname || "/";
  const tryUri = (uri: string) => {
    const creq = canonicalRequest(req.method, uri, qs, req.headers, p.signedHeaders, p.payloadHash, url.host);
    const sts = stringToSign(p.amzDate, scope, creq);
    return { creq, sts, sig: hmac(key, sts).toString("hex") };
  };
  // S3 signs the path as the client sent it; a client that encoded it
  // differently from AWS (or a proxy that re-encoded it) is retried with the
  // AWS encoding of the decoded path.
  let got = tryUri(rawPath);
  if (!sameSig(got.sig, p.signature)) {
    const alt = awsEncode(safeDecode(rawPath), true);
    if (alt !== rawPath) {
      const second = tryUri(alt);
      if (sameSig(second.sig, p.signature)) got = second;
    }
  }
  if (!sameSig(got.sig, p.signature)) {
    throw s3err("SignatureDoesNotMatch", undefined, {
      AWSAccessKeyId: p.access,
      StringToSign: got.sts,
      SignatureProvided: p.signature,
      CanonicalRequest: got.creq,
    });
  }
  return {
    accessKey: p.access,
    userId: cred.userId,
    projectId: cred.projectId,
    presigned: p.presigned,
    payloadHash: p.payloadHash,
    signingKey: key,
    amzDate: p.amzDate,
    scope,
    signature: p.signature,
  };
}
