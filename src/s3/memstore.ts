/**
 * An in-memory S3Store: the port's reference behaviour for tests (the real
 * store is the filesystem one in src/objectstore/).
 */
import { s3err } from "./errors.ts";
import type { S3ListEntry, S3ObjectInfo, S3PartInfo, S3Store } from "./store.ts";

interface Obj {
  info: S3ObjectInfo;
  data: Uint8Array;
}
interface Upload {
  account: string;
  container: string;
  name: string;
  uploadId: string;
  createdAt: number;
  contentType: string;
  metadata: Record<string, string>;
  headers: Record<string, string>;
  parts: Map<number, { info: S3PartInfo; data: Uint8Array; md5: Buffer }>;
}

const MIN_PART = 5 * 1024 * 1024;

async function readAll(body: ReadableStream<Uint8Array>, md5?: string, size?: number): Promise<{ data: Uint8Array; md5: string }> {
  const data = new Uint8Array(await new Response(body).arrayBuffer());
  const got = new Bun.CryptoHasher("md5").update(data).digest("hex");
  if (md5 && md5 !== got) throw s3err("BadDigest");
  if (size !== undefined && data.length !== size) throw s3err("IncompleteBody");
  return { data, md5: got };
}

export function memStore(opts: { now?: () => number; minPartSize?: number } = {}): S3Store {
  const now = opts.now ?? Date.now;
  const minPart = opts.minPartSize ?? MIN_PART;
  const containers = new Map<string, { name: string; createdAt: number; objects: Map<string, Obj> }>();
  const uploads = new Map<string, Upload>();
  const cid = (a: string, c: string) => `${a}/${c}`;
  const must = (a: string, c: string) => {
    const x = containers.get(cid(a, c));
    if (!x) throw s3err("NoSuchBucket", undefined, { BucketName: c });
    return x;
  };
  const upload = (a: string, c: string, n: string, id: string) => {
    const u = uploads.get(id);
    if (!u || u.account !== a || u.container !== c || u.name !== n) throw s3err("NoSuchUpload", undefined, { UploadId: id });
    return u;
  };
  return {
    async listContainers(account, { marker, limit = 10000 }) {
      return [...containers.entries()]
        .filter(([k, v]) => k.startsWith(`${account}/`) && (!marker || v.name > marker))
        .map(([, v]) => ({ name: v.name, createdAt: v.createdAt }))
        .sort((a, b) => (a.name < b.name ? -1 : 1))
        .slice(0, limit);
    },
    async createContainer(account, name) {
      if (containers.has(cid(account, name))) return false;
      containers.set(cid(account, name), { name, createdAt: now(), objects: new Map() });
      return true;
    },
    async getContainer(account, name) {
      const c = containers.get(cid(account, name));
      return c && { name: c.name, createdAt: c.createdAt };
    },
    async deleteContainer(account, name) {
      const c = must(account, name);
      if (c.objects.size) throw s3err("BucketNotEmpty", undefined, { BucketName: name });
      containers.delete(cid(account, name));
    },
    async listObjects(account, container, { prefix = "", delimiter, marker, limit }) {
      const c = must(account, container);
      const out: S3ListEntry[] = [];
      const names = [...c.objects.keys()].sort();
      let lastSub = "";
      for (const n of names) {
        if (out.length >= limit) break;
        if (!n.startsWith(prefix) || (marker !== undefined && n <= marker)) continue;
        if (delimiter) {
          const i = n.indexOf(delimiter, prefix.length);
          if (i >= 0) {
            const sub = n.slice(0, i + delimiter.length);
            if (sub !== lastSub && !(marker !== undefined && sub <= marker)) out.push({ subdir: sub });
            lastSub = sub;
            continue;
          }
        }
        const o = c.objects.get(n)!;
        out.push({ name: n, bytes: o.info.bytes, etag: o.info.etag, lastModified: o.info.lastModified });
      }
      return out;
    },
    async putObject(account, container, name, body, o) {
      const c = must(account, container);
      const { data, md5 } = await readAll(body, o.md5, o.size);
      const info: S3ObjectInfo = { name, bytes: data.length, etag: md5, contentType: o.contentType, lastModified: now(), metadata: o.metadata, headers: o.headers };
      c.objects.set(name, { info, data });
      return info;
    },
    async headObject(account, container, name) {
      return containers.get(cid(account, container))?.objects.get(name)?.info;
    },
    async openObject(account, container, name, range) {
      const o = must(account, container).objects.get(name);
      if (!o) throw s3err("NoSuchKey", undefined, { Key: name });
      const data = range ? o.data.slice(range.start, range.end) : o.data;
      return { info: o.info, body: new Blob([data]) };
    },
    async deleteObject(account, container, name) {
      must(account, container).objects.delete(name);
    },
    async copyObject(src, dst, replace) {
      const o = must(src.account, src.container).objects.get(src.name);
      if (!o) throw s3err("NoSuchKey", undefined, { Key: src.name });
      const d = must(dst.account, dst.container);
      const info: S3ObjectInfo = {
        ...o.info,
        name: dst.name,
        lastModified: now(),
        ...(replace ? { metadata: replace.metadata, headers: replace.headers, contentType: replace.contentType } : {}),
      };
      d.objects.set(dst.name, { info, data: o.data });
      return info;
    },
    async createUpload(account, container, name, o) {
      must(account, container);
      const uploadId = crypto.randomUUID().replaceAll("-", "");
      uploads.set(uploadId, { account, container, name, uploadId, createdAt: now(), ...o, parts: new Map() });
      return uploadId;
    },
    async putPart(account, container, name, uploadId, partNumber, body, o) {
      const u = upload(account, container, name, uploadId);
      const { data, md5 } = await readAll(body, o.md5, o.size);
      const info = { partNumber, etag: md5, bytes: data.length, lastModified: now() };
      u.parts.set(partNumber, { info, data, md5: Buffer.from(md5, "hex") });
      return info;
    },
    async listParts(account, container, name, uploadId, { marker, limit }) {
      const u = upload(account, container, name, uploadId);
      const parts = [...u.parts.values()].map((p) => p.info).filter((p) => p.partNumber > marker).sort((a, b) => a.partNumber - b.partNumber);
      return { parts: parts.slice(0, limit) };
    },
    async listUploads(account, container, { prefix = "" }) {
      must(account, container);
      return [...uploads.values()]
        .filter((u) => u.account === account && u.container === container && u.name.startsWith(prefix))
        .map((u) => ({ name: u.name, uploadId: u.uploadId, createdAt: u.createdAt }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.uploadId < b.uploadId ? -1 : 1));
    },
    async abortUpload(account, container, name, uploadId) {
      upload(account, container, name, uploadId);
      uploads.delete(uploadId);
    },
    async completeUpload(account, container, name, uploadId, parts) {
      const u = upload(account, container, name, uploadId);
      const chosen = parts.map((p, i) => {
        const got = u.parts.get(p.partNumber);
        if (!got || got.info.etag !== p.etag) throw s3err("InvalidPart", undefined, { PartNumber: p.partNumber, ETag: p.etag });
        if (i < parts.length - 1 && got.data.length < minPart) throw s3err("EntityTooSmall", undefined, { PartNumber: p.partNumber });
        return got;
      });
      const data = new Uint8Array(chosen.reduce((n, p) => n + p.data.length, 0));
      let off = 0;
      for (const p of chosen) {
        data.set(p.data, off);
        off += p.data.length;
      }
      const etag = `${new Bun.CryptoHasher("md5").update(Buffer.concat(chosen.map((p) => p.md5))).digest("hex")}-${chosen.length}`;
      const info: S3ObjectInfo = { name, bytes: data.length, etag, contentType: u.contentType, lastModified: now(), metadata: u.metadata, headers: u.headers };
      must(account, container).objects.set(name, { info, data });
      uploads.delete(uploadId);
      return info;
    },
  };
}
