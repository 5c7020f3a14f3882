import type { Logger } from "../core/log.ts";
import type { AuditTarget, FsObjectStore } from "./store.ts";

export interface AuditorOptions {
  /** How often a pass starts (ms). */
  intervalMs: number;
  /** Bytes re-hashed per pass at most (one larger object still goes through alone). */
  bytesPerPass: number;
  /** An object is re-checked when its last audit is older than this (ms). */
  everyMs: number;
  /** Objects looked at per pass at most. */
  batch: number;
}

const DEFAULTS: AuditorOptions = { intervalMs: 10_000, bytesPerPass: 32 * 1024 * 1024, everyMs: 86_400_000, batch: 64 };

/**
 * The object auditor (Swift's swift-object-auditor on one machine): re-hashes
 * stored objects in the background at a gentle pace — the least recently
 * audited first, a bounded number of bytes per pass — and quarantines any
 * whose MD5 no longer matches: the file is moved aside under
 * `objects/quarantined/`, the quarantine table records it, the object row
 * goes (a GET answers 404 rather than rotten bytes) and a warning is logged.
 */
export class Auditor {
  private timer: ReturnType<typeof setInterval> | undefined;
  private running = false;
  private readonly opts: AuditorOptions;

  constructor(
    private store: FsObjectStore,
    private log: Logger,
    opts: Partial<AuditorOptions> = {},
  ) {
    this.opts = { ...DEFAULTS, ...opts };
  }

  /** One pass. `now` is the store clock's time (ms). */
  async runOnce(now: number, opts: Partial<AuditorOptions> = {}): Promise<{ audited: number; quarantined: number }> {
    const o = { ...this.opts, ...opts };
    let bytes = 0, audited = 0, quarantined = 0;
    for (const t of this.store.auditCandidates(now - o.everyMs, o.batch)) {
      if (bytes > 0 && bytes + t.size > o.bytesPerPass) break;
      bytes += t.size;
      audited++;
      const actual = await md5OfFile(this.store.path(t.file), t.size);
      if (!this.store.isCurrent(t)) continue; // replaced or deleted while we read it
      if (actual === t.md5) {
        this.store.markAudited(t);
        continue;
      }
      const dest = this.store.quarantine(t, actual);
      quarantined++;
      this.log.warn(
        `auditor: quarantined ${t.account}/${t.container}/${t.name}: MD5 ${actual ?? "(file missing)"} != ${t.md5}; moved to ${dest}`,
      );
    }
    return { audited, quarantined };
  }

  start(now: () => number): this {
    this.timer ??= setInterval(async () => {
      if (this.running) return;
      this.running = true;
      try {
        await this.runOnce(now());
      } catch (e) {
        this.log.error(`auditor failed: ${(e as Error).message}`);
      } finally {
        this.running = false;
      }
    }, this.opts.intervalMs);
    (this.timer as { unref?: () => void }).unref?.();
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** MD5 of a file read as a stream; undefined when it is missing or not `size` bytes long. */
async function md5OfFile(path: string, size: number): Promise<string | undefined> {
  const f = Bun.file(path);
  if (!(await f.exists())) return undefined;
  const h = new Bun.CryptoHasher("md5");
  let n = 0;
  for await (const chunk of f.stream()) {
    h.update(chunk);
    n += chunk.byteLength;
  }
  const hex = h.digest("hex");
  return n === size ? hex : `${hex} (${n} bytes, expected ${size})`;
}
