/**
 * The dashboard on 8000: a Horizon-like console, server-rendered with hono/jsx.
 * It talks to every service through its public HTTP API with the user's token
 * (deps.identityUrl to log in, then the catalog), never through their code.
 */
import { Hono } from "hono";
import { getCookie, setCookie, deleteCookie } from "hono/cookie";
import { existsSync, statSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { z } from "zod";
import type { Clock } from "../core/clock.ts";
import { portOf, type Config } from "../core/config.ts";
import { requestId } from "../core/ids.ts";
import type { Logger } from "../core/log.ts";
import { action, form, formOf, readable, str, type Dash, type DashEnv } from "./ctx.ts";
import { Os } from "./os.ts";
import { registerAdmin } from "./pages/admin.tsx";
import { registerCompute } from "./pages/compute.tsx";
import { registerNetwork } from "./pages/network.tsx";
import { registerStorage } from "./pages/storage.tsx";
import { COOKIE, isAdmin, login, rescope, revoke, safeEqual, Sessions, type Session } from "./session.ts";
import { Csrf, Page } from "./ui.tsx";

export interface DashboardDeps {
  cfg: Config;
  clock: Clock;
  log: Logger;
  /** The public URL of identity (Keystone v3 root, e.g. http://127.0.0.1:5000/v3): the dashboard talks to every service through its public API, as Horizon does. */
  identityUrl: string;
}

/** Where a package's files are on disk (absent in a compiled executable: the console page then says so). */
function packageDir(name: string): string | undefined {
  // Beside the sources; for a compiled executable, the working directory's or the executable's node_modules.
  for (const from of [import.meta.dir, process.cwd(), dirname(process.execPath)]) {
    try {
      return dirname(Bun.resolveSync(`${name}/package.json`, from));
    } catch {
      /* next */
    }
  }
  return undefined;
}

const loginForm = z.object({
  domain: z.string().trim().min(1, "the domain is required").max(255),
  username: z.string().trim().min(1, "the user name is required").max(255),
  password: z.string().min(1, "the password is required").max(4096),
  next: z.string().optional(),
  region: z.string().optional(),
});

/** The login form keeps Horizon's field names and ids (Tempest's dashboard scenario parses them: id_username, csrfmiddlewaretoken, region). */
function LoginPage({ s, error, next, region }: { s: Session; error?: string; next?: string; region: string }) {
  return (
    <Page s={s} title="Log in" path="/auth/login">
      {error ? (
        <div class="flash error" role="alert">
          {error}
        </div>
      ) : null}
      <div class="card" style="max-width:420px">
        <form method="post" action="/auth/login" class="stack" id="login">
          <Csrf s={s} />
          <input type="hidden" name="next" value={next ?? ""} />
          <input type="hidden" name="region" value={region} />
          <label>
            Domain
            <input id="id_domain" name="domain" value="Default" required autocomplete="off" />
          </label>
          <label>
            User name
            <input id="id_username" name="username" required autocomplete="username" autofocus />
          </label>
          <label>
            Password
            <input id="id_password" name="password" type="password" required autocomplete="current-password" />
          </label>
          <button type="submit">Sign in</button>
        </form>
      </div>
    </Page>
  );
}

export function createDashboard(deps: DashboardDeps) {
  const log = deps.log;
  const d: Dash = { identityUrl: deps.identityUrl.replace(/\/$/, ""), sessions: new Sessions(), log };
  const app = new Hono<DashEnv>();
  const secure = false;
  const cookieOpts = { httpOnly: true, sameSite: "Lax" as const, path: "/", secure };
  // Cookies are per host, not per port: clouds side by side (--port-offset) each keep their own session cookie.
  const COOKIE_NAME = `${COOKIE}_${portOf(deps.cfg, "dashboard")}`;

  app.use("*", async (c, next) => {
    const rid = requestId();
    c.set("requestId", rid);
    const t0 = performance.now();
    await next();
    c.res.headers.set("x-openstack-request-id", rid);
    c.res.headers.set("x-frame-options", "SAMEORIGIN");
    c.res.headers.set("x-content-type-options", "nosniff");
    if (!c.res.headers.has("cache-control")) c.res.headers.set("cache-control", "no-store");
    if (deps.cfg.accessLog !== false) log.info(`${rid} ${c.req.method} ${new URL(c.req.url).pathname} ${c.res.status} ${(performance.now() - t0).toFixed(1)}ms`);
  });

  app.onError((err, c) => {
    const msg = readable(err, log);
    return c.html(
      `<!doctype html><html><head><meta charset="utf-8"><title>Error</title></head><body style="font-family:system-ui;padding:2rem"><h1>Something went wrong</h1><p>${Bun.escapeHTML(msg)}</p><p><a href="/project/">Back to the dashboard</a></p></body></html>`,
      500,
    );
  });

  // Static files of the console clients (noVNC, xterm.js), served from node_modules.
  const statics: Record<string, string | undefined> = { novnc: packageDir("@novnc/novnc"), xterm: packageDir("@xterm/xterm") };
  app.get("/static/:pkg/*", (c) => {
    const root = statics[c.req.param("pkg")];
    const rel = normalize(decodeURIComponent(new URL(c.req.url).pathname.split("/").slice(3).join("/")));
    if (!root || rel.startsWith("..") || rel.includes("\0")) return c.text("Not found", 404);
    const file = join(root, rel);
    if (!existsSync(file) || !statSync(file).isFile()) return c.text("Not found", 404);
    const type = file.endsWith(".js") || file.endsWith(".mjs") ? "text/javascript" : file.endsWith(".css") ? "text/css" : undefined;
    return new Response(Bun.file(file), { headers: { ...(type ? { "content-type": type } : {}), "cache-control": "max-age=3600" } });
  });

  // Session: every visitor gets one (anonymous until login) so even the login form carries a CSRF token.
  app.use("*", async (c, next) => {
    if (c.req.path.startsWith("/static/")) return next();
    let s = d.sessions.get(getCookie(c, COOKIE_NAME));
    if (!s) {
      s = d.sessions.create();
      setCookie(c, COOKIE_NAME, s.id, cookieOpts);
    }
    c.set("session", s);
    c.set("os", new Os(s, d.identityUrl));
    if (c.req.method !== "GET" && c.req.method !== "HEAD") {
      const header = c.req.header("x-csrf-token");
      let token = header;
      if (!token) {
        const ct = c.req.header("content-type") ?? "";
        if (ct.includes("form")) token = str((await form(c)).csrfmiddlewaretoken);
      }
      if (!token || !safeEqual(token, s.csrf)) {
        return c.html(
          <Page s={s} title="Forbidden" path="">
            <p>The form's security token is missing or out of date (CSRF check failed). Go back, reload the page and try again.</p>
          </Page>,
          403,
        );
      }
    }
    await next();
  });

  app.get("/", (c) => c.redirect(c.get("session").token ? "/project/" : "/auth/login"));
  app.get("/auth/login", (c) => {
    const s = c.get("session");
    if (s.token) return c.redirect("/project/");
    return c.html(<LoginPage s={s} next={c.req.query("next")} region={deps.cfg.region} />);
  });
  app.post("/auth/login", async (c) => {
    let s = c.get("session");
    const raw = await form(c);
    const next = str(raw.next);
    try {
      const f = await formOf(c, loginForm);
      await login(d.identityUrl, s, f.domain, f.username, f.password);
      s = d.sessions.rotate(s);
      setCookie(c, COOKIE_NAME, s.id, cookieOpts);
      log.info(`login: ${s.user?.name} into project ${s.project?.name}`);
      const to = next.startsWith("/") && !next.startsWith("//") ? next : "/project/";
      return c.redirect(to, 303);
    } catch (e) {
      return c.html(<LoginPage s={s} error={readable(e, log)} next={next} region={deps.cfg.region} />, 401);
    }
  });
  app.post("/auth/logout", async (c) => {
    const s = c.get("session");
    if (s.token) await revoke(d.identityUrl, s.token, s.token);
    d.sessions.delete(s.id);
    deleteCookie(c, COOKIE_NAME, { path: "/" });
    return c.redirect("/auth/login", 303);
  });

  // Everything below needs a logged-in session.
  app.use("/project/*", async (c, next) => {
    if (!c.get("session").token) return c.redirect(`/auth/login?next=${encodeURIComponent(c.req.path)}`);
    await next();
  });
  app.use("/auth/switch", async (c, next) => {
    if (!c.get("session").token) return c.redirect("/auth/login");
    await next();
  });
  app.use("/admin/*", async (c, next) => {
    const s = c.get("session");
    if (!s.token) return c.redirect(`/auth/login?next=${encodeURIComponent(c.req.path)}`);
    if (!isAdmin(s)) {
      return c.html(
        <Page s={s} title="Forbidden" path="">
          <p>You are not authorized to access this page: the admin panels need the admin role in the current project.</p>
          <p>
            <a href="/project/">Back to your project</a>
          </p>
        </Page>,
        403,
      );
    }
    await next();
  });
  app.post("/auth/switch", async (c) =>
    action(c, d, "/project/", async () => {
      const s = c.get("session");
      const f = await formOf(c, z.object({ project_id: z.string().min(1, "choose a project") }));
      await rescope(d.identityUrl, s, f.project_id);
      s.flash = { kind: "ok", text: `Switched to project ${s.project?.name}.` };
      return c.redirect("/project/", 303);
    }),
  );

  registerCompute(app, d);
  registerStorage(app, d);
  registerNetwork(app, d);
  registerAdmin(app, d);

  app.notFound((c) => {
    const s = c.get("session");
    if (!s) return c.text("Not found", 404);
    return c.html(
      <Page s={s} title="Not found" path="">
        <p>There is no such page.</p>
      </Page>,
      404,
    );
  });

  return {
    app,
    /** For tests and the bench: how many sessions are open. */
    sessions: d.sessions,
    stop() {},
  };
}
