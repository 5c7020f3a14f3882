import type { Config } from "../core/config.ts";
import type { Clock } from "../core/clock.ts";
import type { Ctx } from "../core/http.ts";
import type { Logger } from "../core/log.ts";
import type { IdentityClient } from "../identity/client.ts";
import {
  awsChunkedDecoder,
  checksumAlgOf,
  isStreamingPayload,
  STREAMING_SIGNED,
  STREAMING_SIGNED_TRAILER,
  verifyingStream,
  type PlainChecks,
} from "./chunked.ts";
import { s3err } from "./errors.ts";
import type { SigV4Auth } from "./sigv4.ts";
import type { S3Store } from "./store.ts";

export interface S3Deps {
  store: S3Store;
  identity: IdentityClient;
  cfg: Config;
  log: Logger;
  clock: Clock;
}

/** One authenticated S3 request, as handlers see it. */
export interface S3Req {
  c: Ctx;
  deps: S3Deps;
  auth: SigV4Auth;
  /** `AUTH_<projectId>` of the caller's EC2 credential. */
  account: string;
  bucket?: string;
  key?: string;
  query: URLSearchParams;
  /** The object's bytes: aws-chunked decoded and checked, or the body checked against its declared hashes. */
  body(): ReadableStream<Uint8Array>;
  /** The object's length when known (x-amz-decoded-content-length or Content-Length). */
  contentLength?: number;
  /** A small body (XML) read whole. */
  text(): Promise<string>;
}

export function header(c: Ctx, name: string): string | undefined {
  return c.req.header(name) ?? undefined;
}

/** The decoded request body stream for the payload the signature declares. */
export function bodyOf(c: Ctx, auth: SigV4Auth): { stream: () => ReadableStream<Uint8Array>; length?: number } {
  const raw = () => c.req.raw.body ?? new ReadableStream<Uint8Array>({ start: (ctl) => ctl.close() });
  const contentLength = c.req.header("content-length");
  const checksumHeader = [...c.req.raw.headers.keys()].find((h) => checksumAlgOf(h));
  const payload = auth.payloadHash;
  if (isStreamingPayload(payload)) {
    const decoded = c.req.header("x-amz-decoded-content-length");
    const length = decoded !== undefined ? Number(decoded) : undefined;
    if (length !== undefined && (!Number.isInteger(length) || length < 0)) throw s3err("InvalidArgument", "Invalid x-amz-decoded-content-length");
    const signed = payload === STREAMING_SIGNED || payload === STREAMING_SIGNED_TRAILER;
    if (!signed && payload !== "STREAMING-UNSIGNED-PAYLOAD-TRAILER") {
      throw s3err("InvalidArgument", `Unsupported x-amz-content-sha256 value: ${payload}`);
    }
    const trailer = c.req.header("x-amz-trailer");
    return {
      length,
      stream: () =>
        raw().pipeThrough(
          awsChunkedDecoder({
            signing: signed
              ? { signingKey: auth.signingKey, amzDate: auth.amzDate, scope: auth.scope, seedSignature: auth.signature }
              : undefined,
            decodedLength: length,
            trailer,
          }),
        ),
    };
  }
  const checks: PlainChecks = {};
  if (/^[0-9a-fA-F]{64}$/.test(payload)) checks.sha256 = payload;
  else if (payload !== "UNSIGNED-PAYLOAD") throw s3err("InvalidArgument", `Invalid x-amz-content-sha256 value: ${payload}`);
  if (checksumHeader) checks.checksum = { alg: checksumAlgOf(checksumHeader)!, value: c.req.header(checksumHeader)! };
  const length = contentLength !== undefined ? Number(contentLength) : undefined;
  return {
    length,
    stream: () => (checks.sha256 || checks.checksum ? raw().pipeThrough(verifyingStream(checks)) : raw()),
  };
}
