/** The guest's metadata documents, the metadata server's answers and the user-network plan (no QEMU needed). */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { answerLocally, buildMetadata, serveMetadata } from "./metadata.ts";
import { netdevArg, slirpPlan } from "./net.ts";
import { testSpec } from "./testenv.ts";

const nic = (address: string, cidr: string, gateway: string | null) => ({
  portId: "8f1c0e3a-0000-4000-8000-000000000001",
  networkId: "net-1",
  macAddress: "fa:16:3e:01:02:03",
  mtu: 1450,
  ips: [{ address, version: 4 as const, cidr, gateway, dns: ["9.9.9.9"] }],
  floatingIps: [],
});

describe("user network plan", () => {
  test("the guest's subnet, gateway and fixed IP; metadata at the last usable address, DNS below it", () => {
    expect(slirpPlan(nic("10.0.0.5", "10.0.0.0/24", "10.0.0.1"))).toEqual({
      net: "10.0.0.0/24", host: "10.0.0.1", dhcpStart: "10.0.0.5", metadata: "10.0.0.254", dns: "10.0.0.253",
    });
  });
  test("the metadata address never takes the guest's own address or the gateway", () => {
    const p = slirpPlan(nic("192.168.7.254", "192.168.7.0/24", "192.168.7.253"))!;
    expect(p.metadata).toBe("192.168.7.252");
    expect(p.dns).toBe("192.168.7.251");
    const q = slirpPlan(nic("172.24.4.10", "172.24.4.0/28", null))!;
    expect(q.host).toBe("172.24.4.1");
    expect(q.metadata).toBe("172.24.4.14");
  });
  test("netdev options: forwards on 127.0.0.1, the metadata forward, commas escaped", () => {
    const a = netdevArg("n0", nic("10.0.0.5", "10.0.0.0/24", "10.0.0.1"), [{ proto: "tcp", hostPort: 20022, guestPort: 22 }], "vm", "relay /a,b/md.sock");
    expect(a).toContain("net=10.0.0.0/24,host=10.0.0.1,dhcpstart=10.0.0.5,dns=10.0.0.253");
    expect(a).toContain("guestfwd=tcp:10.0.0.254:80-cmd:relay /a,,b/md.sock");
    expect(a).toContain("hostfwd=tcp:127.0.0.1:20022-:22");
    expect(a).not.toContain("restrict=on");
    expect(netdevArg("n0", nic("10.0.0.5", "10.0.0.0/24", null), [], "vm", null, true)).toContain("restrict=on");
  });
});

