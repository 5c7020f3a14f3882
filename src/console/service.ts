/**
 * The console proxy on 6080 (nova-novncproxy and nova-serialproxy in one):
 *
 * - GET /vnc_auto.html, /vnc_lite.html, /vnc.html?path=%3Ftoken%3D<t>: the noVNC
 *   page (src/console/page.ts), its library files from the installed
 *   @novnc/novnc package under /core/ and /vendor/ (read-only).
 * - A websocket upgrade on any path with ?token=<t> (noVNC: ws://host:6080/?token=<t>;
 *   the serial console URL is the same form): the token's console — the guest's
 *   VNC or serial unix socket (ConsoleToken.path), else host:port over TCP —
 *   bridged byte for byte, binary frames both ways.
 *
 * Tokens: Compute mints them (remote-consoles), valid 10 minutes, single use.
 * Viewing the page validates the token and keeps it for the page's websocket
 * (a reload works until the websocket has connected); the websocket uses it up.
 * A bad token is a 401 page, or for a websocket an upgrade that is closed at
 * once without a byte of console data (what Nova's proxy does).
 */
import { dirname, join, normalize, sep } from "node:path";
import type { ServerWebSocket, Socket } from "bun";
import type { Config } from "../core/config.ts";
import { textDialect } from "../core/faults.ts";
import { createApp } from "../core/http.ts";
import type { Logger } from "../core/log.ts";
import type { ConsoleToken } from "../compute/ctx.ts";
import { consolePage, errorPage } from "./page.ts";

export interface ConsoleDeps {
  cfg: Config;
  log: Logger;
  /** Validate and consume a single-use console token Compute issued (remote-consoles); undefined when unknown or expired. */
  consume: (token: string) => ConsoleToken | undefined;
  /** The clock the token expiry times come from (default Date.now). */
  now?: () => number;
}

interface WsData {
  token: ConsoleToken | undefined;
  /** the console socket, once connected */
  sock?: Socket<unknown>;
  /** client bytes waiting for the console socket (before it connects, or while it is full) */
  pending: Uint8Array[];
  closed: boolean;
}

/** Where the installed noVNC package lives (read-only). */
function novncRoot(): string | null {
  // Beside the sources; for a compiled executable, the working directory's or the executable's node_modules.
  for (const from of [import.meta.dir, process.cwd(), dirname(process.execPath)]) {
    try {
      return dirname(dirname(Bun.resolveSync("@novnc/novnc", from)));
    } catch {
      /* next */
    }
  }
  return null;
}

const PAGES = new Set(["/vnc_auto.html", "/vnc_lite.html", "/vnc.html"]);

/** The token in a console URL: ?token=, or inside ?path=%3Ftoken%3D..., or a `token` cookie (noVNC < 1.1). */
export function tokenOf(url: URL, cookie?: string | null): string | undefined {
  const direct = url.searchParams.get("token");
  if (direct) return direct;
  const path = url.searchParams.get("path");
  if (path) {
    const q = path.indexOf("?");
    const t = new URLSearchParams(q === -1 ? path : path.slice(q + 1)).get("token");
    if (t) return t;
  }
  const m = cookie?.match(/(?:^|;\s*)token=([^;]+)/);
  return m?.[1] ? decodeURIComponent(m[1]) : undefined;
}

