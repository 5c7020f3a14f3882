/**
 * Authentication of EC2 Query API requests against Keystone's EC2 credentials,
 * as ec2-api does through /v3/ec2tokens: AWS Signature V4 (Authorization header
 * or presigned query) and Signature V2 (`SignatureVersion=2` in the params)
 * for old clients. Every failure is EC2's 401 AuthFailure.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import {
  awsEncode,
  canonicalQuery,
  canonicalRequest,
  hmac,
  parseAmzDate,
  queryPairs,
  sha256Hex,
  signingKey,
  stringToSign,
} from "../s3/sigv4.ts";
import { ec2err } from "./errors.ts";

export interface Ec2Principal {
  accessKey: string;
  userId: string;
  projectId: string;
}

export type SecretLookup = (access: string) => { userId: string; projectId: string; secret: string } | undefined;

const MAX_SKEW_MS = 15 * 60 * 1000;
const authFailure = (m = "AWS was not able to validate the provided access credentials") => ec2err("AuthFailure", m);

function same(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

export interface AuthInput {
  method: string;
  url: string;
  headers: Headers;
  /** The raw form body (empty for GET). */
  body: string;
  /** All parameters, query and form, decoded. */
  params: Map<string, string>;
}

export function authenticate(req: AuthInput, lookup: SecretLookup, now: number): Ec2Principal {
  const authz = req.headers.get("authorization");
  if (authz?.startsWith("AWS4-HMAC-SHA256 ")) return sigV4Header(req, authz, lookup, now);
  if (req.params.has("X-Amz-Signature")) return sigV4Query(req, lookup, now);
  if (req.params.has("Signature") && req.params.has("AWSAccessKeyId")) return sigV2(req, lookup, now);
  throw ec2err("AuthFailure", "Request is missing an Authentication Token (a SigV4 Authorization header or SigV2 Signature)");
}

function checkTime(amzDate: string, now: number): void {
  const t = parseAmzDate(amzDate);
  if (Number.isNaN(t)) throw authFailure("Invalid X-Amz-Date");
  if (Math.abs(t - now) > MAX_SKEW_MS) throw ec2err("RequestExpired", "Request has expired (the clock skew is over 15 minutes)");
}


function verifyV4(
  req: AuthInput,
  lookup: SecretLookup,
  now: number,
  f: { cred: string; signedHeaders: string[]; signature: string; amzDate: string; payloadHash: string; presigned: boolean },
): Ec2Principal {
  const parts = f.cred.split("/");
  if (parts.length !== 5 || parts[4] !== "aws4_request" || !/^\d{8}$/.test(parts[1]!)) throw authFailure("Malformed credential scope");
  const [access, date, region, service] = parts as [string, string, string, string];
  checkTime(f.amzDate, now);
  const secret = lookup(access);
  if (!secret) throw authFailure();
  const url = new URL(req.url);
  const raw = url.search.startsWith("?") ? url.search.slice(1) : url.search;
  const qs = canonicalQuery(queryPairs(raw), f.presigned ? "X-Amz-Signature" : undefined);
  const key = signingKey(secret.secret, date, region, service);
  const scope = `${date}/${region}/${service}/aws4_request`;
  const paths = [url.pathname || "/"];
  const alt = awsEncode(decodeURIComponent(paths[0]!), true);
  if (alt !== paths[0]) paths.push(alt);
  for (const p of paths) {
    const creq = canonicalRequest(req.method, p, qs, req.headers, f.signedHeaders, f.payloadHash, url.host);
    const sig = hmac(key, stringToSign(f.amzDate, scope, creq)).toString("hex");
    if (same(sig, f.signature)) return { accessKey: access, userId: secret.userId, projectId: secret.projectId };
  }
  throw authFailure("The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.");
}

function sigV4Header(req: AuthInput, authz: string, lookup: SecretLookup, now: number): Ec2Principal {
  const fields: Record<string, string> = {};
  for (const part of authz.slice("AWS4-HMAC-SHA256 ".length).split(",")) {
    const eq = part.indexOf("=");
    if (eq > 0) fields[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  if (!fields.Credential || !fields.SignedHeaders || !fields.Signature) throw authFailure("Malformed Authorization header");
  const amzDate = req.headers.get("x-amz-date") ?? amzOf(req.headers.get("date"));
  if (!amzDate) throw authFailure("Missing X-Amz-Date");
  const payloadHash = req.headers.get("x-amz-content-sha256") ?? sha256Hex(req.body);
  return verifyV4(req, lookup, now, {
    cred: fields.Credential,
    signedHeaders: fields.SignedHeaders.split(";"),
    signature: fields.Signature,
    amzDate,
    payloadHash,
    presigned: false,
  });
}

function sigV4Query(req: AuthInput, lookup: SecretLookup, now: number): Ec2Principal {
  const p = req.params;
  const need = ["X-Amz-Credential", "X-Amz-SignedHeaders", "X-Amz-Date", "X-Amz-Signature"];
  for (const n of need) if (!p.get(n)) throw authFailure(`Missing ${n}`);
  return verifyV4(req, lookup, now, {
    cred: p.get("X-Amz-Credential")!,
    signedHeaders: p.get("X-Amz-SignedHeaders")!.split(";"),
    signature: p.get("X-Amz-Signature")!,
    amzDate: p.get("X-Amz-Date")!,
    payloadHash: req.method === "GET" ? sha256Hex("") : sha256Hex(req.body),
    presigned: true,
  });
}

function amzOf(date: string | null): string | undefined {
  if (!date) return undefined;
  const ms = Date.parse(date);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

/** Signature V2: HMAC over `METHOD\nhost\npath\nsorted-encoded-params`. */
function sigV2(req: AuthInput, lookup: SecretLookup, now: number): Ec2Principal {
  const p = req.params;
  const version = p.get("SignatureVersion");
  if (version !== "2") throw authFailure(`SignatureVersion ${version ?? "(none)"} is not supported`);
  const method = p.get("SignatureMethod") ?? "HmacSHA256";
  const algo = method === "HmacSHA256" ? "sha256" : method === "HmacSHA1" ? "sha1" : undefined;
  if (!algo) throw authFailure(`SignatureMethod ${method} is not supported`);
  const ts = p.get("Timestamp");
  const exp = p.get("Expires");
  if (ts) {
    const t = Date.parse(ts);
    if (Number.isNaN(t) || Math.abs(t - now) > MAX_SKEW_MS) throw ec2err("RequestExpired", "Request has expired");
  } else if (exp) {
    const t = Date.parse(exp);
    if (Number.isNaN(t) || t < now) throw ec2err("RequestExpired", "Request has expired");
  } else throw ec2err("MissingParameter", "The request must contain the parameter Timestamp or Expires");
  const access = p.get("AWSAccessKeyId")!;
  const secret = lookup(access);
  if (!secret) throw authFailure();
  const url = new URL(req.url);
  const qs = [...p.entries()]
    .filter(([k]) => k !== "Signature")
    .map(([k, v]) => [awsEncode(k), awsEncode(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const host = (req.headers.get("host") ?? url.host).toLowerCase();
  const hosts = [host, host.replace(/:\d+$/, "")];
  const got = p.get("Signature")!;
  for (const h of hosts) {
    const sts = `${req.method}\n${h}\n${url.pathname || "/"}\n${qs}`;
    const sig = createHmac(algo, secret.secret).update(sts).digest("base64");
    if (same(sig, got)) return { accessKey: access, userId: secret.userId, projectId: secret.projectId };
  }
  throw authFailure("The request signature we calculated does not match the signature you provided.");
}
