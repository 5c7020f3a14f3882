/**
 * The guest's metadata, in Nova's formats: the documents of a config drive
 * (openstack/latest/{meta_data.json,user_data,network_data.json,
 * vendor_data.json,vendor_data2.json}, ec2/latest/{meta-data.json,user-data})
 * and a per-guest HTTP server on a unix socket that answers the same paths the
 * metadata service at 169.254.169.254 does. QEMU's user networking cannot
 * forward 169.254.169.254 itself (guest forwards must sit inside the guest's
 * subnet), so the driver forwards an address inside the subnet
 * (metadataAddress) to this server through a small relay process.
 *
 * With `upstream` set (tenrec's metadata service, e.g. http://127.0.0.1:8775)
 * the server proxies there and says which instance is asking the way Neutron's
 * metadata proxy does (X-Instance-ID, X-Tenant-ID, X-Forwarded-For and, with a
 * shared secret, X-Instance-ID-Signature = HMAC-SHA256(secret, instance id)).
 */
import { createHmac, randomBytes } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { InstanceSpec, NicSpec } from "../driver.ts";
import { intToIp, parseCidr } from "./net.ts";

export interface MetadataDocs {
  /** relative path → content */
  files: Record<string, string | Uint8Array>;
  meta: Record<string, unknown>;
  network: Record<string, unknown>;
  ec2: Record<string, unknown>;
  userData?: Uint8Array;
}

export const OPENSTACK_VERSIONS = ["2012-08-10", "2013-04-04", "2013-10-17", "2015-10-15", "2016-06-30", "2016-10-06", "2017-02-22", "2018-08-27", "latest"];
export const EC2_VERSIONS = ["1.0", "2007-01-19", "2007-03-01", "2007-08-29", "2007-10-10", "2007-12-15", "2008-02-01", "2008-09-01", "2009-04-04", "latest"];

function firstV4(spec: InstanceSpec): { nic: NicSpec; ip: NicSpec["ips"][number] } | null {
  for (const nic of spec.nics) for (const ip of nic.ips) if (ip.version === 4) return { nic, ip };
  return null;
}

/** Build the documents; `slirpDns` names the DNS address QEMU serves on a NIC (first in the DNS list). */
export function buildMetadata(spec: InstanceSpec, slirpDns: (nic: NicSpec) => string | null): MetadataDocs {
  const keys = spec.keyName && spec.keyData ? { [spec.keyName]: spec.keyData } : {};
  const meta: Record<string, unknown> = {
    uuid: spec.uuid,
    meta: spec.metadata,
    hostname: spec.hostname,
    name: spec.name,
    launch_index: 0,
    availability_zone: spec.availabilityZone,
    project_id: spec.projectId,
    random_seed: randomBytes(512).toString("base64"),
    devices: [],
    dedicated_cpus: [],
    ...(spec.keyName && spec.keyData
      ? { public_keys: keys, keys: [{ name: spec.keyName, type: "ssh", data: spec.keyData }] }
      : {}),
  };
  const links: Record<string, unknown>[] = [];
  const networks: Record<string, unknown>[] = [];
  const services: Record<string, unknown>[] = [];
  spec.nics.forEach((nic, i) => {
    const link = `tap${nic.portId.slice(0, 11)}`;
    links.push({ id: link, vif_id: nic.portId, type: "ovs", mtu: nic.mtu, ethernet_mac_address: nic.macAddress });
    nic.ips.forEach((ip, j) => {
      const { prefix } = parseCidr(ip.cidr);
      const dns = [slirpDns(nic), ...ip.dns].filter((d): d is string => !!d);
      const net: Record<string, unknown> = {
        id: `network${networks.length}`,
        type: ip.version === 4 ? "ipv4" : "ipv6",
        link,
        ip_address: ip.address,
        netmask: ip.version === 4 ? intToIp(prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0) : `${prefix}`,
        routes:
          ip.gateway && i === 0 && j === 0
            ? [{ network: ip.version === 4 ? "0.0.0.0" : "::", netmask: ip.version === 4 ? "0.0.0.0" : "::", gateway: ip.gateway }]
            : [],
        network_id: nic.networkId,
        services: dns.map((address) => ({ type: "dns", address })),
      };
      networks.push(net);
      for (const d of dns) if (!services.some((s) => s.address === d)) services.push({ type: "dns", address: d });
    });
  });
  const network = { links, networks, services };
  const v4 = firstV4(spec);
  const ec2: Record<string, unknown> = {
    "ami-id": spec.image ? `ami-${spec.image.id.replace(/-/g, "").slice(0, 8)}` : "ami-00000000",
    "ami-launch-index": 0,
    "ami-manifest-path": "FIXME",
    "block-device-mapping": { ami: "vda", root: "/dev/vda" },
    hostname: spec.hostname,
    "instance-action": "none",
    "instance-id": `i-${spec.uuid.replace(/-/g, "").slice(0, 8)}`,
    "instance-type": spec.metadata["instance_type"] ?? "",
    "local-hostname": spec.hostname,
    "local-ipv4": v4?.ip.address ?? "",
    placement: { "availability-zone": spec.availabilityZone },
    "public-hostname": spec.hostname,
    "public-ipv4": v4?.nic.floatingIps[0] ?? "",
    "reservation-id": `r-${spec.uuid.replace(/-/g, "").slice(8, 16)}`,
    "security-groups": [],
    ...(spec.keyName && spec.keyData ? { "public-keys": { "0": { "openssh-key": spec.keyData } } } : {}),
  };
  const userData = spec.userData ? new Uint8Array(Buffer.from(spec.userData, "base64")) : undefined;
  const files: Record<string, string | Uint8Array> = {
    "openstack/latest/meta_data.json": JSON.stringify(meta),
    "openstack/latest/network_data.json": JSON.stringify(network),
    "openstack/latest/vendor_data.json": "{}",
    "openstack/latest/vendor_data2.json": "{}",
    "ec2/latest/meta-data.json": JSON.stringify(ec2),
  };
  if (userData) {
    files["openstack/latest/user_data"] = userData;
    files["ec2/latest/user-data"] = userData;
  }
  return { files, meta, network, ec2, userData };
}

