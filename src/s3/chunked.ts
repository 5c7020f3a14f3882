/**
 * Request payloads as S3 clients send them, decoded as streams:
 *
 * - `aws-chunked` (x-amz-content-sha256: STREAMING-*): `<hex-size>[;chunk-signature=<sig>]\r\n
 *   <data>\r\n` … `0[;chunk-signature=<sig>]\r\n`, then optional trailer lines
 *   (`x-amz-checksum-crc32:<b64>\r\n`, `x-amz-trailer-signature:<sig>\r\n`)
 *   and a final `\r\n`. Chunk signatures chain from the request's signature;
 *   a trailer checksum is checked against the decoded bytes.
 * - plain bodies whose `x-amz-content-sha256` is a hex SHA-256, or that carry
 *   an `x-amz-checksum-<alg>` header: hashed while streaming, the stream fails
 *   at its end when the digest differs (the store then keeps nothing).
 */
import { crc32 as zlibCrc32 } from "node:zlib";
import { s3err } from "./errors.ts";
import { EMPTY_SHA256, hmac } from "./sigv4.ts";

export const STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
export const STREAMING_SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
export const STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";

export function isStreamingPayload(h: string): boolean {
  return h.startsWith("STREAMING-");
}

// ---- checksums (x-amz-checksum-*) ----

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** An incremental checksum of one of S3's algorithms, rendered as S3 does (base64 of the big-endian digest). */
export interface Checksummer {
  update(b: Uint8Array): void;
  base64(): string;
}

export const CHECKSUM_ALGS = ["crc32", "crc32c", "sha1", "sha256"] as const;
export type ChecksumAlg = (typeof CHECKSUM_ALGS)[number];

export function checksummer(alg: ChecksumAlg): Checksummer {
  const be32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n >>> 0);
    return b.toString("base64");
  };
  if (alg === "crc32") {
    let c = 0;
    return { update: (b) => void (c = zlibCrc32(b, c)), base64: () => be32(c) };
  }
  if (alg === "crc32c") {
    let c = 0xffffffff;
    return {
      update(b) {
        for (let i = 0; i < b.length; i++) c = CRC32C_TABLE[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
      },
      base64: () => be32(~c),
    };
  }
  const h = new Bun.CryptoHasher(alg);
  return { update: (b) => void h.update(b), base64: () => h.digest("base64") };
}

/** The algorithm a header or trailer name names (`x-amz-checksum-crc32` → crc32), if we check it. */
export function checksumAlgOf(name: string): ChecksumAlg | undefined {
  const m = /^x-amz-checksum-([a-z0-9]+)$/i.exec(name.trim());
  const alg = m?.[1]!.toLowerCase();
  return (CHECKSUM_ALGS as readonly string[]).includes(alg ?? "") ? (alg as ChecksumAlg) : undefined;
}

function mismatch(alg: string): Error {
  return s3err("BadDigest", `The ${alg.toUpperCase()} you specified did not match the calculated checksum.`);
}

// ---- plain bodies ----

export interface PlainChecks {
  /** Hex SHA-256 the client signed (x-amz-content-sha256). */
  sha256?: string;
  /** An `x-amz-checksum-<alg>` header. */
  checksum?: { alg: ChecksumAlg; value: string };
}

/** Pass bytes through, failing at the end if the SHA-256 or checksum differs. */
export function verifyingStream(checks: PlainChecks): TransformStream<Uint8Array, Uint8Array> {
  const sha = checks.sha256 ? new Bun.CryptoHasher("sha256") : undefined;
  const sum = checks.checksum ? checksummer(checks.checksum.alg) : undefined;
  return new TransformStream({
    transform(chunk, ctl) {
      sha?.update(chunk);
      sum?.update(chunk);
      ctl.enqueue(chunk);
    },
    flush() {
      if (sha && sha.digest("hex") !== checks.sha256!.toLowerCase()) throw s3err("XAmzContentSHA256Mismatch", undefined, {
        ClientComputedContentSHA256: checks.sha256!,
      });
      if (sum && sum.base64() !== checks.checksum!.value) throw mismatch(checks.checksum!.alg);
    },
  });
}

// ---- aws-chunked ----

export interface ChunkSigning {
  signingKey: Uint8Array;
  amzDate: string;
  scope: string;
  /** The request's own signature: the first chunk's "previous signature". */
  seedSignature: string;
}

export interface ChunkedOptions {
  /** Present for STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER): chunk signatures are checked. */
  signing?: ChunkSigning;
  /** x-amz-decoded-content-length, checked at the end. */
  decodedLength?: number;
  /** The trailer named by x-amz-trailer whose checksum we verify. */
  trailer?: string;
}

const CRLF = [13, 10] as const;
const MAX_LINE = 8192;

function indexOfCrlf(b: Uint8Array, from: number): number {
  for (let i = from; i + 1 < b.length; i++) if (b[i] === CRLF[0] && b[i + 1] === CRLF[1]) return i;
  return -1;
}

function incomplete(m = "The request body is not a well-formed aws-chunked payload."): Error {
  return s3err("IncompleteBody", m);
}

/**
 * Decode an aws-chunked body into the object's bytes, checking chunk
 * signatures, the decoded length and the trailer checksum as it goes; any
 * failure errors the stream.
 */
