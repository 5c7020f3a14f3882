import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash, createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import { resTest, type ResTest } from "../testing.ts";

let r: ResTest;
beforeAll(async () => {
  r = await resTest();
});
afterAll(() => r.close());

const json = async (res: Response) => (await res.json()) as any;

// Tempest's test key (test_keypair_create_with_pub_key).
const PUB =
  "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCsNe3/1ILNCqFyfYWDeTKLD6jEXC2OQHLmietMWW+/vdaZq7KZEwO0jhglaFjU1mpqq4Gz5RX156sCTNM9vRbwKAxfsdF9laBYVsex3m3Wmui3uYrKyumsoJn2g9GNnG1PI1mrVjZ61i0GY3khna+wzlTpCCmy5HNlrmbj3XLqBUpipTOXmsnr4sChzC53KCd8LXuwc1i/CZPvF+3XipvAgFSE53pCtLOeB1kYMOBaiUPLQTWXR3JpckqFIQwhIH0zoHlJvZE8hh90XcPojYN56tI0OlrGqojbediJYD0rUsJu4weZpbn8vilb3JuDY+jwssnSA8wzBx3A/8y9Pp1B nova@ubuntu";
const md5 = (blobB64: string) => createHash("md5").update(Buffer.from(blobB64, "base64")).digest("hex").match(/../g)!.join(":");

