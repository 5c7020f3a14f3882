import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { testCloud, type TestCloud } from "../../test/harness.ts";

let t: TestCloud;
let admin: string;
beforeAll(async () => {
  t = await testCloud();
  admin = await t.token("admin");
});
afterAll(() => t.close());

const ctl = (method: string, path: string, json?: unknown, token = admin) =>
  t.req(method, `/tenrec/v1${path}`, { token, json });

describe("state control API", () => {
  test("needs an admin token", async () => {
    expect((await ctl("GET", "/clock", undefined, "")).status).toBe(401);
    const demo = await t.token("demo", "secret", "demo");
    const r = await ctl("GET", "/clock", undefined, demo);
    expect(r.status).toBe(403);
    expect((await r.json() as any).error.code).toBe(403);
  });

  test("advancing the virtual clock by 2 h expires an issued token", async () => {
    const tok = await t.token("demo", "secret", "demo");
    const check = () => t.req("GET", "/v3/auth/tokens", { token: admin, headers: { "x-subject-token": tok } });
    expect((await check()).status).toBe(200);
    const r = await ctl("POST", "/clock", { advance: "2h" });
    expect(r.status).toBe(200);
    expect((await r.json() as any).clock.offset_seconds).toBe(7200);
    // admin's own token expired too: get a new one to ask.
    admin = await t.token("admin");
    expect((await check()).status).toBe(404);
    expect((await t.req("GET", "/v3/projects", { token: tok })).status).toBe(401);
    expect((await ctl("POST", "/clock", { reset: true })).status).toBe(200);
    expect(t.cloud.clock.offset).toBe(0);
    expect((await ctl("POST", "/clock", { advance: "soon" })).status).toBe(400);
  });

  test("a fault rule fails exactly the next N matching requests, in the service's dialect", async () => {
    const r = await ctl("POST", "/faults", { service: "identity", method: "GET", path: "^/v3/projects$", count: 2, effect: { status: 503, message: "injected" } });
    expect(r.status).toBe(201);
    const rule = (await r.json() as any).fault;
    expect(rule.remaining).toBe(2);
    for (let i = 0; i < 2; i++) {
      const res = await t.req("GET", "/v3/projects", { token: admin });
      expect(res.status).toBe(503);
      expect((await res.json() as any).error.message).toBe("injected");
    }
    expect((await t.req("GET", "/v3/projects", { token: admin })).status).toBe(200);
    expect((await (await ctl("GET", "/faults")).json() as any).faults).toEqual([]);
  });

  test("a sequence rule, stall, and clearing", async () => {
    await ctl("POST", "/faults", { path: "^/v3/domains$", sequence: [{ status: 500 }, { stall_ms: 30 }] });
    expect((await t.req("GET", "/v3/domains", { token: admin })).status).toBe(500);
    const t0 = performance.now();
    expect((await t.req("GET", "/v3/domains", { token: admin })).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(25);
    await ctl("POST", "/faults", { path: "^/v3/regions", count: -1, effect: { status: 500 } });
    expect((await t.req("GET", "/v3/regions", { token: admin })).status).toBe(500);
    expect((await ctl("DELETE", "/faults")).status).toBe(204);
    expect((await t.req("GET", "/v3/regions", { token: admin })).status).toBe(200);
    expect((await ctl("POST", "/faults", { path: "(" , effect: { status: 500 } })).status).toBe(400);
    expect((await ctl("POST", "/faults", { action: "server.build" })).status).toBe(400);
  });

  test("save, reset, load: state goes and comes back; snapshots are listed", async () => {
    const mk = await t.req("POST", "/v3/projects", { token: admin, json: { project: { name: "snap-me" } } });
    expect(mk.status).toBe(201);
    const has = async () => {
      const r = await t.req("GET", "/v3/projects?name=snap-me", { token: admin });
      return (await r.json() as any).projects.length === 1;
    };
    const s = await ctl("POST", "/snapshots", { name: "one" });
    expect(s.status).toBe(201);
    expect((await (await ctl("GET", "/snapshots")).json() as any).snapshots.map((x: { name: string }) => x.name)).toEqual(["one"]);
    const reset = await ctl("POST", "/reset");
    expect(reset.status).toBe(200);
    console.log(`reset ${(await reset.json() as any).reset.ms} ms`);
    // the admin token was state too: a reset cloud knows no tokens
    expect((await t.req("GET", "/v3/projects", { token: admin })).status).toBe(401);
    admin = await t.token("admin");
    expect(await has()).toBe(false);
    const load = await ctl("POST", "/snapshots/one/restore");
    expect(load.status).toBe(200);
    admin = await t.token("admin");
    expect(await has()).toBe(true);
    expect((await ctl("POST", "/snapshots/nope/restore")).status).toBe(404);
    expect((await ctl("POST", "/snapshots", { name: "../x" })).status).toBe(400);
    expect((await ctl("DELETE", "/snapshots/one")).status).toBe(204);
    expect((await ctl("DELETE", "/snapshots/one")).status).toBe(404);
  });

  test("objects come back byte-identical after save, reset and load", async () => {
    const proj = t.cloud.identity.client.projectByName("admin")!.id;
    const path = `/v1/AUTH_${proj}/snapc/obj`;
    const bytes = crypto.getRandomValues(new Uint8Array(200_000));
    expect((await t.req("PUT", `/v1/AUTH_${proj}/snapc`, { token: admin, service: "object-store" })).status).toBe(201);
    const put = await t.cloud.apps["object-store"]!.fetch(
      new Request(`${t.cloud.url("object-store")}${path}`, { method: "PUT", headers: { "x-auth-token": admin }, body: bytes }),
    );
    expect(put.status).toBe(201);
    expect((await ctl("POST", "/snapshots", { name: "objs" })).status).toBe(201);
    expect((await ctl("POST", "/reset")).status).toBe(200);
    admin = await t.token("admin");
    expect((await t.req("GET", path, { token: admin, service: "object-store" })).status).toBe(404);
    expect((await ctl("POST", "/snapshots/objs/restore")).status).toBe(200);
    admin = await t.token("admin");
    const got = await t.req("GET", path, { token: admin, service: "object-store" });
    expect(got.status).toBe(200);
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(bytes);
  });

  test("every service answers /healthz", async () => {
    for (const svc of ["identity", "object-store", "image", "compute"] as const) {
      const r = await t.req("GET", "/healthz", { service: svc });
      expect(r.status).toBe(200);
    }
  });
});

describe("the default image", () => {
  test("a fresh cloud offers DevStack's cirros-named image, and a reset keeps it", async () => {
    const c = await testCloud({ defaultImage: true });
    try {
      const list = async () => {
        const tok = await c.token("demo", "secret", "demo");
        const r = await c.req("GET", "/v2/images?name=cirros-0.6.3-x86_64-disk", { token: tok, service: "image" });
        return ((await r.json()) as any).images as { status: string; visibility: string }[];
      };
      const before = await list();
      expect(before.length).toBe(1);
      expect(before[0]!.status).toBe("active");
      expect(before[0]!.visibility).toBe("public");
      const admin = await c.token("admin");
      expect((await c.req("POST", "/tenrec/v1/reset", { token: admin })).status).toBe(200);
      expect((await list()).length).toBe(1);
    } finally {
      await c.close();
    }
  });
});

describe("fault rules on actions", () => {
  test("a server.build rule turns exactly the next build into ERROR with the injected message", async () => {
    const c = await testCloud({ defaultImage: true });
    try {
      const admin = await c.token("admin");
      const imgs = (await (await c.req("GET", "/v2/images?name=cirros-0.6.3-x86_64-disk", { token: admin, service: "image" })).json()) as any;
      const imageRef = imgs.images[0].id;
      const rule = await c.req("POST", "/tenrec/v1/faults", {
        token: admin,
        json: { action: "server.build", effect: { status: 500, message: "injected: no hypervisor today" } },
      });
      expect(rule.status).toBe(201);
      const boot = async (name: string) => {
        const r = await c.req("POST", "/v2.1/servers", {
          token: admin, service: "compute",
          json: { server: { name, imageRef, flavorRef: "1", networks: "none" } },
          headers: { "openstack-api-version": "compute 2.37" },
        });
        expect(r.status).toBe(202);
        const id = ((await r.json()) as any).server.id;
        for (let i = 0; i < 200; i++) {
          const s = ((await (await c.req("GET", `/v2.1/servers/${id}`, { token: admin, service: "compute" })).json()) as any).server;
          if (s.status === "ACTIVE" || s.status === "ERROR") return s;
          await Bun.sleep(10);
        }
        throw new Error("server never settled");
      };
      const first = await boot("f1");
      expect(first.status).toBe("ERROR");
      expect(first.fault.message).toContain("injected: no hypervisor today");
      const second = await boot("f2");
      expect(second.status).toBe("ACTIVE");
    } finally {
      await c.close();
    }
  });
});

describe("fault rules on volume actions", () => {
  test("a volume.create rule puts the next volume in error; the one after is available", async () => {
    const c = await testCloud();
    try {
      const admin = await c.token("admin");
      const project = c.cloud.identity.client.projectByName("admin")!.id;
      await c.req("POST", "/tenrec/v1/faults", { token: admin, json: { action: "volume.create", effect: { message: "injected: disk on fire" } } });
      const make = async () => {
        const r = await c.req("POST", `/v3/${project}/volumes`, { token: admin, service: "volume", json: { volume: { size: 1 } } });
        expect(r.status).toBe(202);
        const id = ((await r.json()) as any).volume.id;
        for (let i = 0; i < 300; i++) {
          const v = ((await (await c.req("GET", `/v3/${project}/volumes/${id}`, { token: admin, service: "volume" })).json()) as any).volume;
          if (v.status !== "creating") return v.status;
          await Bun.sleep(10);
        }
        return "creating";
      };
      expect(await make()).toBe("error");
      expect(await make()).toBe("available");
    } finally {
      await c.close();
    }
  });
});

describe("the virtual clock and the fake driver's delays", () => {
  test("advancing the clock ends a slow fake build at once", async () => {
    const c = await testCloud({ defaultImage: true, fakeDriverDelayMs: 3_600_000 });
    try {
      const admin = await c.token("admin");
      const imgs = (await (await c.req("GET", "/v2/images?name=cirros-0.6.3-x86_64-disk", { token: admin, service: "image" })).json()) as any;
      const r = await c.req("POST", "/v2.1/servers", {
        token: admin, service: "compute",
        json: { server: { name: "slow", imageRef: imgs.images[0].id, flavorRef: "1", networks: "none" } },
        headers: { "openstack-api-version": "compute 2.37" },
      });
      const id = ((await r.json()) as any).server.id;
      // (an hour of virtual time expires tokens: take a new one for each look)
      const status = async () =>
        ((await (await c.req("GET", `/v2.1/servers/${id}`, { token: await c.token("admin"), service: "compute" })).json()) as any).server.status;
      await Bun.sleep(100);
      expect(await status()).toBe("BUILD");
      const t0 = performance.now();
      let s = "BUILD";
      for (let i = 0; i < 50 && s !== "ACTIVE"; i++) {
        // each driver step waits an hour of the cloud's time: advance it until the build is through
        await c.req("POST", "/tenrec/v1/clock", { token: await c.token("admin"), json: { advance: "1h" } });
        await Bun.sleep(20);
        s = await status();
      }
      expect(s).toBe("ACTIVE");
      expect(performance.now() - t0).toBeLessThan(5000);
    } finally {
      await c.close();
    }
  });
});