export function awsChunkedDecoder(opts: ChunkedOptions = {}): TransformStream<Uint8Array, Uint8Array> {
  type State = "size" | "data" | "data-end" | "trailer" | "done";
  let state: State = "size";
  let pending: Uint8Array | undefined;
  let remaining = 0;
  let total = 0;
  let chunkSig = "";
  let prevSig = opts.signing?.seedSignature ?? "";
  let chunkHash: Bun.CryptoHasher | undefined;
  const trailerAlg = opts.trailer ? checksumAlgOf(opts.trailer) : undefined;
  const sum = trailerAlg ? checksummer(trailerAlg) : undefined;
  const trailers: [string, string][] = [];
  let trailerSig: string | undefined;

  const verifyChunk = () => {
    const s = opts.signing;
    if (!s) return;
    const hash = chunkHash ? chunkHash.digest("hex") : EMPTY_SHA256;
    chunkHash = undefined;
    const sts = `AWS4-HMAC-SHA256-PAYLOAD\n${s.amzDate}\n${s.scope}\n${prevSig}\n${EMPTY_SHA256}\n${hash}`;
    const want = hmac(s.signingKey, sts).toString("hex");
    if (want !== chunkSig) throw s3err("SignatureDoesNotMatch", "The chunk signature we calculated does not match the signature you provided.");
    prevSig = want;
  };

  const finish = () => {
    if (opts.decodedLength !== undefined && total !== opts.decodedLength) {
      throw incomplete(`You did not provide the number of bytes specified by the x-amz-decoded-content-length header (${opts.decodedLength}, got ${total}).`);
    }
    if (opts.signing && trailerSig !== undefined) {
      const canon = trailers.map(([k, v]) => `${k}:${v}\n`).join("");
      const sts = `AWS4-HMAC-SHA256-TRAILER\n${opts.signing.amzDate}\n${opts.signing.scope}\n${prevSig}\n${new Bun.CryptoHasher("sha256").update(canon).digest("hex")}`;
      if (hmac(opts.signing.signingKey, sts).toString("hex") !== trailerSig) {
        throw s3err("SignatureDoesNotMatch", "The trailer signature we calculated does not match the signature you provided.");
      }
    }
    if (sum && trailerAlg) {
      const got = trailers.find(([k]) => k === opts.trailer!.toLowerCase());
      if (got && got[1] !== sum.base64()) throw mismatch(trailerAlg);
    }
    state = "done";
  };

  return new TransformStream({
    transform(chunk, ctl) {
      let buf = chunk;
      if (pending) {
        buf = new Uint8Array(pending.length + chunk.length);
        buf.set(pending);
        buf.set(chunk, pending.length);
        pending = undefined;
      }
      let pos = 0;
      while (pos < buf.length) {
        if (state === "data") {
          const n = Math.min(remaining, buf.length - pos);
          const part = buf.subarray(pos, pos + n);
          chunkHash?.update(part);
          sum?.update(part);
          ctl.enqueue(part);
          total += n;
          remaining -= n;
          pos += n;
          if (remaining === 0) state = "data-end";
          continue;
        }
        if (state === "data-end") {
          if (buf.length - pos < 2) break;
          if (buf[pos] !== CRLF[0] || buf[pos + 1] !== CRLF[1]) throw incomplete();
          pos += 2;
          verifyChunk();
          state = "size";
          continue;
        }
        if (state === "done") {
          // Anything after the final CRLF is ignored, as S3 does.
          pos = buf.length;
          break;
        }
        const eol = indexOfCrlf(buf, pos);
        if (eol < 0) break;
        const line = new TextDecoder().decode(buf.subarray(pos, eol));
        pos = eol + 2;
        if (state === "size") {
          const semi = line.indexOf(";");
          const hex = (semi < 0 ? line : line.slice(0, semi)).trim();
          if (!/^[0-9a-fA-F]{1,16}$/.test(hex)) throw incomplete();
          const size = parseInt(hex, 16);
          if (opts.signing) {
            const m = /chunk-signature=([0-9a-f]{64})/.exec(line);
            if (!m) throw s3err("SignatureDoesNotMatch", "The chunk is missing its chunk-signature.");
            chunkSig = m[1]!;
            chunkHash = size > 0 ? new Bun.CryptoHasher("sha256") : undefined;
          }
          if (size === 0) {
            verifyChunk();
            state = "trailer";
          } else {
            remaining = size;
            state = "data";
          }
        } else if (state === "trailer") {
          if (line === "") {
            finish();
            continue;
          }
          const colon = line.indexOf(":");
          if (colon <= 0) throw incomplete();
          const name = line.slice(0, colon).trim().toLowerCase();
          const value = line.slice(colon + 1).trim();
          if (name === "x-amz-trailer-signature") trailerSig = value;
          else trailers.push([name, value]);
        }
      }
      if (pos < buf.length) {
        pending = buf.slice(pos);
        if (pending.length > MAX_LINE && state !== "data") throw incomplete();
      }
    },
    flush() {
      if (state === "done") return;
      // Clients may omit the last empty line after the trailers.
      if (state === "trailer" && !pending?.length) return finish();
      if (state === "trailer" && pending) {
        const line = new TextDecoder().decode(pending).trim();
        const colon = line.indexOf(":");
        if (colon > 0) {
          const name = line.slice(0, colon).trim().toLowerCase();
          const value = line.slice(colon + 1).trim();
          if (name === "x-amz-trailer-signature") trailerSig = value;
          else trailers.push([name, value]);
          return finish();
        }
      }
      throw incomplete();
    },
  });
}
