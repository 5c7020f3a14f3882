/**
 * Bulk upload (`PUT /v1/<account>[/<container>[/<prefix>]]?extract-archive=tar|tar.gz`,
 * Swift's bulk middleware): each regular file of the archive becomes an object,
 * its first path component the container when the URL names none. The archive
 * is parsed while it streams in; each file's bytes go straight to the store.
 * Always 200, the outcome in the body (plain, JSON or XML per Accept).
 */
import { ApiError } from "../../core/errors.ts";
import { type SwiftReq, reply } from "../context.ts";
import { checkContainerName, checkObjectName } from "../path.ts";
import { bulkBody, bulkOutType, statusLine } from "./bulk.ts";
import { guessType } from "./object.ts";

export const MAX_CONTAINERS_PER_EXTRACTION = 10000;
export const MAX_FAILED_EXTRACTIONS = 1000;

/** Reads exact byte counts from a stream, handing file bodies on as streams. */
class ByteReader {
  private buf = new Uint8Array(0);
  private eof = false;
  /** Bytes of the current file stream not yet read. */
  private pending = 0;
  constructor(private reader: ReadableStreamDefaultReader<Uint8Array>) {}

  private async more(): Promise<boolean> {
    if (this.eof) return false;
    const { done, value } = await this.reader.read();
    if (done) {
      this.eof = true;
      return false;
    }
    const b = new Uint8Array(this.buf.length + value.length);
    b.set(this.buf);
    b.set(value, this.buf.length);
    this.buf = b;
    return true;
  }

