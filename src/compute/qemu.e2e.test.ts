/**
 * Real guests through the Compute API: a spawned tenrec (`up --driver qemu`,
 * its own port offset) boots the test image from Glance on the private
 * network with user data and a config drive; the console log shows the boot
 * markers, the hostname and the user data's output; a floating IP becomes a
 * host port forward to the guest's sshd; the console proxy serves
 * noVNC and bridges the VNC and serial sockets (single-use tokens); a browser
 * (playwright-core + chromium, when installed) connects and a screenshot goes
 * to test-output/console/; stop is a clean ACPI shutdown, start boots again,
 * kill -9 of the qemu process is noticed (SHUTOFF, a "stop" action with the
 * reason), delete removes the guest. Skipped, loudly, without qemu or the
 * cached test image.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pidAlive } from "../virt/qemu/driver.ts";
import { qemuUnavailable, waitFor } from "../virt/qemu/testenv.ts";

const why = qemuUnavailable();
if (why) console.warn(`SKIPPING the QEMU end-to-end test: ${why}`);

const OFFSET = 3960;
const port = (base: number) => base + OFFSET;
const KS = `http://127.0.0.1:${port(5000)}/v3`;
const NOVA = `http://127.0.0.1:${port(8774)}/v2.1`;
const GLANCE = `http://127.0.0.1:${port(9292)}`;
const NEUTRON = `http://127.0.0.1:${port(9696)}`;
const PASSWORD = "qemu-e2e-secret";
const BOOT_MS = 60_000;
const ROOT = join(import.meta.dir, "..", "..");

let proc: ReturnType<typeof Bun.spawn> | undefined;
let dataDir = "";
let token = "";

async function api(method: string, url: string, json?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const r = await fetch(url, {
    method,
    headers: { "x-auth-token": token, "content-type": "application/json", "openstack-api-version": "compute 2.79", ...headers },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  const text = await r.text();
  let body: any = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {}
  return { status: r.status, body };
}

const server = async (id: string) => (await api("GET", `${NOVA}/servers/${id}`)).body.server;
const action = (id: string, body: unknown) => api("POST", `${NOVA}/servers/${id}/action`, body);
const consoleLog = async (id: string): Promise<string> => (await action(id, { "os-getConsoleOutput": {} })).body?.output ?? "";
const waitStatus = (id: string, status: string, ms: number) =>
  waitFor(async () => (await server(id))?.status ?? "gone", (s) => s === status || s === "ERROR", ms, `status ${status}`).then((s) => {
    expect(s).toBe(status);
  });

/** A websocket's first message (or null when it closes first), within ms. */
function firstMessage(url: string, ms: number, send?: string): Promise<{ data: Uint8Array | null; ws: WebSocket }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ["binary"]);
    ws.binaryType = "arraybuffer";
    const timer = setTimeout(() => reject(new Error(`no websocket message from ${url} in ${ms} ms`)), ms);
    ws.onopen = () => {
      if (send !== undefined) ws.send(send);
    };
    ws.onmessage = (e) => {
      clearTimeout(timer);
      resolve({ data: new Uint8Array(e.data as ArrayBuffer), ws });
    };
    ws.onclose = () => {
      clearTimeout(timer);
      resolve({ data: null, ws });
    };
    ws.onerror = () => {};
  });
}

function qemuPid(uuid: string): number {
  const hosts = join(dataDir, "instances");
  for (const h of readdirSync(hosts)) {
    const f = join(hosts, h, uuid, "qemu.pid");
    if (existsSync(f)) return Number(readFileSync(f, "utf8").trim());
  }
  throw new Error(`no qemu.pid for ${uuid}`);
}

