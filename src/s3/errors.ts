import type { Context } from "hono";
import { ApiError } from "../core/errors.ts";
import type { Dialect } from "../core/faults.ts";
import { xmlDoc } from "./xml.ts";

/**
 * An S3 error: an ApiError whose `type` is the S3 `<Code>`, optionally with
 * extra elements AWS puts in the body (`<StringToSign>`, `<CanonicalRequest>`,
 * `<BucketName>`, `<Key>`…) that help a client's user see what went wrong.
 */
export class S3Error extends ApiError {
  constructor(
    status: number,
    code: string,
    message: string,
    readonly extra: Record<string, string | number> = {},
    headers?: Record<string, string>,
  ) {
    super(status, message, code, headers);
  }
}

/** The S3 errors the API raises, by code: status and AWS's own message. */
const CODES: Record<string, [number, string]> = {
  AccessDenied: [403, "Access Denied"],
  BadDigest: [400, "The Content-MD5 you specified did not match what we received."],
  BucketAlreadyExists: [409, "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again."],
  BucketAlreadyOwnedByYou: [409, "Your previous request to create the named bucket succeeded and you already own it."],
  BucketNotEmpty: [409, "The bucket you tried to delete is not empty"],
  EntityTooLarge: [400, "Your proposed upload exceeds the maximum allowed size"],
  EntityTooSmall: [400, "Your proposed upload is smaller than the minimum allowed object size."],
  IncompleteBody: [400, "You did not provide the number of bytes specified by the Content-Length HTTP header."],
  InternalError: [500, "We encountered an internal error. Please try again."],
  InvalidAccessKeyId: [403, "The AWS Access Key Id you provided does not exist in our records."],
  InvalidArgument: [400, "Invalid Argument"],
  InvalidBucketName: [400, "The specified bucket is not valid."],
  InvalidDigest: [400, "The Content-MD5 you specified is not valid."],
  InvalidPart: [400, "One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part's entity tag."],
  InvalidPartOrder: [400, "The list of parts was not in ascending order. The parts list must be specified in order by part number."],
  InvalidRange: [416, "The requested range is not satisfiable"],
  InvalidRequest: [400, "Invalid Request"],
  InvalidStorageClass: [400, "The storage class you specified is not valid"],
  KeyTooLongError: [400, "Your key is too long"],
  MalformedXML: [400, "The XML you provided was not well-formed or did not validate against our published schema"],
  MetadataTooLarge: [400, "Your metadata headers exceed the maximum allowed metadata size."],
  MethodNotAllowed: [405, "The specified method is not allowed against this resource."],
  MissingContentLength: [411, "You must provide the Content-Length HTTP header."],
  MissingSecurityHeader: [400, "Your request is missing a required header."],
  NoSuchBucket: [404, "The specified bucket does not exist"],
  NoSuchKey: [404, "The specified key does not exist."],
  NoSuchUpload: [404, "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed."],
  NoSuchBucketPolicy: [404, "The bucket policy does not exist"],
  NoSuchLifecycleConfiguration: [404, "The lifecycle configuration does not exist"],
  NoSuchCORSConfiguration: [404, "The CORS configuration does not exist"],
  NoSuchTagSet: [404, "The TagSet does not exist"],
  NotImplemented: [501, "A header you provided implies functionality that is not implemented"],
  PreconditionFailed: [412, "At least one of the pre-conditions you specified did not hold"],
  RequestTimeTooSkewed: [403, "The difference between the request time and the current time is too large."],
  SignatureDoesNotMatch: [403, "The request signature we calculated does not match the signature you provided. Check your key and signing method."],
  AuthorizationHeaderMalformed: [400, "The authorization header is malformed."],
  AuthorizationQueryParametersError: [400, "Query-string authentication requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."],
  XAmzContentSHA256Mismatch: [400, "The provided 'x-amz-content-sha256' header does not match what was computed."],
  InvalidDigestChecksum: [400, "The checksum you specified did not match the calculated checksum."],
};

/** Throwable S3 error by code, with AWS's status and default message. */
export function s3err(code: string, message?: string, extra?: Record<string, string | number>, headers?: Record<string, string>): S3Error {
  const [status, msg] = CODES[code] ?? [400, code];
  return new S3Error(status, code, message ?? msg, extra, headers);
}

/** The S3 code for an ApiError that carries no (known) S3 code. */
function codeFor(err: ApiError): string {
  if (err.type && /^[A-Z][A-Za-z0-9]+$/.test(err.type)) {
    // Store errors use S3 names where the concept exists; map the few that differ.
    const aliases: Record<string, string> = {
      ContainerNotFound: "NoSuchBucket",
      ObjectNotFound: "NoSuchKey",
      ContainerNotEmpty: "BucketNotEmpty",
      Conflict: "OperationAborted",
    };
    return aliases[err.type] ?? err.type;
  }
  switch (err.status) {
    case 400: return "InvalidRequest";
    case 401: case 403: return "AccessDenied";
    case 404: return "NoSuchKey";
    case 405: return "MethodNotAllowed";
    case 409: return "OperationAborted";
    case 411: return "MissingContentLength";
    case 412: return "PreconditionFailed";
    case 413: return "EntityTooLarge";
    case 416: return "InvalidRange";
    case 422: return "BadDigest";
    case 501: return "NotImplemented";
    case 503: return "SlowDown";
    default: return "InternalError";
  }
}

/** Status S3 uses for a code a store error carries (which may come with a Swift status). */
function statusFor(err: ApiError, code: string): number {
  if (err instanceof S3Error) return err.status;
  const known = CODES[code];
  if (known) return known[0];
  return err.status === 401 ? 403 : err.status;
}

function resourceOf(c: Context): string {
  try {
    return decodeURIComponent(new URL(c.req.url).pathname);
  } catch {
    return new URL(c.req.url).pathname;
  }
}

/**
 * S3's dialect: `<Error><Code>…</Code><Message>…</Message><Resource>…</Resource>
 * <RequestId>…</RequestId></Error>` as application/xml, the status AWS uses
 * for the code.
 */
export const s3Dialect: Dialect = (err, c) => {
  const code = codeFor(err);
  const status = statusFor(err, code);
  const rid = (c.get("requestId") as string | undefined) ?? "";
  const extra = err instanceof S3Error ? err.extra : {};
  const body = xmlDoc({
    Error: { Code: code, Message: err.message, ...extra, Resource: resourceOf(c), RequestId: rid },
  });
  const res = new Response(c.req.method === "HEAD" ? null : body, {
    status,
    headers: { "content-type": "application/xml" },
  });
  if (err.headers) for (const [k, v] of Object.entries(err.headers)) res.headers.set(k, v);
  return res;
};