  /** Exactly n bytes, or undefined at a clean end of stream. */
  async read(n: number): Promise<Uint8Array | undefined> {
    while (this.buf.length < n) if (!(await this.more())) break;
    if (this.buf.length < n) {
      if (this.buf.length === 0) return undefined;
      throw new ApiError(400, "Invalid Tar File: truncated");
    }
    const out = this.buf.slice(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** The next n bytes as a stream (consumed as the store reads it). */
  stream(n: number): ReadableStream<Uint8Array> {
    this.pending = n;
    return new ReadableStream<Uint8Array>({
      pull: async (ctl) => {
        if (this.pending === 0) return ctl.close();
        if (this.buf.length === 0 && !(await this.more())) return ctl.error(new ApiError(400, "Invalid Tar File: truncated"));
        const take = Math.min(this.pending, this.buf.length);
        ctl.enqueue(this.buf.slice(0, take));
        this.buf = this.buf.subarray(take);
        this.pending -= take;
        if (this.pending === 0) ctl.close();
      },
    });
  }

  /** Skip what a file stream left unread (its upload failed). */
  async drain(): Promise<void> {
    const n = this.pending;
    this.pending = 0;
    await this.skip(n);
  }

  async skip(n: number): Promise<void> {
    while (n > 0) {
      if (this.buf.length === 0 && !(await this.more())) throw new ApiError(400, "Invalid Tar File: truncated");
      const take = Math.min(n, this.buf.length);
      this.buf = this.buf.subarray(take);
      n -= take;
    }
  }
}

const dec = new TextDecoder();
const str = (b: Uint8Array, a: number, len: number) => {
  const s = b.subarray(a, a + len);
  const z = s.indexOf(0);
  return dec.decode(z < 0 ? s : s.subarray(0, z));
};
function octal(b: Uint8Array, a: number, len: number): number {
  if (b[a]! & 0x80) {
    // base-256 (GNU) for large sizes
    let v = 0;
    for (let i = a + 1; i < a + len; i++) v = v * 256 + b[i]!;
    return v;
  }
  const s = str(b, a, len).trim();
  if (!s) return 0;
  if (!/^[0-7]+$/.test(s)) throw new ApiError(400, "Invalid Tar File: bad header");
  return parseInt(s, 8);
}
const pad = (n: number) => (512 - (n % 512)) % 512;

function paxPath(data: Uint8Array): string | undefined {
  const text = dec.decode(data);
  let i = 0;
  let path: string | undefined;
  while (i < text.length) {
    const sp = text.indexOf(" ", i);
    if (sp < 0) break;
    const len = Number(text.slice(i, sp));
    if (!len) break;
    const rec = text.slice(sp + 1, i + len - 1);
    const eq = rec.indexOf("=");
    if (rec.slice(0, eq) === "path") path = rec.slice(eq + 1);
    i += len;
  }
  return path;
}

export async function extractArchive(r: SwiftReq, format: string): Promise<Response> {
  const type = bulkOutType(r.headers.get("accept"));
  const kind = format.toLowerCase().replace(/^\.+/, "");
  if (kind !== "tar" && kind !== "tar.gz") throw new ApiError(400, "Unsupported archive format");
  let body = r.c.req.raw.body ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() });
  if (kind === "tar.gz") body = body.pipeThrough(new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>);
  const rd = new ByteReader(body.getReader() as ReadableStreamDefaultReader<Uint8Array>);
  const result = { "Number Files Created": 0, "Response Body": "", "Response Status": "201 Created" };
  const failed: [string, string][] = [];
  const made = new Set<string>();
  const base = [r.container, r.object].filter(Boolean).join("/");
  let longName: string | undefined;
  try {
    for (;;) {
      const h = await rd.read(512);
      if (!h || h.every((x) => x === 0)) break;
      const size = octal(h, 124, 12);
      const flag = String.fromCharCode(h[156]!);
      if (flag === "L" || flag === "x") {
        const data = (await rd.read(size)) ?? new Uint8Array(0);
        await rd.skip(pad(size));
        longName = flag === "L" ? str(data, 0, data.length) : (paxPath(data) ?? longName);
        continue;
      }
      let name = str(h, 0, 100);
      if (str(h, 257, 5) === "ustar") {
        const prefix = str(h, 345, 155);
        if (prefix) name = `${prefix}/${name}`;
      }
      if (longName !== undefined) name = longName;
      longName = undefined;
      if (flag !== "0" && flag !== "\0" && flag !== "7") {
        await rd.skip(size + pad(size));
        continue;
      }
      const rel = name.replace(/^(\.\/|\/)+/, "");
      const full = (base ? `${base}/${rel}` : rel).replace(/\/+$/, "");
      const i = full.indexOf("/");
      const container = i < 0 ? "" : full.slice(0, i);
      const object = i < 0 ? "" : full.slice(i + 1);
      let started = false;
      try {
        if (!container || !object) throw new ApiError(400, "Invalid Path");
        checkContainerName(container);
        checkObjectName(object);
        if (!made.has(container)) {
          if (made.size >= MAX_CONTAINERS_PER_EXTRACTION) throw new ApiError(400, `More than ${MAX_CONTAINERS_PER_EXTRACTION} containers to create from tar.`);
          await r.store.createContainer(r.account, container, {});
          made.add(container);
        }
        if (size > r.env.maxFileSize) throw new ApiError(413, "Your request is too large.");
        started = true;
        await r.store.putObject(r.account, container, object, rd.stream(size), {
          size,
          contentType: guessType(object),
          metadata: {},
          headers: {},
        });
        result["Number Files Created"]++;
      } catch (e) {
        if (!(e instanceof ApiError) || e.message.startsWith("Invalid Tar File")) throw e;
        failed.push([encodeURI(`/${full}`), statusLine(e.status)]);
        if (failed.length >= MAX_FAILED_EXTRACTIONS) throw new ApiError(400, "Max failures exceeded");
        // skip what the store did not read
        if (!started) await rd.skip(size);
        else await rd.drain();
      }
      await rd.skip(pad(size));
    }
    if (failed.length) result["Response Status"] = statusLine(400);
    else if (!result["Number Files Created"]) {
      result["Response Status"] = statusLine(400);
      result["Response Body"] = "Invalid Tar File: No Valid Files";
    }
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    result["Response Status"] = statusLine(e.status);
    result["Response Body"] = e.message;
  }
  return reply(r, 200, bulkBody(type, result, failed, "extract"), { "Content-Type": `${type}; charset=utf-8` });
}
