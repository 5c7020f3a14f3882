/**
 * The dashboard over HTTP without a browser: sessions, CSRF, the admin split,
 * form validation, graceful errors. (test/dashboard/browser.test.ts drives Chromium.)
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Cloud } from "../cloud.ts";
import { listeningCloud } from "../../test/dashboard/cloud.ts";
import { errorMessage } from "./os.ts";

let cloud: Cloud;
let close: () => Promise<void>;
let base: string;

beforeAll(async () => {
  ({ cloud, close } = await listeningCloud([21380, 21430, 21480, 21530]));
  base = cloud.url("dashboard").replace(/\/$/, "");
}, 30_000);
afterAll(() => close?.());

/** A tiny browser: one cookie, follows nothing, remembers the last CSRF token it saw. */
class Browser {
  cookie = "";
  csrf = "";
  async req(method: string, path: string, form?: Record<string, string | string[]>, headers: Record<string, string> = {}) {
    let body: string | undefined;
    if (form) {
      const p = new URLSearchParams();
      for (const [k, v] of Object.entries(form)) for (const x of Array.isArray(v) ? v : [v]) p.append(k, x);
      body = p.toString();
      headers["content-type"] = "application/x-www-form-urlencoded";
    }
    const res = await fetch(`${base}${path}`, { method, body, redirect: "manual", headers: { ...(this.cookie ? { cookie: this.cookie } : {}), ...headers } });
    const set = res.headers.get("set-cookie");
    if (set) {
      const m = set.match(/(tenrec_dashboard_\d+)=([^;]*)/);
      if (m) this.cookie = m[2] ? `${m[1]}=${m[2]}` : "";
    }
    const text = res.headers.get("content-type")?.includes("html") ? await res.text() : "";
    const t = text.match(/name="csrfmiddlewaretoken" value="([^"]+)"/);
    if (t) this.csrf = t[1];
    return { res, text };
  }
  get(path: string) {
    return this.req("GET", path);
  }
  post(path: string, form: Record<string, string | string[]> = {}) {
    return this.req("POST", path, { csrfmiddlewaretoken: this.csrf, ...form });
  }
  async login(user: string, password = "secret") {
    await this.get("/auth/login");
    return this.post("/auth/login", { domain: "Default", username: user, password });
  }
}

