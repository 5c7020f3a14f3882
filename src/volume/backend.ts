/**
 * The volume backend ("cinder-volume"'s driver): every volume and snapshot is
 * one file under `<dataDir>/volumes/`. qcow2 through qemu-img when it is
 * installed, a sparse raw file otherwise. Snapshots are copies of the volume
 * file (qcow2 copies only the allocated clusters), so a snapshot never depends
 * on its volume and a volume made from one never depends on the snapshot.
 */
import { copyFileSync, existsSync, mkdirSync, openSync, closeSync, ftruncateSync, renameSync, rmSync, statSync, createWriteStream } from "node:fs";
import { join } from "node:path";
import type { Logger } from "../core/log.ts";

export type VolumeFormat = "raw" | "qcow2";
const GiB = 1024 ** 3;

export class FileBackend {
  readonly dir: string;
  readonly qemuImg: string | null;
  readonly format: VolumeFormat;
  /** Empty qcow2 images per size: a new blank volume is a copy of one (no process spawn). */
  private templates = new Map<number, Promise<string>>();

  constructor(dataDir: string, private log: Logger, opts: { format?: VolumeFormat } = {}) {
    this.dir = join(dataDir, "volumes");
    mkdirSync(join(this.dir, ".templates"), { recursive: true });
    mkdirSync(join(this.dir, ".tmp"), { recursive: true });
    this.qemuImg = Bun.which("qemu-img");
    this.format = opts.format ?? (this.qemuImg ? "qcow2" : "raw");
    if (this.format === "qcow2" && !this.qemuImg) this.format = "raw";
  }

  volumePath(id: string): string {
    return join(this.dir, `volume-${id}`);
  }
  snapshotPath(id: string): string {
    return join(this.dir, `snapshot-${id}`);
  }
  /** Backups live beside the volumes, in their own folder (the "backup service"). */
  backupPath(id: string): string {
    return join(this.dir, "backups", `backup-${id}`);
  }

  /** A backup is a full copy of the volume (or snapshot) file, in the same format. */
  async backup(src: string, fmt: VolumeFormat, backupId: string): Promise<void> {
    mkdirSync(join(this.dir, "backups"), { recursive: true });
    const tmp = this.tmpPath("backup");
    if (fmt === "qcow2" && this.qemuImg) await this.run(["convert", "-q", "-f", "qcow2", "-O", "qcow2", src, tmp]);
    else await sparseCopy(src, tmp);
    renameSync(tmp, this.backupPath(backupId));
  }
  deleteBackup(id: string): void {
    rmSync(this.backupPath(id), { force: true });
  }
  private tmpPath(tag: string): string {
    return join(this.dir, ".tmp", `${tag}-${crypto.randomUUID()}`);
  }