describe("key pairs", () => {
  test("import: MD5 fingerprint of the blob, no private key; 2.1 → 200 without type", async () => {
    const res = await r.req("POST", "/os-keypairs", { json: { keypair: { name: "imp", public_key: PUB } } });
    expect(res.status).toBe(200);
    const k = (await json(res)).keypair;
    expect(Object.keys(k).sort()).toEqual(["fingerprint", "name", "public_key", "user_id"]);
    expect(k.fingerprint).toBe(md5(PUB.split(" ")[1]!));
    expect(r.res.keypairs.get(k.user_id, "imp")?.fingerprint).toBe(k.fingerprint);
  });

  test("generate: a working RSA pair (private key PEM matches the public one); 2.2 → 201 with type", async () => {
    const res = await r.req("POST", "/os-keypairs", { mv: "2.2", json: { keypair: { name: "gen" } } });
    expect(res.status).toBe(201);
    const k = (await json(res)).keypair;
    expect(k.type).toBe("ssh");
    expect(k.private_key).toStartWith("-----BEGIN RSA PRIVATE KEY-----");
    expect(k.public_key).toStartWith("ssh-rsa ");
    const priv = createPrivateKey(k.private_key);
    const n = (createPublicKey(priv).export({ format: "jwk" }) as any).n;
    // the ssh blob's modulus is the private key's
    const blob = Buffer.from(k.public_key.split(" ")[1], "base64");
    expect(blob.toString("latin1")).toContain(Buffer.from(n, "base64url").toString("latin1"));
    expect(k.fingerprint).toBe(md5(k.public_key.split(" ")[1]));
  });

  test("x509 (2.2): generated certificate, SHA-1 fingerprint", async () => {
    const res = await r.req("POST", "/os-keypairs", { mv: "2.2", json: { keypair: { name: "cert", type: "x509" } } });
    expect(res.status).toBe(201);
    const k = (await json(res)).keypair;
    expect(k.type).toBe("x509");
    const cert = new X509Certificate(k.public_key);
    expect(k.fingerprint).toBe(cert.fingerprint.toLowerCase());
    expect(cert.checkPrivateKey(createPrivateKey(k.private_key))).toBe(true);
    const imp = await r.req("POST", "/os-keypairs", { mv: "2.2", json: { keypair: { name: "cert2", type: "x509", public_key: k.public_key } } });
    expect(imp.status).toBe(201);
    expect((await json(imp)).keypair.fingerprint).toBe(k.fingerprint);
    expect((await r.req("POST", "/os-keypairs", { mv: "2.2", json: { keypair: { name: "cert3", type: "x509", public_key: PUB } } })).status).toBe(400);
  });

  test("bad input → 400 (invalid key, blank key, oversized, bad names, type before 2.2); duplicate → 409", async () => {
    for (const kp of [
      { name: "bad1", public_key: "ssh-rsa JUNK nova@ubuntu" },
      { name: "bad2", public_key: " " },
      { name: "bad3", public_key: `ssh-rsa ${"A".repeat(2048)} openstack@ubuntu` },
      { name: "" },
      { name: "keypair-".padEnd(260, "0") },
      { name: "key_/.\\@:" },
      { name: "t", type: "ssh" },
    ]) {
      const res = await r.req("POST", "/os-keypairs", { json: { keypair: kp } });
      expect(res.status).toBe(400);
      expect((await json(res)).badRequest).toBeDefined();
    }
    expect((await r.req("POST", "/os-keypairs", { json: { keypair: { name: "imp", public_key: PUB } } })).status).toBe(409);
    // 2.92: public_key required, wider names
    expect((await r.req("POST", "/os-keypairs", { mv: "2.92", json: { keypair: { name: "x" } } })).status).toBe(400);
    expect((await r.req("POST", "/os-keypairs", { mv: "2.92", json: { keypair: { name: "a@b.c:d", public_key: PUB } } })).status).toBe(201);
  });

  test("list (2.1 shape and 2.2 type), show (full record), delete 202/204, 404s", async () => {
    const list = (await json(await r.req("GET", "/os-keypairs"))).keypairs;
    const imp = list.find((x: any) => x.keypair.name === "imp").keypair;
    expect(Object.keys(imp).sort()).toEqual(["fingerprint", "name", "public_key"]);
    const list22 = (await json(await r.req("GET", "/os-keypairs", { mv: "2.2" }))).keypairs;
    expect(list22.find((x: any) => x.keypair.name === "cert").keypair.type).toBe("x509");
    const show = (await json(await r.req("GET", "/os-keypairs/imp"))).keypair;
    expect(show).toMatchObject({ name: "imp", deleted: false, updated_at: null, deleted_at: null });
    expect(typeof show.id).toBe("number");
    expect(show.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    expect((await r.req("GET", "/os-keypairs/nope")).status).toBe(404);
    expect((await r.req("DELETE", "/os-keypairs/imp")).status).toBe(202);
    expect((await r.req("DELETE", "/os-keypairs/imp")).status).toBe(404);
    expect((await r.req("DELETE", "/os-keypairs/gen", { mv: "2.2" })).status).toBe(204);
  });

  test("scoped to the user: demo does not see admin's; admin manages demo's with user_id (2.10); member may not", async () => {
    const demoUser = r.t.cloud.identity.client.userByName("demo")!.id;
    expect((await json(await r.req("GET", "/os-keypairs", { token: r.demo }))).keypairs).toEqual([]);
    expect((await r.req("GET", "/os-keypairs/cert", { token: r.demo })).status).toBe(404);
    const made = await r.req("POST", "/os-keypairs", { mv: "2.10", json: { keypair: { name: "forDemo", user_id: demoUser, public_key: PUB } } });
    expect(made.status).toBe(201);
    expect((await json(made)).keypair.user_id).toBe(demoUser);
    const demoList = (await json(await r.req("GET", "/os-keypairs", { token: r.demo }))).keypairs.map((x: any) => x.keypair.name);
    expect(demoList).toEqual(["forDemo"]);
    const adminView = (await json(await r.req("GET", `/os-keypairs?user_id=${demoUser}`, { mv: "2.10" }))).keypairs.map((x: any) => x.keypair.name);
    expect(adminView).toEqual(["forDemo"]);
    expect((await json(await r.req("GET", `/os-keypairs/forDemo?user_id=${demoUser}`, { mv: "2.10" }))).keypair.user_id).toBe(demoUser);
    const adminUser = r.t.cloud.identity.client.userByName("admin")!.id;
    expect((await r.req("GET", `/os-keypairs?user_id=${adminUser}`, { mv: "2.10", token: r.demo })).status).toBe(403);
    expect((await r.req("DELETE", `/os-keypairs/forDemo?user_id=${demoUser}`, { mv: "2.10" })).status).toBe(204);
  });

  test("paging (2.35): limit and marker by name, with a next link", async () => {
    for (const n of ["p1", "p2", "p3"]) await r.req("POST", "/os-keypairs", { token: r.demo, json: { keypair: { name: n, public_key: PUB } } });
    const page = await json(await r.req("GET", "/os-keypairs?limit=2", { token: r.demo, mv: "2.35" }));
    expect(page.keypairs.map((x: any) => x.keypair.name)).toEqual(["p1", "p2"]);
    expect(page.keypairs_links[0].href).toContain("marker=p2");
    const rest = await json(await r.req("GET", "/os-keypairs?marker=p2", { token: r.demo, mv: "2.35" }));
    expect(rest.keypairs.map((x: any) => x.keypair.name)).toEqual(["p3"]);
    expect((await r.req("GET", "/os-keypairs?marker=zz", { token: r.demo, mv: "2.35" })).status).toBe(400);
  });

  test("quota key_pairs: 403 past the limit", async () => {
    const demoProject = r.t.cloud.identity.client.projectByName("demo")!.id;
    await r.req("PUT", `/os-quota-sets/${demoProject}`, { json: { quota_set: { key_pairs: 3, force: true } } });
    const over = await r.req("POST", "/os-keypairs", { token: r.demo, json: { keypair: { name: "p4", public_key: PUB } } });
    expect(over.status).toBe(403);
    expect((await json(over)).forbidden.message).toBe("Quota exceeded, too many key pairs.");
    await r.req("DELETE", `/os-quota-sets/${demoProject}`);
    expect((await r.req("POST", "/os-keypairs", { token: r.demo, json: { keypair: { name: "p4", public_key: PUB } } })).status).toBe(200);
  });
});