/** Write the documents under `dir` (the config drive's tree). */
export function writeMetadataTree(dir: string, docs: MetadataDocs): void {
  rmSync(dir, { recursive: true, force: true });
  for (const [rel, body] of Object.entries(docs.files)) {
    const p = join(dir, rel);
    mkdirSync(join(p, ".."), { recursive: true });
    writeFileSync(p, body);
  }
}

function text(body: string, status = 200, type = "text/plain; charset=UTF-8"): Response {
  return new Response(body, { status, headers: { "content-type": type } });
}

/** A directory listing in the EC2 style: keys of objects end with "/". */
function ec2Lookup(tree: Record<string, unknown>, parts: string[]): Response {
  let node: unknown = tree;
  for (const p of parts) {
    if (node && typeof node === "object" && !Array.isArray(node) && p in (node as Record<string, unknown>)) {
      node = (node as Record<string, unknown>)[p];
    } else return text("Not Found", 404);
  }
  if (node && typeof node === "object" && !Array.isArray(node)) {
    const o = node as Record<string, unknown>;
    return text(
      Object.keys(o)
        .map((k) => (o[k] && typeof o[k] === "object" && !Array.isArray(o[k]) ? `${k}/` : k))
        .join("\n"),
    );
  }
  if (Array.isArray(node)) return text(node.join("\n"));
  return text(String(node ?? ""));
}

export interface MetadataServerOptions {
  socketPath: string;
  spec: () => InstanceSpec;
  docs: () => MetadataDocs;
  upstream?: string;
  secret?: string;
}

/** Answer one metadata request from the documents (the same answers as Nova's metadata API). */
export function answerLocally(docs: MetadataDocs, path: string): Response {
  const parts = path.split("/").filter(Boolean);
  if (parts.length === 0) return text(EC2_VERSIONS.join("\n"));
  if (parts[0] === "openstack") {
    if (parts.length === 1) return text(OPENSTACK_VERSIONS.join("\n"));
    if (!OPENSTACK_VERSIONS.includes(parts[1]!)) return text("Not Found", 404);
    const names = ["meta_data.json", "network_data.json", "vendor_data.json", "vendor_data2.json", ...(docs.userData ? ["user_data"] : [])];
    if (parts.length === 2) return text(names.join("\n"));
    const f = docs.files[`openstack/latest/${parts.slice(2).join("/")}`];
    if (f === undefined) return text("Not Found", 404);
    return new Response(f, {
      headers: { "content-type": parts[2]!.endsWith(".json") ? "application/json" : "text/plain; charset=UTF-8" },
    });
  }
  if (!EC2_VERSIONS.includes(parts[0]!)) return text("Not Found", 404);
  if (parts.length === 1) return text(["meta-data/", ...(docs.userData ? ["user-data"] : [])].join("\n"));
  if (parts[1] === "user-data") return docs.userData ? new Response(docs.userData) : text("Not Found", 404);
  if (parts[1] !== "meta-data") return text("Not Found", 404);
  const tree = { ...docs.ec2 } as Record<string, unknown>;
  // public-keys/0 is listed as "0=name" in EC2
  return ec2Lookup(tree, parts.slice(2));
}

/** The per-guest metadata server on a unix socket. */
export function serveMetadata(o: MetadataServerOptions): { stop: () => void } {
  rmSync(o.socketPath, { force: true });
  const server = Bun.serve({
    unix: o.socketPath,
    async fetch(req) {
      const url = new URL(req.url);
      if (req.method !== "GET" && req.method !== "HEAD") return text("Method Not Allowed", 405);
      if (o.upstream) {
        const spec = o.spec();
        const headers = new Headers({
          "X-Instance-ID": spec.uuid,
          "X-Tenant-ID": spec.projectId,
          "X-Forwarded-For": firstV4(spec)?.ip.address ?? "",
        });
        if (o.secret) headers.set("X-Instance-ID-Signature", createHmac("sha256", o.secret).update(spec.uuid).digest("hex"));
        try {
          const r = await fetch(o.upstream.replace(/\/$/, "") + url.pathname + url.search, { headers });
          return new Response(r.body, { status: r.status, headers: { "content-type": r.headers.get("content-type") ?? "text/plain" } });
        } catch {
          // the metadata service is down: answer from our own copy
        }
      }
      return answerLocally(o.docs(), url.pathname);
    },
  });
  return { stop: () => server.stop(true) };
}
