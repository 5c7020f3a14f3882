#!/usr/bin/env bun
/**
 * Object storage, measured (run by `bun run bench`; alone: `bun scripts/bench-objects.ts`).
 *
 * Starts, side by side in one run:
 *   - tenrec (`bun src/main.ts up`, its own temp data dir, port offset 3500);
 *   - s3rver, the npm S3 mock (under Node when installed, else Bun; 127.0.0.1, temp directory);
 *   - a reference Bun server: "bare" (PUT = MD5 while streaming to a temp file, fsync, rename;
 *     GET = Bun.file) and "null" (discards PUT bodies, answers GETs from memory). It calibrates the
 *     machine: the bare server is the "bare Bun file server with fsync and MD5 per PUT",
 *     and the null server shows what the client alone can do (client and servers share the cores).
 * and reports, for the S3 API (one client for all: @aws-sdk/client-s3, path-style, SigV4) and for
 * tenrec's Swift API (plain fetch + X-Auth-Token, skipped unless GET /info answers 200):
 *   - 4 KiB PUT and GET ops/s, sequential and with 16 requests in flight,
 *   - 64 MiB PUT and GET MB/s (median of 5),
 * the tenrec/s3rver ratios, and tenrec's peak RSS (VmRSS from /proc every 100 ms) while a 1 GiB
 * object streams up (a body generated on the fly) and back down (streamed and discarded) over S3.
 *
 * A benchmark, not a test: it prints numbers with the targets beside them and never fails on them.
 * Options: --port-offset N (default 3500; s3rver on 4568+N, the reference server on 4569+N),
 * --duration S (per ops/s measurement, default 2; at least 500 ops each), --big-mib N (default
 * 1024), --json (machine-readable).
 */
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import type { ReadableStream as NodeWebReadableStream } from "node:stream/web";
import { parseArgs } from "node:util";
import type { Subprocess } from "bun";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    "port-offset": { type: "string", default: "3500" },
    duration: { type: "string", default: "2" },
    "big-mib": { type: "string", default: "1024" },
    json: { type: "boolean", default: false },
  },
});
const offset = Number(values["port-offset"]);
const durationMs = Number(values.duration) * 1000;
const bigBytes = Number(values["big-mib"]) * 1024 * 1024;
const MIN_OPS = 500;
const CONCURRENCY = 16;
const SMALL = 4 * 1024;
const LARGE = 64 * 1024 * 1024;
const LARGE_REPS = 5;
const root = join(import.meta.dir, "..");
const host = "127.0.0.1";
const ports = { keystone: 5000 + offset, swift: 8080 + offset, s3: 9000 + offset, s3rver: 4568 + offset, ref: 4569 + offset };
const url = (port: number) => `http://${host}:${port}`;
const log = (s: string) => console.error(`[bench-objects] ${s}`);

// ---- children and cleanup (also on error and on signals) -------------------------------------

const children: Subprocess[] = [];
const dirs: string[] = [];
let cleaned = false;
function cleanupSync(): void {
  if (cleaned) return;
  cleaned = true;
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
process.on("exit", cleanupSync);
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const)
  process.on(sig, () => {
    cleanupSync();
    process.exit(130);
  });

async function stopChild(p: Subprocess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  p.kill("SIGTERM");
  const done = await Promise.race([p.exited.then(() => true), Bun.sleep(5000).then(() => false)]);
  if (!done) {
    p.kill("SIGKILL");
    await p.exited;
  }
}

