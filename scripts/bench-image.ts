#!/usr/bin/env bun
/**
 * The image service, measured (run by `bun run bench`; alone: `bun scripts/bench-image.ts`).
 *
 * Starts tenrec (`bun src/main.ts up`, its own temp data dir, port offset 3100) and, through
 * Glance v2 with plain fetch + X-Auth-Token:
 *   - uploads a 256 MiB image (PUT /v2/images/{id}/file, chunked, body generated on the fly,
 *     never held in memory by the client) — MB/s, median of --reps runs;
 *   - downloads it (GET …/file, streamed and discarded) — MB/s, median;
 *   - samples tenrec's RSS (VmRSS from /proc every 50 ms) during both: it must stay flat
 *     (the data streams to and from the object store, never buffered), target < 150 MB.
 * Upload includes what Glance does per byte: MD5 (checksum) and SHA-512 (os_hash_value), the
 * object store's fsync, and qemu-img info for the virtual size.
 *
 * A benchmark, not a test: it prints numbers with the targets beside them and never fails on them.
 * Options: --port-offset N (default 3100), --mib N (default 256), --reps N (default 3), --json.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    "port-offset": { type: "string", default: "3100" },
    mib: { type: "string", default: "256" },
    reps: { type: "string", default: "3" },
    json: { type: "boolean", default: false },
  },
});
const offset = Number(values["port-offset"]);
const size = Number(values.mib) * 1024 * 1024;
const reps = Math.max(1, Number(values.reps));
const keystone = `http://127.0.0.1:${5000 + offset}`;
const glance = `http://127.0.0.1:${9292 + offset}`;
const log = (s: string) => console.error(`[bench-image] ${s}`);

const dataDir = mkdtempSync(join(tmpdir(), "tenrec-bench-image-"));
const proc = Bun.spawn(["bun", join(import.meta.dir, "..", "src", "main.ts"), "up", "--data-dir", dataDir, "--port-offset", String(offset), "--no-access-log"], {
  stdout: "ignore",
  stderr: "inherit",
});
let cleaned = false;
async function cleanup() {
  if (cleaned) return;
  cleaned = true;
  proc.kill("SIGTERM");
  await proc.exited;
  rmSync(dataDir, { recursive: true, force: true });
}
process.on("SIGINT", () => void cleanup().then(() => process.exit(130)));

function rssMb(): number {
  try {
    const m = readFileSync(`/proc/${proc.pid}/status`, "utf8").match(/VmRSS:\s+(\d+) kB/);
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Sample RSS every 50 ms while `fn` runs: [result, max MB, samples]. */
async function sampled<T>(fn: () => Promise<T>): Promise<[T, number, number[]]> {
  const samples: number[] = [];
  const timer = setInterval(() => samples.push(rssMb()), 50);
  try {
    const r = await fn();
    samples.push(rssMb());
    return [r, Math.max(...samples.filter((x) => !Number.isNaN(x))), samples];
  } finally {
    clearInterval(timer);
  }
}

/** A body of `n` bytes generated on the fly in 1 MiB chunks (one reused pattern buffer). */
function generated(n: number): ReadableStream<Uint8Array> {
  const chunk = new Uint8Array(1024 * 1024);
  crypto.getRandomValues(chunk.subarray(0, 65536));
  for (let i = 65536; i < chunk.length; i += 65536) chunk.copyWithin(i, 0, 65536);
  let sent = 0;
  return new ReadableStream({
    pull(ctrl) {
      if (sent >= n) return ctrl.close();
      const len = Math.min(chunk.length, n - sent);
      sent += len;
      ctrl.enqueue(len === chunk.length ? chunk.slice() : chunk.slice(0, len));
    },
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mbps = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000);

try {
  const end = performance.now() + 15_000;
  for (;;) {
    try {
      if ((await fetch(`${keystone}/v3`)).ok) break;
    } catch {}
    if (performance.now() > end) throw new Error("tenrec did not start");
    await Bun.sleep(50);
  }
  const tr = await fetch(`${keystone}/v3/auth/tokens`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      auth: {
        identity: { methods: ["password"], password: { user: { name: "admin", domain: { id: "default" }, password: "secret" } } },
        scope: { project: { name: "admin", domain: { id: "default" } } },
      },
    }),
  });
  const token = tr.headers.get("x-subject-token");
  if (!token) throw new Error(`no token: ${tr.status}`);
  const H = { "x-auth-token": token };
  const rssStart = rssMb();

  const ups: number[] = [];
  const downs: number[] = [];
  let upRss = 0;
  let downRss = 0;
  let upSamples: number[] = [];
  for (let i = 0; i < reps; i++) {
    const cr = await fetch(`${glance}/v2/images`, {
      method: "POST",
      headers: { ...H, "content-type": "application/json" },
      body: JSON.stringify({ name: `bench-${i}`, disk_format: "raw", container_format: "bare" }),
    });
    const id = ((await cr.json()) as { id: string }).id;
    const [upMs, upMax, s] = await sampled(async () => {
      const t0 = performance.now();
      const r = await fetch(`${glance}/v2/images/${id}/file`, {
        method: "PUT",
        headers: { ...H, "content-type": "application/octet-stream" },
        body: generated(size),
        duplex: "half",
      } as RequestInit);
      if (r.status !== 204) throw new Error(`upload: ${r.status} ${await r.text()}`);
      return performance.now() - t0;
    });
    ups.push(mbps(size, upMs));
    upRss = Math.max(upRss, upMax);
    if (i === 0) upSamples = s;
    const [downMs, downMax] = await sampled(async () => {
      const t0 = performance.now();
      const r = await fetch(`${glance}/v2/images/${id}/file`, { headers: H });
      let n = 0;
      for await (const c of r.body as unknown as AsyncIterable<Uint8Array>) n += c.byteLength;
      if (n !== size) throw new Error(`download: ${n} bytes of ${size}`);
      return performance.now() - t0;
    });
    downs.push(mbps(size, downMs));
    downRss = Math.max(downRss, downMax);
    await fetch(`${glance}/v2/images/${id}`, { method: "DELETE", headers: H });
  }
  const out = {
    "image size (MiB)": size / 1024 / 1024,
    "upload MB/s (median)": Number(median(ups).toFixed(1)),
    "download MB/s (median)": Number(median(downs).toFixed(1)),
    "RSS after start (MB)": Number(rssStart.toFixed(1)),
    "peak RSS during upload (MB)": Number(upRss.toFixed(1)),
    "peak RSS during download (MB)": Number(downRss.toFixed(1)),
    "RSS spread during the first upload (MB)": Number((Math.max(...upSamples) - Math.min(...upSamples)).toFixed(1)),
  };
  if (values.json) console.log(JSON.stringify({ image: out }, null, 2));
  else {
    const targets: Record<string, string> = {
      "peak RSS during upload (MB)": "< 150, flat",
      "peak RSS during download (MB)": "< 150, flat",
    };
    console.log(`\ntenrec bench (image service, Glance v2), ${navigator.hardwareConcurrency} cores, client and server on the same machine; MB = 10^6 bytes`);
    for (const [k, v] of Object.entries(out)) console.log(`  ${k.padEnd(44)} ${String(v).padStart(8)}   ${targets[k] ? `target ${targets[k]}` : ""}`);
    console.log(`  (each of ${reps} runs: a ${size / 1024 / 1024} MiB chunked upload generated on the fly, MD5 + SHA-512 + fsync; a streamed download, discarded)`);
  }
} catch (e) {
  log(`failed: ${(e as Error).message}`);
  process.exitCode = 0;
} finally {
  await cleanup();
}
