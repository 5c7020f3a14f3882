// kill -9 of the whole cloud (`bun src/main.ts up`) in the middle of a Swift PUT:
// after a restart on the same data dir the object is absent (never partial), an
// object finished before the crash is intact, and the start-up sweep has removed
// the interrupted temp file.
import { expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// 15000–15290 keeps every port (5000…9696 + offset) below Linux's ephemeral range and clear of
// cli.test.ts (10000–14990) and the e2e cloud (20000).
const OFFSET = 15000 + Math.floor(Math.random() * 30) * 10;
const MAIN = join(import.meta.dir, "..", "src", "main.ts");
const keystone = `http://127.0.0.1:${5000 + OFFSET}`;
const swiftRoot = `http://127.0.0.1:${8080 + OFFSET}`;

function up(data: string) {
  return Bun.spawn(["bun", MAIN, "up", "--data-dir", data, "--port-offset", String(OFFSET), "--no-access-log"], {
    stdout: "ignore",
    stderr: "ignore",
  });
}

async function ready(): Promise<void> {
  for (let i = 0; i < 500; i++) {
    try {
      const [k, s] = await Promise.all([fetch(`${keystone}/v3`), fetch(`${swiftRoot}/info`)]);
      await Promise.all([k.arrayBuffer(), s.arrayBuffer()]);
      if (k.ok && s.ok) return;
    } catch {
      /* not yet */
    }
    await Bun.sleep(20);
  }
  throw new Error("tenrec did not come up");
}

async function login(): Promise<{ token: string; url: string }> {
  const r = await fetch(`${keystone}/v3/auth/tokens`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      auth: {
        identity: { methods: ["password"], password: { user: { name: "admin", domain: { id: "default" }, password: "secret" } } },
        scope: { project: { name: "admin", domain: { id: "default" } } },
      },
    }),
  });
  const body = (await r.json()) as { token: { project: { id: string } } };
  return { token: r.headers.get("x-subject-token")!, url: `${swiftRoot}/v1/AUTH_${body.token.project.id}` };
}

const tmpBytes = (data: string) =>
  readdirSync(join(data, "objects", "tmp")).reduce((n, f) => n + statSync(join(data, "objects", "tmp", f)).size, 0);

test("kill -9 of `tenrec up` mid Swift PUT: after restart the object is absent or complete, no temp file remains", async () => {
  const data = mkdtempSync(join(tmpdir(), "tenrec-crash-swift-"));
  let proc = up(data);
  try {
    await ready();
    let { token, url } = await login();
    const auth = { "x-auth-token": token };
    expect((await fetch(`${url}/c`, { method: "PUT", headers: auth })).status).toBe(201);
    const whole = crypto.getRandomValues(new Uint8Array(1024 * 1024));
    const put = await fetch(`${url}/c/whole`, { method: "PUT", headers: auth, body: whole });
    expect(put.status).toBe(201);

    // A chunked PUT that never ends: 1 MiB every few ms until the server is killed.
    const chunk = new Uint8Array(1024 * 1024).fill(0x61);
    const body = new ReadableStream<Uint8Array>({
      async pull(ctrl) {
        await Bun.sleep(2);
        ctrl.enqueue(chunk);
      },
    });
    const partial = fetch(`${url}/c/partial`, { method: "PUT", headers: auth, body, duplex: "half" } as RequestInit).catch(
      (e: Error) => e,
    );
    for (let i = 0; i < 500 && tmpBytes(data) < 8 * 1024 * 1024; i++) await Bun.sleep(10);
    expect(tmpBytes(data)).toBeGreaterThanOrEqual(8 * 1024 * 1024); // the PUT is streaming to disk
    proc.kill("SIGKILL");
    await proc.exited;
    expect(await partial).toBeInstanceOf(Error); // the connection dropped: no 201
    expect(readdirSync(join(data, "objects", "tmp")).length).toBe(1);

    proc = up(data);
    await ready();
    ({ token, url } = await login());
    const after = { "x-auth-token": token };
    const head = await fetch(`${url}/c/partial`, { method: "HEAD", headers: after });
    expect(head.status).toBe(404);
    const got = await fetch(`${url}/c/whole`, { headers: after });
    expect(got.status).toBe(200);
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(whole);
    const list = await fetch(`${url}/c?format=json`, { headers: after });
    expect(((await list.json()) as { name: string }[]).map((o) => o.name)).toEqual(["whole"]);
    for (let i = 0; i < 100 && readdirSync(join(data, "objects", "tmp")).length; i++) await Bun.sleep(10);
    expect(readdirSync(join(data, "objects", "tmp"))).toEqual([]);
  } finally {
    proc.kill("SIGKILL");
    await proc.exited;
    rmSync(data, { recursive: true, force: true });
  }
}, 20_000);