export function createConsole(deps: ConsoleDeps) {
  const log = deps.log;
  const now = deps.now ?? Date.now;
  const app = createApp({ service: "console", dialect: textDialect, log, accessLog: deps.cfg.accessLog });
  const root = novncRoot();
  /** Tokens a page view validated, kept for that page's websocket. */
  const viewed = new Map<string, ConsoleToken>();
  const open = new Set<ServerWebSocket<WsData>>();

  const prune = () => {
    const t = now();
    for (const [k, v] of viewed) if (v.expires <= t) viewed.delete(k);
  };
  /** For the page: validate, and keep the token for the websocket. */
  const peek = (token: string): ConsoleToken | undefined => {
    prune();
    const have = viewed.get(token);
    if (have) return have;
    const t = deps.consume(token);
    if (t) viewed.set(token, t);
    return t;
  };
  /** For the websocket: use the token up. */
  const take = (token: string): ConsoleToken | undefined => {
    prune();
    const have = viewed.get(token);
    if (have) {
      viewed.delete(token);
      return have;
    }
    return deps.consume(token);
  };

  const html = (body: string, status = 200) =>
    new Response(body, { status, headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" } });

  app.use("*", async (c, next) => {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") return next();
    const server = c.env as { upgrade?: (req: Request, o: { data: WsData; headers?: Record<string, string> }) => boolean } | undefined;
    if (!server?.upgrade) return c.text("websocket upgrades need the console listener\n", 400);
    const url = new URL(c.req.url);
    const raw = tokenOf(url, c.req.header("cookie"));
    const token = raw ? take(raw) : undefined;
    if (!token) log.info(`console websocket refused: ${raw ? "invalid or expired token" : "no token"}`);
    // echo the subprotocol the client offered (noVNC and Tempest offer "binary"), or a browser drops the connection
    const offered = (c.req.header("sec-websocket-protocol") ?? "").split(",").map((s) => s.trim()).filter(Boolean);
    const proto = offered.includes("binary") ? "binary" : offered[0];
    const ok = server.upgrade(c.req.raw, {
      data: { token, pending: [], closed: false },
      headers: proto ? { "sec-websocket-protocol": proto } : undefined,
    });
    if (!ok) return c.text("websocket upgrade failed\n", 400);
    return new Response(null);
  });

  app.get("/favicon.ico", () => new Response(null, { status: 204 }));
  app.get("/", (c) => html(errorPage(404, "Open the URL `openstack console url show` gives."), 404));

  for (const p of PAGES) {
    app.get(p, (c) => {
      const raw = tokenOf(new URL(c.req.url));
      const token = raw ? peek(raw) : undefined;
      if (!token) return html(errorPage(401, "The console token is invalid or has expired. Ask for a new console URL."), 401);
      if (token.protocol === "serial") return html(errorPage(400, "This token is for a serial console: connect a websocket client to it."), 400);
      return html(consolePage(`instance ${token.instanceUuid}`));
    });
  }

  app.get("/:dir{core|vendor}/*", async (c) => {
    if (!root) return html(errorPage(404, "noVNC is not installed (node_modules/@novnc/novnc)."), 404);
    const rel = decodeURIComponent(new URL(c.req.url).pathname).replace(/^\/+/, "");
    const file = normalize(join(root, rel));
    if (!file.startsWith(root + sep) || rel.split("/").includes("..")) return html(errorPage(404, "Not found"), 404);
    const f = Bun.file(file);
    if (!(await f.exists())) return html(errorPage(404, "Not found"), 404);
    const type = file.endsWith(".js") ? "text/javascript; charset=utf-8" : f.type;
    return new Response(f, { headers: { "content-type": type, "cache-control": "public, max-age=3600" } });
  });

  /** Write to the console socket, keeping what it could not take for its drain. */
  const flush = (d: WsData) => {
    const s = d.sock;
    if (!s) return;
    while (d.pending.length) {
      const chunk = d.pending[0]!;
      const n = s.write(chunk);
      if (n < 0) return;
      if (n < chunk.byteLength) {
        d.pending[0] = chunk.subarray(n);
        return;
      }
      d.pending.shift();
    }
  };

  const websocket: import("bun").WebSocketHandler<WsData> = {
    async open(ws) {
      const d = ws.data;
      const t = d.token;
      if (!t) {
        // no close frame, no data: the connection just ends (as Nova's proxy does for a bad token)
        ws.terminate();
        return;
      }
      open.add(ws);
      const target = t.path ? { unix: t.path } : { hostname: t.host, port: t.port };
      log.info(`console ${t.protocol} of ${t.instanceUuid}: connecting to ${t.path ?? `${t.host}:${t.port}`}`);
      try {
        const sock = await Bun.connect<unknown>({
          ...(target as { unix: string }),
          socket: {
            data(_s, chunk) {
              if (!d.closed) ws.sendBinary(chunk);
            },
            drain() {
              flush(d);
            },
            close() {
              if (!d.closed) ws.close(1000, "console closed");
            },
            error(_s, e) {
              log.warn(`console socket of ${t.instanceUuid}: ${e.message}`);
              if (!d.closed) ws.close(1011, "console error");
            },
          },
        });
        if (d.closed) {
          sock.end();
          return;
        }
        d.sock = sock;
        flush(d);
      } catch (e) {
        log.warn(`console of ${t.instanceUuid} unreachable: ${(e as Error).message}`);
        if (!d.closed) ws.close(1011, "console unreachable");
      }
    },
    message(ws, msg) {
      const d = ws.data;
      if (d.closed) return;
      d.pending.push(typeof msg === "string" ? new TextEncoder().encode(msg) : new Uint8Array(msg));
      flush(d);
    },
    close(ws) {
      const d = ws.data;
      d.closed = true;
      open.delete(ws);
      d.sock?.end();
    },
  };

  return {
    app,
    websocket,
    stop() {
      for (const ws of open) ws.close(1001, "console proxy stopping");
      open.clear();
      viewed.clear();
    },
  };
}
