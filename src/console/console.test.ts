/**
 * The console proxy without a hypervisor: a unix socket stands in for the
 * guest's VNC server; the proxy runs behind a real Bun listener (websockets).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../core/config.ts";
import type { ConsoleToken } from "../compute/ctx.ts";
import { createConsole, tokenOf } from "./service.ts";

const silent = { debug() {}, info() {}, warn() {}, error() {}, child() { return silent; } } as any;

describe("console proxy", () => {
  const dir = mkdtempSync(join(tmpdir(), "tenrec-console-"));
  const sockPath = join(dir, "vnc.sock");
  const tokens = new Map<string, ConsoleToken>();
  let now = Date.now();
  const consumed: string[] = [];
  const proxy = createConsole({
    cfg: { ...loadConfig({ dataDir: dir }, {}), accessLog: false },
    log: silent,
    now: () => now,
    consume: (t) => {
      consumed.push(t);
      const v = tokens.get(t);
      tokens.delete(t);
      return v && v.expires > now ? v : undefined;
    },
  });
  let listener: ReturnType<typeof Bun.serve>;
  let guest: ReturnType<typeof Bun.listen>;
  const received: string[] = [];
  let base = "";
  const mint = (over: Partial<ConsoleToken> = {}) => {
    const t = crypto.randomUUID();
    tokens.set(t, { instanceUuid: "i-1", host: "localhost", port: 0, path: sockPath, protocol: "vnc", type: "novnc", expires: now + 600_000, ...over });
    return t;
  };

  beforeAll(() => {
    // the "VNC server": greets like RFB, echoes what it gets upper-cased
    guest = Bun.listen({
      unix: sockPath,
      socket: {
        open(s) {
          s.write("RFB 003.008\n");
        },
        data(s, d) {
          const text = new TextDecoder().decode(d);
          received.push(text);
          s.write(text.toUpperCase());
        },
      },
    });
    listener = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: (req, server) => proxy.app.fetch(req, server),
      websocket: proxy.websocket!,
    });
    base = `http://127.0.0.1:${listener.port}`;
  });
  afterAll(() => {
    proxy.stop();
    listener.stop(true);
    guest.stop(true);
    rmSync(dir, { recursive: true, force: true });
  });

  function connect(path: string): Promise<{ ws: WebSocket; messages: string[]; closed: Promise<void>; opened: Promise<boolean> }> {
    const ws = new WebSocket(`ws://127.0.0.1:${listener.port}/${path}`, ["binary"]);
    ws.binaryType = "arraybuffer";
    const messages: string[] = [];
    ws.onmessage = (e) => messages.push(new TextDecoder().decode(e.data as ArrayBuffer));
    const closed = new Promise<void>((r) => ws.addEventListener("close", () => r()));
    const opened = new Promise<boolean>((r) => {
      ws.addEventListener("open", () => r(true));
      ws.addEventListener("close", () => r(false));
    });
    return Promise.resolve({ ws, messages, closed, opened });
  }
  const until = async (pred: () => boolean, ms = 3000) => {
    const end = Date.now() + ms;
    while (!pred() && Date.now() < end) await Bun.sleep(20);
    return pred();
  };

  test("tokenOf reads ?token=, ?path=%3Ftoken%3D and the cookie", () => {
    expect(tokenOf(new URL("http://h/?token=abc"))).toBe("abc");
    expect(tokenOf(new URL("http://h/vnc_auto.html?path=%3Ftoken%3Dxyz"))).toBe("xyz");
    expect(tokenOf(new URL("http://h/websockify"), "a=1; token=c00k")).toBe("c00k");
    expect(tokenOf(new URL("http://h/"))).toBeUndefined();
  });

  test("the page needs a valid token; viewing it keeps the token for its websocket", async () => {
    expect((await fetch(`${base}/vnc_auto.html?path=%3Ftoken%3Dnope`)).status).toBe(401);
    const t = mint();
    const page = await fetch(`${base}/vnc_auto.html?path=%3Ftoken%3D${t}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("noVNC");
    expect(html).toContain('import RFB from "/core/rfb.js"');
    // a reload before the websocket connects still works
    expect((await fetch(`${base}/vnc_lite.html?token=${t}`)).status).toBe(200);
    const c = await connect(`?token=${t}`);
    expect(await c.opened).toBe(true);
    expect(c.ws.protocol).toBe("binary");
    expect(await until(() => c.messages.join("").startsWith("RFB 003.008"))).toBe(true);
    c.ws.send(new TextEncoder().encode("hello"));
    expect(await until(() => c.messages.join("").includes("HELLO"))).toBe(true);
    expect(received.join("")).toContain("hello");
    c.ws.close();
    await c.closed;
    // used up: neither the page nor a websocket accept it again
    expect((await fetch(`${base}/vnc_auto.html?path=%3Ftoken%3D${t}`)).status).toBe(401);
    const again = await connect(`?token=${t}`);
    await again.closed;
    expect(again.messages).toEqual([]);
  });

  test("a websocket token works once, without a page view", async () => {
    const t = mint();
    const a = await connect(`?token=${t}`);
    expect(await until(() => a.messages.length > 0)).toBe(true);
    const b = await connect(`?token=${t}`);
    await b.closed;
    expect(b.messages).toEqual([]);
    a.ws.close();
  });

  test("an expired token is refused", async () => {
    const t = mint({ expires: now + 1000 });
    now += 2000;
    expect((await fetch(`${base}/vnc_auto.html?path=%3Ftoken%3D${t}`)).status).toBe(401);
    // a viewed token expires in the proxy too
    const t2 = mint({ expires: now + 1000 });
    expect((await fetch(`${base}/vnc_auto.html?token=${t2}`)).status).toBe(200);
    now += 2000;
    const c = await connect(`?token=${t2}`);
    await c.closed;
    expect(c.messages).toEqual([]);
  });

  test("an unreachable console closes the websocket", async () => {
    const t = mint({ path: join(dir, "missing.sock") });
    const c = await connect(`?token=${t}`);
    await c.closed;
    expect(c.messages).toEqual([]);
  });

  test("noVNC's files are served read-only, nothing outside them", async () => {
    const rfb = await fetch(`${base}/core/rfb.js`);
    expect(rfb.status).toBe(200);
    expect(rfb.headers.get("content-type")).toContain("javascript");
    expect(await rfb.text()).toContain("export default class RFB");
    expect((await fetch(`${base}/core/%2e%2e/package.json`)).status).toBe(404);
    expect((await fetch(`${base}/core/nope.js`)).status).toBe(404);
    expect((await fetch(`${base}/core/rfb.js`, { method: "PUT", body: "x" })).status).toBeGreaterThanOrEqual(400);
  });
});