describe("metadata documents", () => {
  const spec = testSpec({
    hostname: "web-1",
    keyName: "mykey",
    keyData: "ssh-ed25519 AAAA test\n",
    userData: Buffer.from("#!/bin/sh\necho hi\n").toString("base64"),
    metadata: { role: "web" },
    nics: [nic("10.0.0.5", "10.0.0.0/24", "10.0.0.1")],
  });
  const docs = buildMetadata(spec, (n) => slirpPlan(n)?.dns ?? null);

  test("meta_data.json in Nova's shape", () => {
    const m = JSON.parse(docs.files["openstack/latest/meta_data.json"] as string);
    expect(m).toMatchObject({ uuid: spec.uuid, hostname: "web-1", name: spec.name, launch_index: 0, availability_zone: "nova", project_id: spec.projectId, meta: { role: "web" } });
    expect(m.public_keys).toEqual({ mykey: "ssh-ed25519 AAAA test\n" });
    expect(m.keys).toEqual([{ name: "mykey", type: "ssh", data: "ssh-ed25519 AAAA test\n" }]);
    expect(Buffer.from(m.random_seed, "base64").length).toBe(512);
  });
  test("network_data.json: link with MAC and MTU, static IPv4 with route and the user network's DNS first", () => {
    const n = JSON.parse(docs.files["openstack/latest/network_data.json"] as string);
    expect(n.links[0]).toMatchObject({ ethernet_mac_address: "fa:16:3e:01:02:03", mtu: 1450, vif_id: spec.nics[0]!.portId });
    expect(n.networks[0]).toMatchObject({ type: "ipv4", ip_address: "10.0.0.5", netmask: "255.255.255.0", link: n.links[0].id, network_id: "net-1" });
    expect(n.networks[0].routes).toEqual([{ network: "0.0.0.0", netmask: "0.0.0.0", gateway: "10.0.0.1" }]);
    expect(n.services.map((s: { address: string }) => s.address)).toEqual(["10.0.0.253", "9.9.9.9"]);
  });
  test("user data decoded; EC2 documents", () => {
    expect(new TextDecoder().decode(docs.files["openstack/latest/user_data"] as Uint8Array)).toBe("#!/bin/sh\necho hi\n");
    const e = JSON.parse(docs.files["ec2/latest/meta-data.json"] as string);
    expect(e["local-ipv4"]).toBe("10.0.0.5");
    expect(e["instance-id"]).toMatch(/^i-[0-9a-f]{8}$/);
    expect(e["public-keys"]["0"]["openssh-key"]).toBe("ssh-ed25519 AAAA test\n");
    expect(buildMetadata(testSpec(), () => null).files["openstack/latest/user_data"]).toBeUndefined();
  });

  test("the server's answers: versions, documents, 404s, the EC2 tree", async () => {
    expect(await answerLocally(docs, "/openstack").text()).toContain("latest");
    expect(await answerLocally(docs, "/openstack/latest").text()).toContain("user_data");
    const md = answerLocally(docs, "/openstack/2018-08-27/meta_data.json");
    expect(md.headers.get("content-type")).toBe("application/json");
    expect(((await md.json()) as { uuid: string }).uuid).toBe(spec.uuid);
    expect(answerLocally(docs, "/openstack/1999-01-01/meta_data.json").status).toBe(404);
    expect(answerLocally(docs, "/openstack/latest/nope.json").status).toBe(404);
    expect(await answerLocally(docs, "/latest/meta-data/hostname").text()).toBe("web-1");
    expect(await answerLocally(docs, "/2009-04-04/meta-data/placement/").text()).toBe("availability-zone");
    expect((await answerLocally(docs, "/latest/meta-data/").text()).split("\n")).toContain("public-keys/");
    expect(await answerLocally(docs, "/latest/user-data").text()).toBe("#!/bin/sh\necho hi\n");
    expect(answerLocally(buildMetadata(testSpec(), () => null), "/openstack/latest/user_data").status).toBe(404);
  });

  test("over the unix socket, and proxied upstream with the instance's identity", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tenrec-md-"));
    let seen: Headers | null = null;
    const upstream = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: (r) => ((seen = r.headers), new Response("from upstream")) });
    const local = serveMetadata({ socketPath: join(dir, "a.sock"), spec: () => spec, docs: () => docs });
    const proxied = serveMetadata({ socketPath: join(dir, "b.sock"), spec: () => spec, docs: () => docs, upstream: `http://127.0.0.1:${upstream.port}`, secret: "s3cret" });
    try {
      const r = await fetch("http://md/openstack/latest/meta_data.json", { unix: join(dir, "a.sock") } as RequestInit);
      expect(((await r.json()) as { hostname: string }).hostname).toBe("web-1");
      const p = await fetch("http://md/openstack/latest/meta_data.json", { unix: join(dir, "b.sock") } as RequestInit);
      expect(await p.text()).toBe("from upstream");
      expect(seen!.get("x-instance-id")).toBe(spec.uuid);
      expect(seen!.get("x-tenant-id")).toBe(spec.projectId);
      expect(seen!.get("x-forwarded-for")).toBe("10.0.0.5");
      const { createHmac } = await import("node:crypto");
      expect(seen!.get("x-instance-id-signature")).toBe(createHmac("sha256", "s3cret").update(spec.uuid).digest("hex"));
      expect((await fetch("http://md/x", { method: "POST", unix: join(dir, "a.sock") } as RequestInit)).status).toBe(405);
    } finally {
      local.stop();
      proxied.stop();
      upstream.stop(true);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
