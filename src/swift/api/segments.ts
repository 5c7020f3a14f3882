/**
 * Streaming the concatenation of segments (DLO and SLO downloads): each
 * segment is opened as a file slice only when its turn comes, so a large
 * object is never held in memory.
 */
import { ApiError } from "../../core/errors.ts";
import type { ObjectStoreClient } from "../../objectstore/client.ts";
import type { ByteRange } from "../http.ts";

export interface Segment {
  account: string;
  container: string;
  name: string;
  /** The segment's whole length. */
  bytes: number;
  /** Expected ETag (SLO), checked when the segment is opened. */
  etag?: string;
  /** The part of the segment that belongs to the large object, end exclusive. */
  start: number;
  end: number;
}

export const segLength = (s: Segment) => s.end - s.start;

/** The segments (trimmed) that cover bytes [range.start, range.end) of the concatenation. */
export function sliceSegments(segs: Segment[], range: ByteRange): Segment[] {
  const out: Segment[] = [];
  let pos = 0;
  for (const s of segs) {
    const len = segLength(s);
    const a = Math.max(range.start, pos);
    const b = Math.min(range.end, pos + len);
    if (a < b) out.push({ ...s, start: s.start + (a - pos), end: s.start + (b - pos) });
    pos += len;
    if (pos >= range.end) break;
  }
  return out;
}

/** One stream of the segments' bytes, in order. A segment that changed or vanished ends the stream with an error. */
export function concatSegments(store: ObjectStoreClient, segs: Segment[], log?: (m: string) => void): ReadableStream<Uint8Array> {
  let i = 0;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>({
    async pull(ctl) {
      for (;;) {
        if (!reader) {
          const s = segs[i++];
          if (!s) {
            ctl.close();
            return;
          }
          if (s.end <= s.start) continue;
          let opened;
          try {
            opened = await store.openObject(s.account, s.container, s.name, { start: s.start, end: s.end });
          } catch (e) {
            log?.(`segment /${s.container}/${s.name} unreadable: ${(e as Error).message}`);
            ctl.error(new ApiError(409, `Object segment no longer valid: /${s.container}/${s.name}`));
            return;
          }
          if (s.etag && opened.info.etag !== s.etag) {
            log?.(`segment /${s.container}/${s.name} etag changed`);
            ctl.error(new ApiError(409, `Object segment no longer valid: /${s.container}/${s.name}`));
            return;
          }
          reader = opened.body.stream().getReader() as ReadableStreamDefaultReader<Uint8Array>;
        }
        const { done, value } = await reader.read();
        if (done) {
          reader = undefined;
          continue;
        }
        if (value.byteLength) {
          ctl.enqueue(value);
          return;
        }
      }
    },
    async cancel() {
      await reader?.cancel();
    },
  });
}