describe("sessions and login", () => {
  test("the session cookie is HttpOnly, SameSite=Lax, and holds no token", async () => {
    const b = new Browser();
    const { res } = await b.get("/auth/login");
    const set = res.headers.get("set-cookie")!;
    expect(set).toMatch(/HttpOnly/i);
    expect(set).toMatch(/SameSite=Lax/i);
    const before = b.cookie;
    const r = await b.post("/auth/login", { domain: "Default", username: "demo", password: "secret" });
    expect(r.res.status).toBe(303);
    expect(r.res.headers.get("location")).toBe("/project/");
    // A fresh session id at login (no fixation), and not a Keystone token.
    expect(b.cookie).not.toBe(before);
    const id = b.cookie.split("=")[1];
    const check = await fetch(`${cloud.url("identity")}/v3/auth/tokens`, { headers: { "x-auth-token": id, "x-subject-token": id } });
    expect(check.status).toBe(401);
  });

  test("a wrong password is a readable 401 page", async () => {
    const b = new Browser();
    await b.get("/auth/login");
    const { res, text } = await b.post("/auth/login", { domain: "Default", username: "demo", password: "nope" });
    expect(res.status).toBe(401);
    expect(text).toContain("Invalid credentials.");
    expect(text).not.toContain("at ");
  });

  test("an empty user name fails validation with the field named", async () => {
    const b = new Browser();
    await b.get("/auth/login");
    const { res, text } = await b.post("/auth/login", { domain: "Default", username: " ", password: "x" });
    expect(res.status).toBe(401);
    expect(text).toContain("username");
  });

  test("pages need a login; sign-out ends the session", async () => {
    const anon = new Browser();
    const r = await anon.get("/project/instances");
    expect(r.res.status).toBe(302);
    expect(r.res.headers.get("location")).toBe("/auth/login?next=%2Fproject%2Finstances");
    const b = new Browser();
    await b.login("demo");
    expect((await b.get("/project/")).res.status).toBe(200);
    const cookie = b.cookie;
    const out = await b.post("/auth/logout");
    expect(out.res.status).toBe(303);
    b.cookie = cookie; // replaying the old cookie gets nowhere
    expect((await b.get("/project/")).res.status).toBe(302);
  });

  test("a token revoked behind the dashboard's back ends the session with a message, not a stack trace", async () => {
    const ks = `${cloud.url("identity")}/v3`;
    const at = await fetch(`${ks}/auth/tokens`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        auth: {
          identity: { methods: ["password"], password: { user: { name: "admin", domain: { id: "default" }, password: "secret" } } },
          scope: { project: { name: "admin", domain: { id: "default" } } },
        },
      }),
    });
    const h = { "x-auth-token": at.headers.get("x-subject-token")!, "content-type": "application/json" };
    const user = ((await (await fetch(`${ks}/users`, { method: "POST", headers: h, body: JSON.stringify({ user: { name: "dash-gone", password: "pw-gone", domain_id: "default" } }) })).json()) as any).user;
    const demoProject = ((await (await fetch(`${ks}/projects?name=demo`, { headers: h })).json()) as any).projects[0].id;
    const member = ((await (await fetch(`${ks}/roles?name=member`, { headers: h })).json()) as any).roles[0].id;
    await fetch(`${ks}/projects/${demoProject}/users/${user.id}/roles/${member}`, { method: "PUT", headers: h });
    const b = new Browser();
    await b.get("/auth/login");
    expect((await b.post("/auth/login", { domain: "Default", username: "dash-gone", password: "pw-gone" })).res.status).toBe(303);
    expect((await b.get("/project/instances")).res.status).toBe(200);
    // Disabling the user revokes its tokens in Keystone.
    await fetch(`${ks}/users/${user.id}`, { method: "PATCH", headers: h, body: JSON.stringify({ user: { enabled: false } }) });
    const page = await b.get("/project/instances");
    expect(page.text).toContain("Your session has expired. Please log in again.");
    const next = await b.get("/project/volumes");
    expect(next.res.status).toBe(302);
    expect(next.res.headers.get("location")).toStartWith("/auth/login");
  });

  test("next= after login only goes to a local path", async () => {
    const b = new Browser();
    await b.get("/auth/login");
    const r = await b.post("/auth/login", { domain: "Default", username: "demo", password: "secret", next: "//evil.example/" });
    expect(r.res.headers.get("location")).toBe("/project/");
  });
});

describe("CSRF", () => {
  test("a form post without the token, or with another session's token, is refused", async () => {
    const b = new Browser();
    await b.login("demo");
    await b.get("/project/volumes");
    const none = await b.req("POST", "/project/volumes/create", { name: "x", size: "1" });
    expect(none.res.status).toBe(403);
    expect(none.text).toContain("CSRF");
    const other = new Browser();
    await other.login("demo");
    await other.get("/project/");
    const wrong = await b.req("POST", "/project/volumes/create", { csrfmiddlewaretoken: other.csrf, name: "x", size: "1" });
    expect(wrong.res.status).toBe(403);
    const login = await new Browser().req("POST", "/auth/login", { domain: "Default", username: "demo", password: "secret" });
    expect(login.res.status).toBe(403);
  });
});

describe("admin split", () => {
  test("demo gets 403 on every admin URL and sees no admin menu; admin gets the panels", async () => {
    const demo = new Browser();
    await demo.login("demo");
    const home = await demo.get("/project/");
    expect(home.text).not.toContain("/admin/hypervisors");
    for (const p of ["/admin/hypervisors", "/admin/instances", "/admin/flavors", "/admin/identity", "/admin/services"]) {
      expect((await demo.get(p)).res.status).toBe(403);
    }
    expect((await demo.post("/admin/flavors", { name: "x", vcpus: "1", ram: "1", disk: "0" })).res.status).toBe(403);
    const admin = new Browser();
    await admin.login("admin");
    const hv = await admin.get("/admin/hypervisors");
    expect(hv.res.status).toBe(200);
    expect(hv.text).toContain('id="hypervisors"');
    const id = await admin.get("/admin/identity");
    expect(id.text).toContain("demo");
  });

  test("admin creates and deletes a flavor; a bad form names the field and creates nothing", async () => {
    const admin = new Browser();
    await admin.login("admin");
    await admin.get("/admin/flavors");
    const bad = await admin.post("/admin/flavors", { name: "f.bad", vcpus: "0", ram: "64", disk: "0" });
    expect(bad.res.status).toBe(303);
    const after = await admin.get("/admin/flavors");
    expect(after.text).toContain("VCPUs must be at least 1");
    expect(after.text).not.toContain("f.bad");
    await admin.post("/admin/flavors", { name: "f.dash", id: "dash-1", vcpus: "1", ram: "64", disk: "0", public: "1" });
    const list = await admin.get("/admin/flavors");
    expect(list.text).toContain("f.dash");
    await admin.post("/admin/flavors/dash-1/delete");
    expect((await admin.get("/admin/flavors")).text).not.toContain("f.dash");
  });
});