function tmp(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

function spawn(cmd: string[]): Subprocess {
  const p = Bun.spawn(cmd, { stdout: "ignore", stderr: "inherit", cwd: root });
  children.push(p);
  return p;
}

async function portInUse(port: number): Promise<boolean> {
  try {
    const s = await Bun.connect({ hostname: host, port, socket: { data() {} } });
    s.end();
    return true;
  } catch {
    return false;
  }
}

async function waitFor(target: string, what: string, proc: Subprocess, deadlineMs = 15_000): Promise<void> {
  const end = performance.now() + deadlineMs;
  while (performance.now() < end) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${what} exited before answering`);
    try {
      const r = await fetch(target);
      await r.arrayBuffer();
      if (r.status < 500) return;
    } catch {
      /* not listening yet */
    }
    await Bun.sleep(20);
  }
  throw new Error(`${what} did not answer at ${target} in time`);
}

/** s3rver under Node when installed (what its users run), else under Bun. */
function startS3rver(): { proc: Subprocess; runtime: string } {
  const runtime = Bun.which("node") ? "node" : "bun";
  const code = `
    const S3rver = require(${JSON.stringify(require.resolve("s3rver", { paths: [root] }))});
    new S3rver({
      address: ${JSON.stringify(host)},
      port: ${ports.s3rver},
      silent: true,
      directory: ${JSON.stringify(tmp("s3rver-bench-"))},
      configureBuckets: [{ name: "bench", configs: [] }],
    }).run().catch((e) => { console.error(e); process.exit(1); });`;
  const version = runtime === "node" ? Bun.spawnSync(["node", "--version"]).stdout.toString().trim() : `v${Bun.version}`;
  return { proc: spawn([runtime, "-e", code]), runtime: `${runtime} ${version}` };
}

/**
 * The reference server. `/null/...`: PUT bodies read and dropped, GET answered from memory
 * (4 KiB, or 64 MiB when the name says "l/"). Anything else: the bare file server.
 * S3-shaped enough for the SDK (200 + ETag on PUT).
 */
function startReference(): Subprocess {
  const code = `
    import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from "node:fs";
    const dir = ${JSON.stringify(tmp("tenrec-bench-ref-"))};
    mkdirSync(dir + "/tmp");
    const small = new Uint8Array(${SMALL}), large = new Blob([new Uint8Array(${LARGE})]);
    let n = 0;
    Bun.serve({ hostname: ${JSON.stringify(host)}, port: ${ports.ref}, maxRequestBodySize: 2 ** 40, idleTimeout: 120, async fetch(req) {
      const path = new URL(req.url).pathname;
      if (path.startsWith("/null/")) {
        if (req.method === "PUT") { for await (const _ of req.body ?? []) {} return new Response(null, { headers: { etag: '"0"' } }); }
        return new Response(path.includes("/l/") ? large : small, { headers: { etag: '"0"', "content-type": "application/octet-stream" } });
      }
      const file = dir + "/" + path.slice(1).replaceAll("/", "_");
      if (req.method === "PUT") {
        const h = new Bun.CryptoHasher("md5"), tmp = dir + "/tmp/" + n++, fd = openSync(tmp, "wx", 0o600);
        for await (const c of req.body ?? []) { h.update(c); for (let o = 0; o < c.byteLength; ) o += writeSync(fd, c, o); }
        fsyncSync(fd); closeSync(fd); renameSync(tmp, file);
        return new Response(null, { status: 201, headers: { etag: h.digest("hex") } });
      }
      return new Response(Bun.file(file));
    } });`;
  return spawn(["bun", "-e", code]);
}

// ---- tenrec credentials -------------------------------------------------------------------

async function tenrecAuth(): Promise<{ token: string; projectId: string; access: string; secret: string }> {
  const r = await fetch(`${url(ports.keystone)}/v3/auth/tokens`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      auth: {
        identity: { methods: ["password"], password: { user: { name: "admin", domain: { id: "default" }, password: "secret" } } },
        scope: { project: { name: "admin", domain: { id: "default" } } },
      },
    }),
  });
  if (r.status !== 201) throw new Error(`token issue: ${r.status} ${await r.text()}`);
  const body = (await r.json()) as { token: { user: { id: string }; project: { id: string } } };
  const token = r.headers.get("x-subject-token")!;
  const c = await fetch(`${url(ports.keystone)}/v3/users/${body.token.user.id}/credentials/OS-EC2`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-auth-token": token },
    body: JSON.stringify({ tenant_id: body.token.project.id }),
  });
  if (c.status !== 201) throw new Error(`EC2 credential: ${c.status} ${await c.text()}`);
  const cred = (await c.json()) as { credential: { access: string; secret: string } };
  return { token, projectId: body.token.project.id, access: cred.credential.access, secret: cred.credential.secret };
}

// ---- measuring ----------------------------------------------------------------------------

interface Numbers {
  putSeq: Rate;
  getSeq: Rate;
  putConc: Rate;
  getConc: Rate;
  putMB: Rate;
  getMB: Rate;
}

const CLK_TCK = Number(Bun.spawnSync(["getconf", "CLK_TCK"]).stdout.toString().trim()) || 100;
/** CPU seconds (user + system, all threads) a process has used so far. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // fields from 3 (state) on
  return (Number(f[11]) + Number(f[12])) / CLK_TCK; // utime (14), stime (15)
}

/** A rate and the server's CPU time per operation (seconds) while it was measured. */
interface Rate {
  rate: number;
  cpu: number;
}

/** Run `op(i)` with `conc` in flight until `durationMs` has passed and at least MIN_OPS ran. */
async function opsPerSec(pid: number, op: (i: number) => Promise<unknown>, conc: number): Promise<Rate> {
  for (let i = 0; i < 20; i++) await op(1_000_000 + i); // warm-up: connections, JIT
  let next = 0;
  const c0 = cpuSeconds(pid);
  const t0 = performance.now();
  const end = t0 + durationMs;
  const worker = async () => {
    while (performance.now() < end || next < MIN_OPS) await op(next++);
  };
  await Promise.all(Array.from({ length: conc }, worker));
  return { rate: next / ((performance.now() - t0) / 1000), cpu: (cpuSeconds(pid) - c0) / next };
}

/** Median MB/s (10^6 bytes) of LARGE_REPS runs of `op`, and the mean server CPU per run. */
async function mbPerSec(pid: number, op: (rep: number) => Promise<unknown>, bytes: number): Promise<Rate> {
  const xs: number[] = [];
  const c0 = cpuSeconds(pid);
  for (let rep = 0; rep < LARGE_REPS; rep++) {
    const t0 = performance.now();
    await op(rep);
    xs.push(bytes / 1e6 / ((performance.now() - t0) / 1000));
  }
  return { rate: xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!, cpu: (cpuSeconds(pid) - c0) / LARGE_REPS };
}

/** Read a body to its end, keeping nothing; checks the length. */
async function drain(body: unknown, expect: number): Promise<void> {
  let n = 0;
  if (body) for await (const chunk of body as AsyncIterable<Uint8Array>) n += chunk.byteLength;
  if (n !== expect) throw new Error(`read ${n} bytes, expected ${expect}`);
}

const small = crypto.getRandomValues(new Uint8Array(SMALL));
const large = new Uint8Array(LARGE);
for (let off = 0; off < LARGE; off += 65536) crypto.getRandomValues(large.subarray(off, off + 65536));

function s3client(endpoint: string, region: string, access: string, secret: string): S3Client {
  return new S3Client({
    endpoint,
    region,
    forcePathStyle: true,
    credentials: { accessKeyId: access, secretAccessKey: secret },
    // SigV4 with the payload's SHA-256, no extra CRC32 checksums (s3rver knows none): the same work everywhere.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

/** The same six measurements for any server, given its put and get. */
async function measure(
  name: string,
  pid: number,
  put: (key: string, body: Uint8Array) => Promise<unknown>,
  get: (key: string, size: number) => Promise<unknown>,
): Promise<Numbers> {
  log(`${name}: 4 KiB, sequential and ×${CONCURRENCY}; 64 MiB ×${LARGE_REPS}`);
  const putSeq = await opsPerSec(pid, (i) => put(`s/${i}`, small), 1);
  const getSeq = await opsPerSec(pid, (i) => get(`s/${i % MIN_OPS}`, SMALL), 1);
  const putConc = await opsPerSec(pid, (i) => put(`c/${i}`, small), CONCURRENCY);
  const getConc = await opsPerSec(pid, (i) => get(`c/${i % MIN_OPS}`, SMALL), CONCURRENCY);
  const putMB = await mbPerSec(pid, (rep) => put(`l/${rep}`, large), LARGE);
  const getMB = await mbPerSec(pid, (rep) => get(`l/${rep}`, LARGE), LARGE);
  return { putSeq, getSeq, putConc, getConc, putMB, getMB };
}

function measureS3(name: string, pid: number, client: S3Client, bucket: string): Promise<Numbers> {
  return measure(
    name,
    pid,
    (key, body) => client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body })),
    async (key, size) => drain((await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body, size),
  );
}

/** Swift-style over plain fetch: PUT answers 201 (null server: 200), GET 200. */
function measureFetch(name: string, pid: number, base: string, headers: Record<string, string>): Promise<Numbers> {
  return measure(
    name,
    pid,
    async (key, body) => {
      const r = await fetch(`${base}/${key}`, { method: "PUT", headers, body });
      await r.arrayBuffer();
      if (r.status !== 201 && r.status !== 200) throw new Error(`${name} PUT ${key}: ${r.status}`);
    },
    async (key, size) => {
      const r = await fetch(`${base}/${key}`, { headers });
      if (r.status !== 200) throw new Error(`${name} GET ${key}: ${r.status}`);
      await drain(r.body, size);
    },
  );
}

function procStatus(pid: number, field: "VmRSS" | "VmHWM"): number {
  const m = readFileSync(`/proc/${pid}/status`, "utf8").match(new RegExp(`${field}:\\s+(\\d+) kB`));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Peak VmRSS of `pid` (MB, sampled every 100 ms) while `fn` runs. */
async function peakRss<T>(pid: number, fn: () => Promise<T>): Promise<{ value: T; peak: number; samples: number }> {
  let peak = procStatus(pid, "VmRSS");
  let samples = 1;
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, procStatus(pid, "VmRSS"));
      samples++;
    } catch {
      /* process gone */
    }
  }, 100);
  try {
    const value = await fn();
    peak = Math.max(peak, procStatus(pid, "VmRSS"));
    return { value, peak, samples: samples + 1 };
  } finally {
    clearInterval(timer);
  }
}

/** A `bytes`-long body generated on the fly in 1 MiB chunks, never held whole. */
function generated(bytes: number): Readable {
  const mib = new Uint8Array(1024 * 1024);
  for (let off = 0; off < mib.length; off += 65536) crypto.getRandomValues(mib.subarray(off, off + 65536));
  let sent = 0;
  const web = new ReadableStream<Uint8Array>({
    pull(ctl) {
      if (sent >= bytes) return ctl.close();
      const n = Math.min(mib.length, bytes - sent);
      sent += n;
      mib[0] = sent & 0xff; // not the same MiB twice in a row
      ctl.enqueue(mib.slice(0, n)); // a copy: the consumer may still hold the previous one
    },
  });
  // The SDK's default (Node) HTTP handler pipes Node streams: the web stream is adapted, not buffered.
  return Readable.fromWeb(web as unknown as NodeWebReadableStream<Uint8Array>);
}

// ---- main ---------------------------------------------------------------------------------

const out: Record<string, number | string> = {};
let exitCode = 0;
const t0 = performance.now();
try {
  const taken = [];
  for (const [what, port] of Object.entries(ports)) if (await portInUse(port)) taken.push(`${what} ${port}`);
  if (taken.length) throw new Error(`ports already in use (${taken.join(", ")}): another bench running? try --port-offset`);

  const load0 = loadavg()[0]!;
  log(`starting tenrec (port offset ${offset}), s3rver (${ports.s3rver}) and the reference server (${ports.ref})`);
  const tenrec = spawn(["bun", join(root, "src", "main.ts"), "up", "--data-dir", tmp("tenrec-bench-objects-"), "--port-offset", String(offset), "--no-access-log"]);
  const s3rver = startS3rver();
  const reference = startReference();
  await Promise.all([
    waitFor(`${url(ports.keystone)}/v3`, "tenrec", tenrec),
    waitFor(url(ports.s3rver), "s3rver", s3rver.proc),
    waitFor(`${url(ports.ref)}/null/x`, "reference server", reference),
  ]);
  const cred = await tenrecAuth();
  const tenrecClient = s3client(url(ports.s3), "RegionOne", cred.access, cred.secret);
  const s3rverClient = s3client(url(ports.s3rver), "us-east-1", "S3RVER", "S3RVER");
  const nullClient = s3client(url(ports.ref), "us-east-1", "NULL", "NULL");
  await tenrecClient.send(new CreateBucketCommand({ Bucket: "bench" }));
  const rssStart = procStatus(tenrec.pid, "VmRSS");

  const r: { s3rver: Numbers; tenrecS3: Numbers; nullS3: Numbers; swift?: Numbers; bare?: Numbers; nullFetch?: Numbers } = {
    s3rver: await measureS3("s3rver, S3", s3rver.proc.pid, s3rverClient, "bench"),
    tenrecS3: await measureS3("tenrec, S3", tenrec.pid, tenrecClient, "bench"),
    nullS3: await measureS3("null server, same S3 client", reference.pid, nullClient, "null"),
  };

  let swiftServed = false;
  try {
    const res = await fetch(`${url(ports.swift)}/info`);
    await res.arrayBuffer();
    swiftServed = res.status === 200;
  } catch {
    /* not listening */
  }
  if (swiftServed) {
    const account = `${url(ports.swift)}/v1/AUTH_${cred.projectId}`;
    const auth = { "x-auth-token": cred.token };
    const c = await fetch(`${account}/bench`, { method: "PUT", headers: auth });
    if (c.status !== 201 && c.status !== 202) throw new Error(`Swift container PUT: ${c.status}`);
    r.swift = await measureFetch("tenrec, Swift", tenrec.pid, `${account}/bench`, auth);
  } else log(`Swift is not served (GET ${url(ports.swift)}/info did not answer 200): skipping the Swift section`);
  const bare = await measureFetch("bare Bun file server, fetch", reference.pid, url(ports.ref), {});
  const nullFetch = await measureFetch("null server, fetch", reference.pid, `${url(ports.ref)}/null`, {});
  r.bare = bare;
  r.nullFetch = nullFetch;

  log(`tenrec, S3: streaming a ${bigBytes / 2 ** 20} MiB object up, then down`);
  const rssBefore = procStatus(tenrec.pid, "VmRSS");
  const bigUp = await peakRss(tenrec.pid, async () => {
    const s = performance.now();
    await tenrecClient.send(new PutObjectCommand({ Bucket: "bench", Key: "big", Body: generated(bigBytes), ContentLength: bigBytes }));
    return bigBytes / 1e6 / ((performance.now() - s) / 1000);
  });
  const bigDown = await peakRss(tenrec.pid, async () => {
    const s = performance.now();
    const res = await tenrecClient.send(new GetObjectCommand({ Bucket: "bench", Key: "big" }));
    await drain(res.Body, bigBytes);
    return bigBytes / 1e6 / ((performance.now() - s) / 1000);
  });
  const hwm = procStatus(tenrec.pid, "VmHWM");
  for (const c of [tenrecClient, s3rverClient, nullClient]) c.destroy();
  const load1 = loadavg()[0]!;

  // ---- report ----
  const rows: [string, keyof Numbers][] = [
    ["4 KiB PUT ops/s, sequential", "putSeq"],
    ["4 KiB GET ops/s, sequential", "getSeq"],
    [`4 KiB PUT ops/s, ${CONCURRENCY} concurrent`, "putConc"],
    [`4 KiB GET ops/s, ${CONCURRENCY} concurrent`, "getConc"],
    [`64 MiB PUT MB/s, median of ${LARGE_REPS}`, "putMB"],
    [`64 MiB GET MB/s, median of ${LARGE_REPS}`, "getMB"],
  ];
  const isLarge = (k: keyof Numbers) => k === "putMB" || k === "getMB";
  const swiftTarget: Record<keyof Numbers, string> = {
    putSeq: "≥ 1,500", getSeq: "≥ 10,000", putConc: "≥ 1,500", getConc: "≥ 10,000", putMB: "≥ 200", getMB: "≥ 600",
  };
  const s3Target = (k: keyof Numbers) => (isLarge(k) ? swiftTarget[k] : "≥ 4× s3rver");
  const big = `${bigBytes / 2 ** 20} MiB`;
  const servers = [
    ["s3rver S3", r.s3rver],
    ["tenrec S3", r.tenrecS3],
    ["null server, S3 client", r.nullS3],
    ["tenrec Swift", r.swift],
    ["bare Bun file server, fetch", r.bare],
    ["null server, fetch", r.nullFetch],
  ] as const;
  out["s3rver runtime"] = s3rver.runtime;
  for (const [label, k] of rows) {
    for (const [who, n] of servers) if (n) out[`${who}: ${label}`] = Math.round(n[k].rate);
    out[`tenrec S3 / s3rver: ${label}`] = +(r.tenrecS3[k].rate / r.s3rver[k].rate).toFixed(2);
  }
  for (const [label, k] of rows) {
    const unit = isLarge(k) ? "ms per 64 MiB" : "µs per op";
    for (const [who, n] of servers)
      if (n) out[`server CPU (${unit}), ${who}: ${label.replace(/ ops\/s| MB\/s/, "")}`] = Math.round(n[k].cpu * (isLarge(k) ? 1e3 : 1e6));
  }
  out[`tenrec S3 ${big} streamed PUT (MB/s)`] = Math.round(bigUp.value);
  out[`tenrec S3 ${big} streamed GET (MB/s)`] = Math.round(bigDown.value);
  out["tenrec RSS after start (MB)"] = Math.round(rssStart);
  out[`tenrec RSS before the ${big} transfer (MB)`] = Math.round(rssBefore);
  out[`tenrec peak RSS during the ${big} PUT (MB)`] = Math.round(bigUp.peak);
  out[`tenrec peak RSS during the ${big} GET (MB)`] = Math.round(bigDown.peak);
  out["tenrec VmHWM over the whole run (MB)"] = Math.round(hwm);
  out["load average at start / end"] = `${load0.toFixed(2)} / ${load1.toFixed(2)}`;
  out["wall time (s)"] = Math.round((performance.now() - t0) / 1000);

  if (values.json) console.log(JSON.stringify(out, null, 2));
  else {
    const fmt = (n: number | undefined, d = 0) =>
      n === undefined || !Number.isFinite(n) ? "-" : n.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });
    const table = (head: string[], widths: number[], body: string[][]) => {
      const line = (cells: string[]) => "  " + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
      console.log(line(head));
      for (const b of body) console.log(line(b));
    };
    console.log(`tenrec bench (object storage), ${navigator.hardwareConcurrency} cores, clients and servers on the same machine; MB = 10^6 bytes`);
    console.log(`\n  S3 API — one client for all: @aws-sdk/client-s3 (SigV4 over the payload's SHA-256), s3rver on ${s3rver.runtime}`);
    table(
      ["", "s3rver", "tenrec", "tenrec/s3rver", "target", "client alone*"],
      [32, 8, 8, 13, 12, 13],
      rows.map(([label, k]) => [
        label,
        fmt(r.s3rver[k].rate),
        fmt(r.tenrecS3[k].rate),
        `${fmt(r.tenrecS3[k].rate / r.s3rver[k].rate, 2)}×`,
        s3Target(k),
        fmt(r.nullS3[k].rate),
      ]),
    );
    console.log(`\n  Swift API — plain fetch with X-Auth-Token`);
    const swift = r.swift;
    if (!swift) console.log(`  tenrec: skipped, Swift is not served (GET ${url(ports.swift)}/info did not answer 200)`);
    table(
      ["", "tenrec", "target", "bare Bun†", "client alone*"],
      [32, 8, 10, 10, 13],
      rows.map(([label, k]) => [label, swift ? fmt(swift[k].rate) : "skipped", swiftTarget[k], fmt(bare[k].rate), fmt(nullFetch[k].rate)]),
    );
    console.log(`\n  * the same client against a null server (PUT bodies dropped, GETs from memory): the client's own ceiling here`);
    console.log(`  † reference: a bare Bun file server (MD5 while streaming to a temp file, fsync, rename; GET = Bun.file), same fetch client`);
    console.log(`\n  Server CPU (user + system, all threads, /proc/<pid>/stat) per 4 KiB operation (µs) and per 64 MiB transfer (ms)`);
    table(
      ["", "s3rver S3", "tenrec S3", "tenrec Swift", "bare Bun†"],
      [32, 10, 10, 12, 10],
      rows.map(([label, k]) => {
        const scale = isLarge(k) ? 1e3 : 1e6;
        const cpu = (n: Numbers | undefined) => (n ? fmt(n[k].cpu * scale) : "-");
        return [label.replace(/ ops\/s| MB\/s/, ""), cpu(r.s3rver), cpu(r.tenrecS3), cpu(swift), cpu(bare)];
      }),
    );
    console.log(`  (${CLK_TCK} Hz ticks; wall time per operation well above CPU time means waiting: disk flushes, or the client)`);
    console.log(`\n  tenrec, S3, ${big} streamed (body generated on the fly; download streamed and discarded):`);
    console.log(`    PUT ${fmt(bigUp.value)} MB/s, GET ${fmt(bigDown.value)} MB/s`);
    console.log(
      `    RSS (VmRSS every 100 ms): ${fmt(rssBefore)} MB before, peak ${fmt(bigUp.peak)} MB during the PUT (${bigUp.samples} samples), ` +
        `${fmt(bigDown.peak)} MB during the GET (${bigDown.samples} samples)   target < 150 MB`,
    );
    console.log(`    (RSS after start ${fmt(rssStart)} MB; VmHWM over the whole run, 64 MiB bodies included: ${fmt(hwm)} MB)`);
    console.log(`\n  load average ${out["load average at start / end"]} (start / end); wall time ${out["wall time (s)"]} s`);
  }
} catch (e) {
  console.error(`bench-objects failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  exitCode = 1;
} finally {
  await Promise.all(children.map((c) => stopChild(c).catch(() => {})));
  cleanupSync();
}
process.exit(exitCode);
