import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { testCloud, type TestCloud } from "../../../test/harness.ts";

let t: TestCloud;
let admin: string;
let demo: string;
let domainId: string;
beforeAll(async () => {
  t = await testCloud();
  admin = await t.token();
  demo = await t.token("demo", "secret", "demo");
  const r = await t.req("POST", "/v3/domains", { token: admin, json: { domain: { name: "cfgdom" } } });
  domainId = ((await r.json()) as any).domain.id;
});
afterAll(() => t.close());

const j = async (r: Response) => (await r.json()) as any;
const cfg = { identity: { driver: "ldap" }, ldap: { url: "ldap://x:389/", user_tree_dn: "ou=Users,dc=x", password: "pw" } };

describe("domain configuration", () => {
  test("defaults: all whitelisted groups, a group, an option", async () => {
    const all = (await j(await t.req("GET", "/v3/domains/config/default", { token: admin }))).config;
    expect(all.identity).toEqual({ driver: "sql", list_limit: null });
    expect(all.ldap.url).toBe("ldap://localhost");
    expect(all.ldap.password).toBeUndefined();
    const g = await j(await t.req("GET", "/v3/domains/config/ldap/default", { token: admin }));
    expect(Object.keys(g.config)).toEqual(["ldap"]);
    const o = await j(await t.req("GET", "/v3/domains/config/identity/driver/default", { token: admin }));
    expect(o.config).toEqual({ driver: "sql" });
    expect((await t.req("GET", "/v3/domains/config/ldap/password/default", { token: admin })).status).toBe(403);
    expect((await t.req("GET", "/v3/domains/config/assignment/default", { token: admin })).status).toBe(403);
    expect((await t.req("GET", "/v3/domains/config/default", { token: demo })).status).toBe(403);
  });

  test("create (201, then 200 on replace), sensitive options hidden, show group/option", async () => {
    const r = await t.req("PUT", `/v3/domains/${domainId}/config`, { token: admin, json: { config: cfg } });
    expect(r.status).toBe(201);
    expect((await j(r)).config).toEqual({ identity: { driver: "ldap" }, ldap: { url: "ldap://x:389/", user_tree_dn: "ou=Users,dc=x" } });
    const again = await t.req("PUT", `/v3/domains/${domainId}/config`, { token: admin, json: { config: cfg } });
    expect(again.status).toBe(200);
    const g = await j(await t.req("GET", `/v3/domains/${domainId}/config/ldap`, { token: admin }));
    expect(g.config).toEqual({ ldap: { url: "ldap://x:389/", user_tree_dn: "ou=Users,dc=x" } });
    const o = await j(await t.req("GET", `/v3/domains/${domainId}/config/ldap/url`, { token: admin }));
    expect(o.config).toEqual({ url: "ldap://x:389/" });
    expect((await t.req("GET", `/v3/domains/${domainId}/config/ldap/password`, { token: admin })).status).toBe(404);
    expect((await t.req("GET", `/v3/domains/${domainId}/config`, { token: demo })).status).toBe(403);
  });

  test("invalid groups and options are 403, empty config too; unknown domain 404", async () => {
    const bad = [{ assignment: { driver: "x" } }, { ldap: { nope: 1 } }, {}, { ldap: {} }];
    for (const config of bad)
      expect((await t.req("PUT", `/v3/domains/${domainId}/config`, { token: admin, json: { config } })).status).toBe(403);
    expect((await t.req("PUT", `/v3/domains/${domainId}/config`, { token: admin, json: { nope: 1 } })).status).toBe(400);
    expect((await t.req("PUT", "/v3/domains/missing/config", { token: admin, json: { config: cfg } })).status).toBe(404);
    expect((await t.req("PUT", `/v3/domains/${domainId}/config`, { token: demo, json: { config: cfg } })).status).toBe(403);
  });

  test("update whole, group and option; delete option, group, all", async () => {
    await t.req("PUT", `/v3/domains/${domainId}/config`, { token: admin, json: { config: cfg } });
    let r = await t.req("PATCH", `/v3/domains/${domainId}/config`, {
      token: admin,
      json: { config: { ldap: { url: "ldap://y/" } } },
    });
    expect(r.status).toBe(200);
    expect((await j(r)).config.ldap.url).toBe("ldap://y/");
    r = await t.req("PATCH", `/v3/domains/${domainId}/config/identity`, {
      token: admin,
      json: { config: { identity: { driver: "d2", list_limit: 7 } } },
    });
    expect((await j(r)).config.identity).toEqual({ driver: "d2", list_limit: 7 });
    // group in the URL and body must agree
    r = await t.req("PATCH", `/v3/domains/${domainId}/config/identity`, { token: admin, json: { config: { ldap: { url: "z" } } } });
    expect(r.status).toBe(403);
    r = await t.req("PATCH", `/v3/domains/${domainId}/config/identity/driver`, { token: admin, json: { config: { driver: "d3" } } });
    expect((await j(r)).config.identity.driver).toBe("d3");
    r = await t.req("PATCH", `/v3/domains/${domainId}/config/ldap/user`, { token: admin, json: { config: { user: "u" } } });
    expect(r.status).toBe(404); // not in the current config
    expect((await t.req("DELETE", `/v3/domains/${domainId}/config/identity/driver`, { token: admin })).status).toBe(204);
    expect((await t.req("GET", `/v3/domains/${domainId}/config/identity/driver`, { token: admin })).status).toBe(404);
    expect((await t.req("DELETE", `/v3/domains/${domainId}/config/identity/driver`, { token: admin })).status).toBe(404);
    expect((await t.req("DELETE", `/v3/domains/${domainId}/config/identity`, { token: admin })).status).toBe(204);
    expect((await t.req("GET", `/v3/domains/${domainId}/config/identity`, { token: admin })).status).toBe(404);
    expect((await t.req("DELETE", `/v3/domains/${domainId}/config`, { token: admin })).status).toBe(204);
    expect((await t.req("GET", `/v3/domains/${domainId}/config`, { token: admin })).status).toBe(404);
  });

  test("security_compliance is readable by anyone for the default domain", async () => {
    const r = await t.req("GET", "/v3/domains/default/config/security_compliance", { token: demo });
    expect(r.status).toBe(200);
    expect((await j(r)).config.security_compliance).toHaveProperty("password_regex");
    expect((await t.req("GET", `/v3/domains/${domainId}/config/security_compliance`, { token: demo })).status).toBe(403);
  });
});
