/**
 * The dashboard's "done when", in a real browser: Debian's Chromium driven by
 * playwright-core against a listening cloud. Screenshots of every page go to
 * test-output/dashboard/ (1280×800 and 390 px wide) for a person to review.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Cloud } from "../../src/cloud.ts";
import { portOf } from "../../src/core/config.ts";
import { listeningCloud } from "./cloud.ts";
import { startFakeVnc, type FakeVnc } from "./fake-vnc.ts";

const CHROMIUM = "/usr/bin/chromium";
const OUT = join(import.meta.dir, "../../test-output/dashboard");
const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  console.warn(`\n!!!!!!!!\n!!! dashboard browser test SKIPPED: ${CHROMIUM} is missing (apt-get install -y chromium)\n!!!!!!!!\n`);
}

describe.skipIf(!haveChromium)("dashboard in Chromium", () => {
  let cloud: Cloud;
  let close: () => Promise<void>;
  let vnc: FakeVnc | undefined;
  let profile: string;
  let base: string;
  // playwright-core is typed loosely here so the suite also loads where it is not installed.
  let browser: any;
  /** A fresh page in a clean (cookie-less) context at a given width. */
  async function freshPage(width: number, height: number) {
    await browser.clearCookies();
    const page = await browser.newPage();
    await page.setViewportSize({ width, height });
    return page;
  }

  beforeAll(async () => {
    profile = mkdtempSync(join(tmpdir(), "tenrec-dash-chrome-"));
    ({ cloud, close } = await listeningCloud([21180, 21230, 21280, 21330], { fakeDriverDelayMs: 2500 }));
    // No console proxy on the console port yet (it comes with the QEMU driver): a tiny RFB server stands in.
    vnc = startFakeVnc(portOf(cloud.cfg, "console"));
    base = cloud.url("dashboard").replace(/\/$/, "");
    mkdirSync(OUT, { recursive: true });
    const { chromium } = await import("playwright-core");
    // A new, empty user data dir: the persistent context is the one browser context the tests share.
    browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1280, height: 800 } });
  }, 60_000);

  afterAll(async () => {
    await browser?.close().catch(() => {});
    vnc?.stop();
    await close?.();
    rmSync(profile, { recursive: true, force: true });
  });

  async function login(page: any, user: string, password = "secret") {
    await page.goto(`${base}/auth/login`);
    await page.fill("input[name=username]", user);
    await page.fill("input[name=password]", password);
    await Promise.all([page.waitForURL(/\/project\//), page.click("#login button[type=submit]")]);
  }
  const shot = (page: any, name: string) => page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
  const flash = (page: any) => page.locator(".flash").first().textContent();

  test(
    "demo: launch, watch ACTIVE live, console, volume, floating IP, object, sign out; admin URL is 403",
    async () => {
      const page = await freshPage(1280, 800);
      const ctx = browser;
      const errors: string[] = [];
      page.on("pageerror", (e: Error) => errors.push(e.message));

      await page.goto(`${base}/project/instances`);
      expect(page.url()).toContain("/auth/login");
      await shot(page, "01-login");
      // A wrong password is a readable message, not a stack trace.
      await page.fill("input[name=username]", "demo");
      await page.fill("input[name=password]", "wrong");
      await page.click("#login button[type=submit]");
      expect(await flash(page)).toContain("Invalid credentials");
      await login(page, "demo");
      await shot(page, "02-overview");
      expect(await page.locator("[data-chart]").count()).toBeGreaterThanOrEqual(6);
      const cookies = await ctx.cookies();
      const sc = cookies.find((c: any) => c.name === `tenrec_dashboard_${new URL(base).port}`);
      expect(sc.httpOnly).toBe(true);
      expect(sc.sameSite).toBe("Lax");

      // An image, uploaded with the progress-bar form.
      await page.goto(`${base}/project/images`);
      await page.fill("#image-upload input[name=name]", "tiny-raw");
      await page.selectOption("#image-upload select[name=disk_format]", "raw");
      await page.setInputFiles("#image-upload input[name=file]", { name: "tiny.img", mimeType: "application/octet-stream", buffer: Buffer.alloc(1 << 20, 7) });
      await Promise.all([page.waitForURL(/\/project\/images$/), page.click("#image-upload button[type=submit]")]);
      await page.waitForSelector("#images >> text=tiny-raw");
      expect(await page.locator("#images tr", { hasText: "tiny-raw" }).textContent()).toContain("active");
      await shot(page, "03-images");

      // Launch from the form; the list turns ACTIVE without a reload.
      await page.goto(`${base}/project/instances/launch`);
      await shot(page, "04-launch");
      await page.fill("#launch-form input[name=name]", "web1");
      await page.selectOption("#launch-form select[name=flavor]", "1");
      await page.fill("#launch-form textarea[name=user_data]", "#cloud-config\nhostname: web1\n");
      await Promise.all([page.waitForURL(/\/project\/instances$/), page.click("#launch-form button[type=submit]")]);
      await page.evaluate("window.__noReload = true");
      const status = page.locator("#instances tr", { hasText: "web1" }).locator("[data-status]");
      expect(await status.textContent()).toBe("BUILD");
      await shot(page, "05-instances-build");
      await page.waitForFunction('document.querySelector("#instances [data-status]")?.textContent === "ACTIVE"', null, { timeout: 20_000 });
      expect(await page.evaluate("window.__noReload")).toBe(true);
      await page.waitForFunction('document.querySelector("#instances [data-power]")?.textContent === "RUNNING"', null, { timeout: 10_000 });
      await shot(page, "06-instances-active");

      // Detail with the console log, then the console page.
      await Promise.all([page.waitForURL(/\/project\/instances\/[0-9a-f-]{36}$/), page.click("#instances >> text=web1")]);
      const detailUrl = page.url();
      expect(await page.locator("#console-log").count()).toBe(1);
      await shot(page, "07-instance-detail");
      await Promise.all([page.waitForURL(/\/console$/), page.click("#open-console")]);
      // With the fake driver there is no VNC server: the page says so in words; with QEMU noVNC connects.
      await page.waitForSelector("#console-unavailable, #screen");
      if ((await page.locator("#console-unavailable").count()) === 0) {
        // noVNC ran against the URL Nova returned: "Connected" with the stand-in proxy, a readable state otherwise.
        await page.waitForFunction('document.getElementById("console-state").textContent !== "Connecting…"', null, { timeout: 10_000 });
        const href = await page.locator("text=Open in a new window").getAttribute("href");
        const token = decodeURIComponent(new URL(href).searchParams.get("path") ?? "").replace("?token=", "");
        if (vnc) {
          expect(await page.locator("#console-state").textContent()).toBe("Connected");
          expect(vnc.tokens).toContain(token);
          expect(await page.locator("#screen canvas").count()).toBe(1);
        }
      }
      await shot(page, "08-console");
      // The console clients the dashboard serves load in the browser (noVNC's ES modules resolve, xterm.js defines Terminal).
      expect(await page.evaluate("import('/static/novnc/core/rfb.js').then((m) => typeof m.default)")).toBe("function");
      await page.addScriptTag({ url: "/static/xterm/lib/xterm.js" });
      expect(await page.evaluate("typeof window.Terminal")).toBe("function");

      // A volume, created then attached from the instance page.
      await page.goto(`${base}/project/volumes`);
      await page.fill("#volume-create input[name=name]", "data1");
      await page.fill("#volume-create input[name=size]", "1");
      await Promise.all([page.waitForURL(/\/project\/volumes$/), page.click("#volume-create button[type=submit]")]);
      for (let i = 0; i < 40; i++) {
        if ((await page.locator("#volumes tr", { hasText: "data1" }).textContent())?.includes("available")) break;
        await Bun.sleep(250);
        await page.reload();
      }
      expect(await page.locator("#volumes tr", { hasText: "data1" }).textContent()).toContain("available");
      await page.goto(detailUrl);
      await page.selectOption("#attach-volume-form select[name=volume_id]", { label: "data1 (1 GiB)" });
      await Promise.all([page.waitForURL(detailUrl), page.click("#attach-volume-form button[type=submit]")]);
      expect(await flash(page)).toContain("Attaching");
      for (let i = 0; i < 40; i++) {
        await page.goto(`${base}/project/volumes`);
        if ((await page.locator("#volumes tr", { hasText: "data1" }).textContent())?.includes("web1")) break;
        await Bun.sleep(250);
      }
      expect(await page.locator("#volumes tr", { hasText: "data1" }).textContent()).toContain("web1");
      await shot(page, "09-volumes");

      // A floating IP, allocated and associated from the instance page.
      await page.goto(detailUrl);
      await Promise.all([page.waitForURL(detailUrl), page.click("#associate-fip-form button[type=submit]")]);
      const fipMsg = (await flash(page)) ?? "";
      expect(fipMsg).toMatch(/Floating IP 172\.24\.4\.\d+ associated/);
      const fip = fipMsg.match(/172\.24\.4\.\d+/)![0];
      await page.goto(`${base}/project/network`);
      expect(await page.locator("#floating-ips").textContent()).toContain(fip);
      expect(await page.locator("#topology").count()).toBe(1);
      await shot(page, "10-network");

      // An object, uploaded with progress into a new container.
      await page.goto(`${base}/project/containers`);
      await page.fill("#container-create input[name=name]", "files");
      await Promise.all([page.waitForURL(/\/project\/containers\/files$/), page.click("#container-create button[type=submit]")]);
      await page.setInputFiles("#object-upload input[name=file]", { name: "hello.txt", mimeType: "text/plain", buffer: Buffer.from("hello from the browser\n") });
      await page.click("#object-upload button[type=submit]");
      await page.waitForSelector("#objects >> text=hello.txt");
      expect(await flash(page)).toBe("Uploaded hello.txt.");
      const dl = await page.request.get(`${base}/project/containers/files/download?name=hello.txt`);
      expect(await dl.text()).toBe("hello from the browser\n");
      await shot(page, "11-object-store");
      await page.goto(`${base}/project/keypairs`);
      await shot(page, "12-keypairs");

      // The admin panels are not for demo: no menu entry, and the URL answers 403.
      expect(await page.locator("nav >> text=Hypervisors").count()).toBe(0);
      const denied = await page.goto(`${base}/admin/hypervisors`);
      expect(denied.status()).toBe(403);
      await shot(page, "13-admin-403");

      // Sign out: back to the login page, and the old session is gone.
      await page.goto(`${base}/project/`);
      await Promise.all([page.waitForURL(/\/auth\/login/), page.click("#signout")]);
      await page.goto(`${base}/project/instances`);
      expect(page.url()).toContain("/auth/login");
      expect(errors).toEqual([]);
      await page.close();
    },
    90_000,
  );

  test(
    "admin pages and a 390 px wide viewport",
    async () => {
      const page = await freshPage(390, 844);
      // demo's pages (with the instance, volume and objects of the first test), then admin's.
      await login(page, "demo");
      const pages = [
        "/project/",
        "/project/instances",
        "/project/instances/launch",
        "/project/images",
        "/project/volumes",
        "/project/network",
        "/project/containers",
        "/project/keypairs",
        "login:admin",
        "/admin/hypervisors",
        "/admin/instances",
        "/admin/flavors",
        "/admin/identity",
        "/admin/services",
      ];
      for (const p of pages) {
        if (p.startsWith("login:")) {
          await page.goto(`${base}/project/`);
          await Promise.all([page.waitForURL(/\/auth\/login/), page.click("#signout")]);
          await login(page, p.slice("login:".length));
          continue;
        }
        const res = await page.goto(`${base}${p}`);
        expect(res.status()).toBe(200);
        // The page itself never scrolls sideways (wide tables scroll inside their box).
        const overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth");
        expect({ p, overflow: overflow <= 1 }).toEqual({ p, overflow: true });
        await shot(page, `narrow-${p.replace(/\//g, "_").replace(/^_|_$/g, "") || "root"}`);
      }
      await page.goto(`${base}/admin/hypervisors`);
      expect(await page.locator("#hypervisors tbody tr").count()).toBeGreaterThanOrEqual(1);
      expect(await page.locator("#hypervisors").textContent()).toMatch(/fake|QEMU|qemu/);
      // The admin panels at desktop width too.
      await page.setViewportSize({ width: 1280, height: 800 });
      const p2 = page;
      for (const p of pages.filter((x) => x.startsWith("/admin/"))) {
        await p2.goto(`${base}${p}`);
        await shot(p2, `admin-${p.split("/").pop()}`);
      }
      await page.close();
    },
    60_000,
  );
});