describe("admin identity", () => {
  test("admin creates a project and a member user who can then log in; bad input creates nothing", async () => {
    const admin = new Browser();
    await admin.login("admin");
    await admin.get("/admin/identity");
    await admin.post("/admin/identity/projects", { name: "p-dash", description: "made in the dashboard" });
    let page = await admin.get("/admin/identity");
    const pid = page.text.match(/<option value="([0-9a-f]{32})">p-dash<\/option>/)![1];
    const bad = await admin.post("/admin/identity/users", { name: "u-bad", password: "pw", email: "not-an-email", project_id: pid });
    expect(bad.res.status).toBe(303);
    page = await admin.get("/admin/identity");
    expect(page.text).toContain("enter a valid e-mail address");
    expect(page.text).not.toContain(">u-bad<");
    await admin.post("/admin/identity/users", { name: "u-dash", password: "pw-dash", email: "u@example.org", project_id: pid });
    const u = new Browser();
    await u.login("u-dash", "pw-dash");
    const home = await u.get("/project/");
    expect(home.text).toContain("Overview — p-dash");
    expect((await u.get("/admin/identity")).res.status).toBe(403);
  });
});

describe("project pages", () => {
  test("every project page renders for demo", async () => {
    const b = new Browser();
    await b.login("demo");
    for (const p of ["/project/", "/project/instances", "/project/instances/launch", "/project/images", "/project/keypairs", "/project/volumes", "/project/network", "/project/containers"]) {
      const r = await b.get(p);
      expect({ p, status: r.res.status }).toEqual({ p, status: 200 });
      expect(r.text.startsWith("<!doctype html>")).toBe(true);
    }
  });

  test("a launch with no name is refused with a message and no server is made", async () => {
    const b = new Browser();
    await b.login("demo");
    await b.get("/project/instances/launch");
    const r = await b.post("/project/instances/launch", { name: "", image: "x", flavor: "1" });
    expect(r.res.headers.get("location")).toBe("/project/instances/launch");
    const page = await b.get("/project/instances/launch");
    expect(page.text).toContain("the instance name is required");
    const list = await b.get("/project/instances/status.json");
    expect(Object.keys(((await list.res.json()) as { servers: object }).servers)).toHaveLength(0);
  });

  test("an API error is shown in words: launching from an unknown image", async () => {
    const b = new Browser();
    await b.login("demo");
    await b.get("/project/instances/launch");
    await b.post("/project/instances/launch", { name: "x", image: "00000000-0000-0000-0000-000000000000", flavor: "1" });
    const page = await b.get("/project/instances/launch");
    expect(page.text).toMatch(/class="flash error"[^>]*>Compute: [^<]*image/i);
  });

  test("key pair: created as a .pem download, imported, listed, deleted", async () => {
    const b = new Browser();
    await b.login("demo");
    await b.get("/project/keypairs");
    const r = await b.req("POST", "/project/keypairs/create", { csrfmiddlewaretoken: b.csrf, name: "k1" });
    expect(r.res.status).toBe(200);
    expect(r.res.headers.get("content-disposition")).toBe('attachment; filename="k1.pem"');
    expect(await r.res.text()).toContain("PRIVATE KEY");
    const list = await b.get("/project/keypairs");
    expect(list.text).toContain("k1");
    const bad = await b.post("/project/keypairs/import", { name: "bad/name", public_key: "ssh-rsa AAA" });
    expect(bad.res.status).toBe(303);
    expect((await b.get("/project/keypairs")).text).toContain("use letters, digits");
    await b.post("/project/keypairs/k1/delete");
    expect((await b.get("/project/keypairs")).text).not.toContain(">k1<");
  });

  test("network: create a network with a subnet, a security group and a rule", async () => {
    const b = new Browser();
    await b.login("demo");
    await b.get("/project/network");
    await b.post("/project/network/networks", { name: "n-dash", cidr: "10.77.0.0/24" });
    await b.post("/project/network/security-groups", { name: "web", description: "http" });
    let page = await b.get("/project/network");
    expect(page.text).toContain("n-dash-subnet 10.77.0.0/24");
    const netId = page.text.match(/action="\/project\/network\/networks\/([0-9a-f-]{36})\/subnets"[\s\S]*?/g)!.length;
    expect(netId).toBeGreaterThanOrEqual(2);
    const nid = page.text.match(/<td data-l="Name">n-dash<\/td>[\s\S]*?networks\/([0-9a-f-]{36})\/subnets/)![1];
    await b.post(`/project/network/networks/${nid}/subnets`, { cidr: "10.78.0.0/24" });
    const overlap = await b.post(`/project/network/networks/${nid}/subnets`, { cidr: "10.78.0.0/25" });
    expect(overlap.res.status).toBe(303);
    page = await b.get("/project/network");
    expect(page.text).toMatch(/n-dash<\/td><td data-l="Subnets">[^<]*10\.78\.0\.0\/24/);
    expect(page.text).toMatch(/class="flash error"[^>]*>Network: [^<]+/);
    const sg = page.text.match(/action="\/project\/network\/security-groups\/([0-9a-f-]{36})\/rules"/g)!;
    expect(sg.length).toBeGreaterThanOrEqual(2);
    const webId = page.text.match(/data-sg="web"[\s\S]*?security-groups\/([0-9a-f-]{36})\/rules/)![1];
    await b.post(`/project/network/security-groups/${webId}/rules`, { direction: "ingress", protocol: "tcp", port_min: "80", port_max: "80", cidr: "0.0.0.0/0" });
    const badCidr = await b.post(`/project/network/security-groups/${webId}/rules`, { direction: "ingress", protocol: "tcp", port_min: "1", port_max: "2", cidr: "nope" });
    expect(badCidr.res.status).toBe(303);
    page = await b.get("/project/network");
    expect(page.text).toContain("enter a CIDR");
    expect(page.text).toMatch(/data-sg="web"[\s\S]*?<td data-l="Ports">80<\/td>/);
  });

  test("project switch rescopes the token; the admin panels follow the role in the current project", async () => {
    // A second project where admin is only a member.
    const ks = `${cloud.url("identity")}/v3`;
    const at = await fetch(`${ks}/auth/tokens`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        auth: {
          identity: { methods: ["password"], password: { user: { name: "admin", domain: { id: "default" }, password: "secret" } } },
          scope: { project: { name: "admin", domain: { id: "default" } } },
        },
      }),
    });
    const tok = at.headers.get("x-subject-token")!;
    const me = ((await at.json()) as any).token.user.id;
    const h = { "x-auth-token": tok, "content-type": "application/json" };
    const proj = ((await (await fetch(`${ks}/projects`, { method: "POST", headers: h, body: JSON.stringify({ project: { name: "zz-switch", domain_id: "default" } }) })).json()) as any).project.id;
    const roles = ((await (await fetch(`${ks}/roles?name=member`, { headers: h })).json()) as any).roles;
    expect((await fetch(`${ks}/projects/${proj}/users/${me}/roles/${roles[0].id}`, { method: "PUT", headers: h })).status).toBe(204);

    const b = new Browser();
    await b.login("admin");
    let page = await b.get("/project/");
    expect(page.text).toContain(`<option value="${proj}">zz-switch</option>`);
    expect((await b.get("/admin/hypervisors")).res.status).toBe(200);
    const r = await b.post("/auth/switch", { project_id: "f".repeat(32) });
    expect(r.res.status).toBe(303);
    expect((await b.get("/project/")).text).toContain("You are not a member of that project.");
    await b.post("/auth/switch", { project_id: proj });
    page = await b.get("/project/");
    expect(page.text).toContain(`value="${proj}" selected`);
    expect(page.text).toContain("Switched to project zz-switch.");
    expect(page.text).not.toContain("/admin/hypervisors");
    expect((await b.get("/admin/hypervisors")).res.status).toBe(403);
  });

  test("noVNC is served from node_modules, and nothing outside it", async () => {
    const r = await fetch(`${base}/static/novnc/core/rfb.js`);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toContain("javascript");
    expect((await fetch(`${base}/static/novnc/..%2f..%2fpackage.json`)).status).toBe(404);
  });
});