describe.skipIf(!!why)("Compute with the QEMU driver (real guests)", () => {
  let imageId = "";
  let networkId = "";

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "tenrec-qemu-e2e-"));
    proc = Bun.spawn(
      [process.execPath, join(ROOT, "src/main.ts"), "up", "--driver", "qemu", "--port-offset", String(OFFSET), "--data-dir", dataDir, "--admin-password", PASSWORD, "--ephemeral"],
      { cwd: ROOT, stdout: "pipe", stderr: "pipe" },
    );
    const out = proc.stdout as ReadableStream<Uint8Array>;
    const reader = out.getReader();
    let seen = "";
    const deadline = Date.now() + 30_000;
    while (!seen.includes("ready in") && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += new TextDecoder().decode(value);
    }
    reader.releaseLock();
    void out.pipeTo(new WritableStream()).catch(() => {});
    if (!seen.includes("ready in")) throw new Error(`tenrec did not start:\n${seen}\n${await new Response(proc.stderr as ReadableStream).text()}`);
    const r = await fetch(`${KS}/auth/tokens`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        auth: {
          identity: { methods: ["password"], password: { user: { name: "admin", domain: { id: "default" }, password: PASSWORD } } },
          scope: { project: { name: "admin", domain: { id: "default" } } },
        },
      }),
    });
    expect(r.status).toBe(201);
    token = r.headers.get("x-subject-token")!;
    const images = (await api("GET", `${GLANCE}/v2/images?name=cirros-0.6.3-x86_64-disk`)).body.images;
    imageId = images[0].id;
    const nets = (await api("GET", `${NEUTRON}/v2.0/networks?name=private`)).body.networks;
    networkId = nets[0].id;
  }, 60_000);

  afterAll(async () => {
    if (proc) {
      proc.kill("SIGTERM");
      await Promise.race([proc.exited, Bun.sleep(20_000)]);
      if (proc.exitCode === null) proc.kill("SIGKILL");
    }
    // guests are left running without --ephemeral: stop what is still there
    const hosts = join(dataDir, "instances");
    if (existsSync(hosts)) {
      for (const h of readdirSync(hosts)) {
        for (const u of readdirSync(join(hosts, h))) {
          const f = join(hosts, h, u, "qemu.pid");
          if (!existsSync(f)) continue;
          const pid = Number(readFileSync(f, "utf8").trim());
          if (pidAlive(pid)) process.kill(pid, "SIGKILL");
        }
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  }, 40_000);

  test("boot with user data and a config drive, console, stop/start, kill -9, delete", async () => {
    const userData = Buffer.from("#!/bin/sh\necho QEMU-E2E-USERDATA-$((6*7))\n").toString("base64");
    const created = await api("POST", `${NOVA}/servers`, {
      server: { name: "e2e-vm", imageRef: imageId, flavorRef: "42", networks: [{ uuid: networkId }], user_data: userData, config_drive: true },
    });
    expect(created.status).toBe(202);
    const id = created.body.server.id as string;
    await waitStatus(id, "ACTIVE", BOOT_MS);
    const s = await server(id);
    expect(s["OS-EXT-STS:power_state"]).toBe(1);
    expect(Object.keys(s.addresses)).toContain("private");

    // the guest's own boot, from the serial console log
    const log = await waitFor(() => consoleLog(id), (l) => l.includes("TENREC-BOOT: ready"), BOOT_MS, "the boot markers");
    expect(log).toContain("TENREC-BOOT: config-drive");
    expect(log).toContain("TENREC-BOOT: hostname e2e-vm");
    expect(log).toContain(`TENREC-BOOT: instance ${id}`);
    expect(log).toContain("QEMU-E2E-USERDATA-42");

    // a floating IP: found by the manager's heal, forwarded from 127.0.0.1 to the guest's sshd
    const pub = (await api("GET", `${NEUTRON}/v2.0/networks?name=public`)).body.networks[0].id;
    const port0 = (await api("GET", `${NEUTRON}/v2.0/ports?device_id=${id}`)).body.ports[0].id;
    const fip = (await api("POST", `${NEUTRON}/v2.0/floatingips`, { floatingip: { floating_network_id: pub, port_id: port0 } })).body.floatingip;
    const key = `tenrec:forward:${fip.floating_ip_address}`;
    const fwd = await waitFor(async () => (await server(id)).metadata[key] ?? "", (v) => v !== "", 15_000, "the forward property");
    expect(fwd).toMatch(/^127\.0\.0\.1:\d+->22\/tcp$/);
    expect(JSON.stringify((await server(id)).addresses)).toContain(fip.floating_ip_address);
    const banner = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no ssh banner")), 20_000);
      void Bun.connect({
        hostname: "127.0.0.1",
        port: Number(fwd.split(":")[1]!.split("-")[0]),
        socket: {
          data(sock, d) {
            clearTimeout(timer);
            resolve(new TextDecoder().decode(d));
            sock.end();
          },
        },
      }).catch(reject);
    });
    expect(banner).toStartWith("SSH-2.0-dropbear");
    expect((await api("DELETE", `${NEUTRON}/v2.0/floatingips/${fip.id}`)).status).toBe(204);
    await waitFor(async () => (await server(id)).metadata[key], (v) => v === undefined, 15_000, "the forward removed");

    // noVNC: the page, then the RFB handshake through the websocket; the token is single-use
    const vnc = await api("POST", `${NOVA}/servers/${id}/remote-consoles`, { remote_console: { protocol: "vnc", type: "novnc" } });
    expect(vnc.status).toBe(200);
    const url = new URL(vnc.body.remote_console.url);
    expect(url.port).toBe(String(port(6080)));
    const page = await fetch(url);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("noVNC");
    expect((await fetch(`http://${url.host}/core/rfb.js`)).status).toBe(200);
    const wsPath = url.searchParams.get("path")!;
    const wsUrl = `ws://${url.host}/${wsPath}`;
    const first = await firstMessage(wsUrl, 10_000);
    expect(new TextDecoder().decode(first.data!)).toMatch(/^RFB 003\.00[38]\n/);
    first.ws.close();
    const again = await firstMessage(wsUrl, 10_000);
    expect(again.data).toBeNull();
    expect((await fetch(`http://${url.host}/vnc_auto.html?path=%3Ftoken%3Dbad`)).status).toBe(401);

    // a browser really draws the guest's screen
    await browserShot(`http://${url.host}`, id);

    // serial console: the guest's shell answers on the websocket
    const ser = await api("POST", `${NOVA}/servers/${id}/remote-consoles`, { remote_console: { protocol: "serial", type: "serial" } });
    expect(ser.status).toBe(200);
    const serial = await firstMessage(ser.body.remote_console.url, 10_000, "\r");
    expect(serial.data?.byteLength ?? 0).toBeGreaterThan(0);
    serial.ws.close();

    // stop: a clean ACPI shutdown; start: a new boot
    expect((await action(id, { "os-stop": null })).status).toBe(202);
    await waitStatus(id, "SHUTOFF", 60_000);
    expect(await consoleLog(id)).toContain("ACPI power button pressed");
    const bootsBefore = (await consoleLog(id)).split("TENREC-BOOT: ready").length;
    expect((await action(id, { "os-start": null })).status).toBe(202);
    await waitStatus(id, "ACTIVE", BOOT_MS);
    await waitFor(() => consoleLog(id), (l) => l.split("TENREC-BOOT: ready").length > bootsBefore, BOOT_MS, "a second boot");

    // kill -9 of the hypervisor process: SHUTOFF within seconds, the reason in the instance actions
    const pid = qemuPid(id);
    process.kill(pid, "SIGKILL");
    const t0 = Date.now();
    await waitStatus(id, "SHUTOFF", 10_000);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect((await server(id))["OS-EXT-STS:power_state"]).toBe(4);
    const acts = (await api("GET", `${NOVA}/servers/${id}/os-instance-actions`)).body.instanceActions as any[];
    const sync = acts.find((a) => a.action === "stop" && a.message?.includes("qemu process exited unexpectedly"));
    expect(sync).toBeDefined();

    // delete: the guest and its files are gone
    const pid2 = await (async () => {
      expect((await action(id, { "os-start": null })).status).toBe(202);
      await waitStatus(id, "ACTIVE", BOOT_MS);
      return qemuPid(id);
    })();
    expect(pidAlive(pid2)).toBe(true);
    expect((await api("DELETE", `${NOVA}/servers/${id}`)).status).toBe(204);
    await waitFor(async () => (await api("GET", `${NOVA}/servers/${id}`)).status, (st) => st === 404, 30_000, "the server gone");
    await waitFor(() => pidAlive(pid2), (alive) => !alive, 10_000, "qemu gone");
  }, 240_000);
});

