import { describe, expect, test } from "bun:test";
import { z } from "zod";
import { conflict, notFound } from "./errors.ts";
import { keystoneDialect, neutronDialect, novaDialect, textDialect, type Dialect } from "./faults.ts";
import { createApp } from "./http.ts";
import { Logger } from "./log.ts";
import { body } from "./validate.ts";

function appWith(dialect: Dialect, lines: string[] = []) {
  const log = new Logger("debug", (l) => lines.push(l));
  const app = createApp({ service: "t", dialect, log, requestIdHeaders: ["x-compute-request-id"] });
  app.get("/missing", () => {
    throw notFound("Could not find thing: x.");
  });
  app.get("/dup", () => {
    throw conflict("Duplicate entry.");
  });
  app.get("/boom", () => {
    throw new Error("secret internals");
  });
  app.post("/things", body(z.object({ name: z.string().min(1) })), (c) => c.json(c.req.valid("json"), 201));
  return app;
}

const get = (app: ReturnType<typeof appWith>, path: string, init?: RequestInit) =>
  app.fetch(new Request(`http://x${path}`, init));

describe("createApp", () => {
  test("mints a request id per request, echoes it in every configured header, logs it", async () => {
    const lines: string[] = [];
    const app = appWith(keystoneDialect, lines);
    const a = await get(app, "/missing");
    const b = await get(app, "/missing", { headers: { "x-openstack-request-id": "req-11111111-2222-3333-4444-555555555555" } });
    const ida = a.headers.get("x-openstack-request-id")!;
    const idb = b.headers.get("x-openstack-request-id")!;
    expect(ida).toMatch(/^req-[0-9a-f-]{36}$/);
    expect(idb).not.toBe(ida);
    // the caller's id is kept as the global id, never reused as ours
    expect(idb).not.toBe("req-11111111-2222-3333-4444-555555555555");
    expect(a.headers.get("x-compute-request-id")).toBe(ida);
    expect(lines.some((l) => l.includes(ida) && l.includes("GET /missing 404"))).toBe(true);
    expect(lines.some((l) => l.includes(idb) && l.includes("global req-11111111"))).toBe(true);
  });

  test("keystone dialect", async () => {
    const r = await get(appWith(keystoneDialect), "/dup");
    expect(r.status).toBe(409);
    expect(await r.json()).toEqual({ error: { code: 409, title: "Conflict", message: "Duplicate entry." } });
  });

  test("nova dialect", async () => {
    const r = await get(appWith(novaDialect), "/missing");
    expect(await r.json()).toEqual({ itemNotFound: { code: 404, message: "Could not find thing: x." } });
  });

  test("neutron dialect", async () => {
    const r = await get(appWith(neutronDialect), "/missing");
    expect(await r.json()).toEqual({
      NeutronError: { type: "NotFound", message: "Could not find thing: x.", detail: "" },
    });
  });

  test("text dialect escapes the message", async () => {
    const app = createApp({ service: "t", dialect: textDialect, log: new Logger("error", () => {}) });
    app.get("/x", () => {
      throw notFound("<script>");
    });
    const r = await get(app, "/x");
    expect(r.headers.get("content-type")).toStartWith("text/html");
    expect(await r.text()).not.toContain("<script>");
  });

  test("unknown errors are a 500 in the dialect, without internals, and logged", async () => {
    const lines: string[] = [];
    const r = await get(appWith(keystoneDialect, lines), "/boom");
    expect(r.status).toBe(500);
    const text = await r.text();
    expect(JSON.parse(text).error.code).toBe(500);
    expect(text).not.toContain("secret internals");
    expect(lines.some((l) => l.includes("secret internals"))).toBe(true);
  });

  test("malformed JSON and schema violations are 400s in the dialect", async () => {
    const app = appWith(novaDialect);
    const bad = await get(app, "/things", { method: "POST", body: "{", headers: { "content-type": "application/json" } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).badRequest.code).toBe(400);
    const invalid = await get(app, "/things", {
      method: "POST",
      body: JSON.stringify({ name: "" }),
      headers: { "content-type": "application/json" },
    });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as any).badRequest.message).toContain("name");
    const ok = await get(app, "/things", {
      method: "POST",
      body: JSON.stringify({ name: "a" }),
      headers: { "content-type": "application/json" },
    });
    expect(ok.status).toBe(201);
  });

  test("unknown routes are 404 in the dialect; HEAD errors carry no body", async () => {
    const app = appWith(keystoneDialect);
    const r = await get(app, "/nowhere");
    expect(r.status).toBe(404);
    expect(((await r.json()) as any).error.code).toBe(404);
    const h = await get(app, "/missing", { method: "HEAD" });
    expect(h.status).toBe(404);
    expect(await h.text()).toBe("");
  });

  test("a Connection: close request is answered with Connection: close (urllib3 must not reuse the socket)", async () => {
    const app = appWith(keystoneDialect);
    const r = await get(app, "/missing", { headers: { connection: "close" } });
    expect(r.headers.get("connection")).toBe("close");
    const k = await get(app, "/missing");
    expect(k.headers.get("connection")).toBeNull();
  });
});