  private async run(args: string[]): Promise<string> {
    if (!this.qemuImg) throw new Error("qemu-img is not installed");
    const p = Bun.spawn([this.qemuImg, ...args], { stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    if (code !== 0) throw new Error(`qemu-img ${args[0]} failed: ${err.trim() || out.trim()}`);
    return out;
  }

  private template(sizeGb: number): Promise<string> {
    let t = this.templates.get(sizeGb);
    if (!t) {
      const path = join(this.dir, ".templates", `empty-${sizeGb}G.qcow2`);
      t = existsSync(path)
        ? Promise.resolve(path)
        : (async () => {
            const tmp = this.tmpPath("template");
            await this.run(["create", "-q", "-f", "qcow2", tmp, String(sizeGb * GiB)]);
            renameSync(tmp, path);
            return path;
          })();
      t.catch(() => this.templates.delete(sizeGb));
      this.templates.set(sizeGb, t);
    }
    return t;
  }

  /** A new empty volume of `sizeGb` GiB; returns the format written. */
  async createBlank(id: string, sizeGb: number): Promise<VolumeFormat> {
    const dest = this.volumePath(id);
    if (this.format === "qcow2") {
      const tpl = await this.template(sizeGb);
      const tmp = this.tmpPath("vol");
      copyFileSync(tpl, tmp);
      renameSync(tmp, dest);
      return "qcow2";
    }
    const tmp = this.tmpPath("vol");
    const fd = openSync(tmp, "w");
    try {
      ftruncateSync(fd, sizeGb * GiB);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, dest);
    return "raw";
  }

  /** Copy a file of `srcFormat` into volume `id` (converted to the backend format), grown to `sizeGb`. */
  async createFromFile(id: string, src: string, srcFormat: VolumeFormat, sizeGb: number): Promise<VolumeFormat> {
    const tmp = this.tmpPath("vol");
    let fmt: VolumeFormat;
    if (this.qemuImg) {
      fmt = this.format;
      await this.run(["convert", "-q", "-f", srcFormat, "-O", fmt, src, tmp]);
      await this.growTo(tmp, fmt, sizeGb);
    } else {
      fmt = "raw";
      await sparseCopy(src, tmp);
      await this.growTo(tmp, fmt, sizeGb);
    }
    renameSync(tmp, this.volumePath(id));
    return fmt;
  }

  /** Write an image's bytes (disk format `diskFormat`) into volume `id`, grown to `sizeGb`. */
  async createFromStream(id: string, data: ReadableStream<Uint8Array>, diskFormat: string | null, sizeGb: number): Promise<VolumeFormat> {
    const raw = this.tmpPath("image");
    await writeStream(raw, data);
    try {
      let srcFormat: string = diskFormat === "qcow2" ? "qcow2" : "raw";
      if (this.qemuImg && diskFormat && !["raw", "qcow2", "iso", "ami", "ari", "aki"].includes(diskFormat)) srcFormat = diskFormat;
      if (this.qemuImg) {
        const info = JSON.parse(await this.run(["info", "--output=json", raw])) as { format?: string; "virtual-size"?: number };
        // Trust the bytes over the label (a "raw" label on a qcow2 file is common).
        if (info.format === "qcow2" || info.format === "raw") srcFormat = info.format;
        const vsize = info["virtual-size"] ?? 0;
        if (vsize > sizeGb * GiB) throw new Error(`Image virtual size is ${Math.ceil(vsize / GiB)}GB and doesn't fit in a volume of size ${sizeGb}GB.`);
      }
      return await this.createFromFile(id, raw, srcFormat as VolumeFormat, sizeGb);
    } finally {
      rmSync(raw, { force: true });
    }
  }

  private async growTo(path: string, fmt: VolumeFormat, sizeGb: number): Promise<void> {
    const want = sizeGb * GiB;
    if (fmt === "qcow2") {
      const info = JSON.parse(await this.run(["info", "--output=json", path])) as { "virtual-size": number };
      if (info["virtual-size"] < want) await this.run(["resize", "-q", "-f", "qcow2", path, String(want)]);
      return;
    }
    if (statSync(path).size < want) {
      const fd = openSync(path, "r+");
      try {
        ftruncateSync(fd, want);
      } finally {
        closeSync(fd);
      }
    }
  }

  /** Grow the volume to `sizeGb` (the API has checked it is larger): one qemu-img resize, or a truncate. */
  async extend(id: string, fmt: VolumeFormat, sizeGb: number): Promise<void> {
    if (fmt === "qcow2") await this.run(["resize", "-q", "-f", "qcow2", this.volumePath(id), String(sizeGb * GiB)]);
    else await this.growTo(this.volumePath(id), fmt, sizeGb);
  }

  /** A snapshot is a copy of the volume file in the same format. */
  async snapshot(volumeId: string, snapshotId: string, fmt: VolumeFormat): Promise<void> {
    const tmp = this.tmpPath("snap");
    if (fmt === "qcow2" && this.qemuImg) await this.run(["convert", "-q", "-f", "qcow2", "-O", "qcow2", this.volumePath(volumeId), tmp]);
    else await sparseCopy(this.volumePath(volumeId), tmp);
    renameSync(tmp, this.snapshotPath(snapshotId));
  }

  /** The volume's bytes as `diskFormat` (raw or qcow2), for an upload to Glance. Call `done()` after reading. */
  async exportAs(id: string, fmt: VolumeFormat, diskFormat: string): Promise<{ path: string; size: number; done: () => void }> {
    const src = this.volumePath(id);
    const want = diskFormat === "qcow2" ? "qcow2" : "raw";
    if (want === fmt) return { path: src, size: statSync(src).size, done: () => {} };
    const tmp = this.tmpPath("export");
    if (!this.qemuImg) throw new Error("qemu-img is needed to convert the volume");
    await this.run(["convert", "-q", "-f", fmt, "-O", want, src, tmp]);
    return { path: tmp, size: statSync(tmp).size, done: () => rmSync(tmp, { force: true }) };
  }

  deleteVolume(id: string): void {
    rmSync(this.volumePath(id), { force: true });
  }
  deleteSnapshot(id: string): void {
    rmSync(this.snapshotPath(id), { force: true });
  }
  volumeExists(id: string): boolean {
    return existsSync(this.volumePath(id));
  }
}

/** Copy keeping holes (a 1 GiB sparse volume stays a few KiB): coreutils cp, else a plain copy. */
async function sparseCopy(src: string, dest: string): Promise<void> {
  const cp = Bun.which("cp");
  if (cp) {
    const p = Bun.spawn([cp, "--sparse=always", "--reflink=auto", src, dest], { stdout: "ignore", stderr: "pipe" });
    const [err, code] = await Promise.all([new Response(p.stderr).text(), p.exited]);
    if (code === 0) return;
    throw new Error(`copy of ${src} failed: ${err.trim()}`);
  }
  copyFileSync(src, dest);
}

async function writeStream(path: string, data: ReadableStream<Uint8Array>): Promise<void> {
  const out = createWriteStream(path);
  try {
    for await (const chunk of data as unknown as AsyncIterable<Uint8Array>) {
      if (!out.write(chunk)) await new Promise<void>((r) => out.once("drain", () => r()));
    }
  } finally {
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  }
}