/** Open the console page in headless chromium, wait for noVNC to connect, screenshot it. */
async function browserShot(base: string, id: string): Promise<void> {
  const chromiumPath = "/usr/bin/chromium";
  let pw: any;
  try {
    pw = await import("playwright-core");
  } catch {}
  if (!pw || !existsSync(chromiumPath)) {
    console.warn("SKIPPING the browser check: playwright-core or /usr/bin/chromium missing");
    return;
  }
  const vnc = await api("POST", `${NOVA}/servers/${id}/remote-consoles`, { remote_console: { protocol: "vnc", type: "novnc" } });
  const url = vnc.body.remote_console.url as string;
  expect(url.startsWith(base)).toBe(true);
  const profile = mkdtempSync(join(tmpdir(), "tenrec-chromium-"));
  const ctx = await pw.chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = await ctx.newPage();
    const r = await page.goto(url);
    expect(r?.status()).toBe(200);
    await page.waitForSelector('#status[data-state="connected"]', { timeout: 30_000 });
    expect(await page.textContent("#status")).toContain("Connected");
    // the canvas has the guest's screen: not one flat colour
    await page.waitForTimeout(1500);
    const colours: number = await page.evaluate(`(() => {
      const c = document.querySelector("#screen canvas");
      const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
      const seen = new Set();
      for (let i = 0; i < d.length && seen.size < 4; i += 4 * 97) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
      return seen.size;
    })()`);
    expect(colours).toBeGreaterThan(1);
    const dir = join(ROOT, "test-output", "console");
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: join(dir, "novnc.png") });
  } finally {
    await ctx.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