describe("error messages from each API dialect", () => {
  test("nova, neutron, keystone, text", () => {
    expect(errorMessage(404, '{"itemNotFound":{"code":404,"message":"Instance x could not be found."}}')).toBe("Instance x could not be found.");
    expect(errorMessage(409, '{"NeutronError":{"type":"IpAddressInUse","message":"IP in use","detail":""}}')).toBe("IP in use");
    expect(errorMessage(401, '{"error":{"code":401,"title":"Unauthorized","message":"Nope"}}')).toBe("Nope");
    expect(errorMessage(404, "<html><h1>Not Found</h1><p>The resource could not be found.</p></html>")).toBe("Not Found The resource could not be found.");
    expect(errorMessage(500, "")).toBe("the service answered 500");
  });
});

describe("actions against the real APIs", () => {
  async function demoToken(): Promise<string> {
    const r = await fetch(`${cloud.url("identity")}/v3/auth/tokens`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        auth: {
          identity: { methods: ["password"], password: { user: { name: "demo", domain: { id: "default" }, password: "secret" } } },
          scope: { project: { name: "demo", domain: { id: "default" } } },
        },
      }),
    });
    return r.headers.get("x-subject-token")!;
  }
  async function multipart(b: Browser, path: string, fields: Record<string, string>, file: { field: string; name: string; data: string }) {
    const fd = new FormData();
    fd.append("csrfmiddlewaretoken", b.csrf);
    for (const [k, v] of Object.entries(fields)) fd.append(k, v);
    fd.append(file.field, new File([file.data], file.name, { type: "text/plain" }));
    return fetch(`${base}${path}`, { method: "POST", body: fd, redirect: "manual", headers: { cookie: b.cookie, "x-requested-with": "XMLHttpRequest" } });
  }
  async function statusOf(b: Browser, id: string) {
    const r = await b.get("/project/instances/status.json");
    return ((await r.res.json()) as { servers: Record<string, { status: string; task: string | null }> }).servers[id];
  }
  async function until(fn: () => Promise<boolean>, ms = 10_000) {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (await fn()) return true;
      await Bun.sleep(50);
    }
    return false;
  }

  test("instance: launch, stop, start, snapshot, delete", async () => {
    const b = new Browser();
    await b.login("demo");
    await b.get("/project/images");
    const up = await multipart(b, "/project/images/upload", { name: "img-a", disk_format: "raw", container_format: "bare", visibility: "private" }, { field: "file", name: "a.img", data: "x".repeat(4096) });
    expect(up.status).toBe(200);
    expect(((await up.json()) as { redirect: string }).redirect).toBe("/project/images");
    // Public images are for admins only: refused without creating anything.
    const pub = await multipart(b, "/project/images/upload", { name: "img-pub", disk_format: "raw", visibility: "public" }, { field: "file", name: "p.img", data: "p" });
    expect(pub.status).toBe(403);
    const images = await b.get("/project/images");
    expect(images.text).not.toContain("img-pub");
    const imageId = (await (await fetch(`${cloud.url("image")}/v2/images?name=img-a`, { headers: { "x-auth-token": await demoToken() } })).json() as any).images[0].id;
    const form = await b.get("/project/instances/launch");
    const net = form.text.match(/name="network" value="([0-9a-f-]{36})"/)![1];
    await b.post("/project/instances/launch", { name: "vm-a", image: imageId, flavor: "1", network: net, security_groups: "default", user_data: "#!/bin/sh\necho hi" });
    const list = await b.get("/project/instances");
    const id = list.text.match(/data-status="([0-9a-f-]{36})"/)![1];
    expect(await until(async () => (await statusOf(b, id))?.status === "ACTIVE")).toBe(true);
    await b.get(`/project/instances/${id}`);
    await b.post(`/project/instances/${id}/action`, { op: "stop" });
    expect(await until(async () => (await statusOf(b, id))?.status === "SHUTOFF")).toBe(true);
    await b.post(`/project/instances/${id}/action`, { op: "start" });
    expect(await until(async () => (await statusOf(b, id))?.status === "ACTIVE")).toBe(true);
    const snap = await b.post(`/project/instances/${id}/action`, { op: "snapshot", name: "vm-a-snap" });
    expect(snap.res.status).toBe(303);
    expect((await b.get(`/project/instances/${id}`)).text).toContain("Snapshot vm-a-snap is being created");
    expect((await b.get("/project/images")).text).toContain("vm-a-snap");
    const bogus = await b.post(`/project/instances/${id}/action`, { op: "explode" });
    expect(bogus.res.status).toBe(303);
    expect((await b.get(`/project/instances/${id}`)).text).toContain("Unknown action");
    await b.post(`/project/instances/${id}/action`, { op: "delete" });
    expect(await until(async () => (await statusOf(b, id)) === undefined)).toBe(true);
  });

  test("volume: create, extend, snapshot", async () => {
    const b = new Browser();
    await b.login("demo");
    await b.get("/project/volumes");
    await b.post("/project/volumes/create", { name: "v-a", size: "1" });
    const bad = await b.post("/project/volumes/create", { name: "v-b", size: "0" });
    expect(bad.res.status).toBe(303);
    let page = await b.get("/project/volumes");
    expect(page.text).toContain("the size is at least 1 GiB");
    expect(page.text).not.toContain("v-b");
    const vid = page.text.match(/action="\/project\/volumes\/([0-9a-f-]{36})\/extend"/)![1];
    expect(await until(async () => /v-a[\s\S]*?available/.test((await b.get("/project/volumes")).text))).toBe(true);
    await b.post(`/project/volumes/${vid}/extend`, { new_size: "2" });
    expect(await until(async () => /data-l="Size">2 GiB<\/td><td data-l="Status"><span class="badge available"/.test((await b.get("/project/volumes")).text))).toBe(true);
    await b.post(`/project/volumes/${vid}/snapshot`, { name: "v-a-snap" });
    page = await b.get("/project/volumes");
    expect(page.text).toContain("v-a-snap");
  });

  test("object store: public container, pseudo-folder, upload, download, private again", async () => {
    const b = new Browser();
    await b.login("demo");
    await b.get("/project/containers");
    await b.post("/project/containers/create", { name: "docs", public: "1" });
    const bad = await b.post("/project/containers/create", { name: "a/b" });
    expect(bad.res.status).toBe(303);
    expect((await b.get("/project/containers")).text).toContain("cannot contain");
    let page = await b.get("/project/containers/docs");
    expect(page.text).toContain('id="container-access">public<');
    await b.post("/project/containers/docs/folder", { folder: "reports", prefix: "" });
    const up = await multipart(b, "/project/containers/docs/upload", { prefix: "reports/" }, { field: "file", name: "q1.txt", data: "quarter one" });
    expect(up.status).toBe(200);
    page = await b.get("/project/containers/docs");
    expect(page.text).toContain("Uploaded reports/q1.txt.");
    const objects = (t: string) => t.match(/<table class="resp" id="objects">[\s\S]*?<\/table>/)![0];
    expect(objects(page.text)).toContain("reports/");
    expect(objects(page.text)).not.toContain("q1.txt");
    page = await b.get("/project/containers/docs?prefix=reports%2F");
    expect(objects(page.text)).toContain("q1.txt");
    const dl = await fetch(`${base}/project/containers/docs/download?name=reports%2Fq1.txt`, { headers: { cookie: b.cookie } });
    expect(dl.headers.get("content-disposition")).toBe('attachment; filename="q1.txt"');
    expect(await dl.text()).toBe("quarter one");
    // Public means anyone can read it without a token, straight from Swift.
    const store = page.text.match(/Public URL: <code>([^<]+)<\/code>/)![1];
    expect((await fetch(`${store}/reports/q1.txt`)).status).toBe(200);
    // The progress-bar script's way: the raw file as the body (streamed on to Swift), fields in the query, CSRF in a header.
    const big = new Uint8Array(3 << 20).map((_, i) => i % 251);
    const q = new URLSearchParams({ prefix: "reports/", name: "", filename: "big.bin", filetype: "application/x-test" });
    const noCsrf = await fetch(`${base}/project/containers/docs/upload?${q}`, { method: "POST", body: big, headers: { cookie: b.cookie, "content-type": "application/octet-stream" } });
    expect(noCsrf.status).toBe(403);
    const streamed = await fetch(`${base}/project/containers/docs/upload?${q}`, {
      method: "POST",
      body: big,
      headers: { cookie: b.cookie, "content-type": "application/octet-stream", "x-csrf-token": b.csrf, "x-requested-with": "XMLHttpRequest" },
    });
    expect(streamed.status).toBe(200);
    const back = await fetch(`${base}/project/containers/docs/download?name=reports%2Fbig.bin`, { headers: { cookie: b.cookie } });
    expect(back.headers.get("content-type")).toBe("application/x-test");
    expect(new Uint8Array(await back.arrayBuffer())).toEqual(big);
    await b.post("/project/containers/docs/access", { public: "0" });
    expect((await b.get("/project/containers/docs")).text).toContain('id="container-access">private<');
    expect((await fetch(`${store}/reports/q1.txt`)).status).toBe(401);
  });
});
