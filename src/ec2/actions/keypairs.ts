/** Key pairs over Nova's os-keypairs. */
import type { Action } from "../common.ts";
import { applyFilters, UNKNOWN_FILTER, tagSpecs } from "../common.ts";
import { ec2err } from "../errors.ts";
import { mapOsError, OsError } from "../openstack.ts";

interface Keypair { name: string; fingerprint: string; public_key?: string; private_key?: string; type?: string; id?: number; created_at?: string }

const NAME_RE = /^[\x20-\x7e]{1,255}$/;
function checkName(name: string): void {
  if (!NAME_RE.test(name)) throw ec2err("InvalidParameterValue", `Value (${name}) for parameter KeyName is invalid.`);
}

function dup(e: unknown, name: string): never {
  if (e instanceof OsError && e.status === 409) throw ec2err("InvalidKeyPair.Duplicate", `The keypair '${name}' already exists.`);
  mapOsError(e);
}

const keyId = (c: Parameters<Action>[0], name: string) => c.store.idFor("keypair", `${c.os.principal.userId}:${name}`);

export const CreateKeyPair: Action = async (c) => {
  const name = c.p.required("KeyName");
  checkName(name);
  const type = c.p.get("KeyType") ?? "rsa";
  if (type !== "rsa") throw ec2err("InvalidParameterValue", `Unsupported KeyType ${type}: only rsa keys are generated`);
  let kp: Keypair;
  try {
    kp = (await c.os.call<{ keypair: Keypair }>("compute", "POST", "/os-keypairs", { keypair: { name, type: "ssh" } })).keypair;
  } catch (e) {
    dup(e, name);
  }
  const id = keyId(c, name);
  const tags = tagSpecs(c.p, "key-pair");
  if (tags.length) c.store.setTags(c.os.projectId, [id], tags);
  return { keyName: kp.name, keyFingerprint: kp.fingerprint, keyMaterial: kp.private_key, keyPairId: id };
};

export const ImportKeyPair: Action = async (c) => {
  const name = c.p.required("KeyName");
  checkName(name);
  const material = c.p.required("PublicKeyMaterial");
  let pub = material;
  // PublicKeyMaterial is base64 of the key text (the CLI's fileb:// sends it so).
  if (!/^(ssh-|ecdsa-)/.test(material)) {
    const decoded = Buffer.from(material, "base64").toString("utf8");
    if (/^(ssh-|ecdsa-)/.test(decoded)) pub = decoded;
  }
  pub = pub.trim();
  if (!/^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-nistp\d+) [A-Za-z0-9+/=]+/.test(pub)) {
    throw ec2err("InvalidKey.Format", "Key is not in valid OpenSSH public key format");
  }
  let kp: Keypair;
  try {
    kp = (await c.os.call<{ keypair: Keypair }>("compute", "POST", "/os-keypairs", { keypair: { name, public_key: pub, type: "ssh" } })).keypair;
  } catch (e) {
    if (e instanceof OsError && e.status === 400) throw ec2err("InvalidKey.Format", e.message);
    dup(e, name);
  }
  const id = keyId(c, name);
  const tags = tagSpecs(c.p, "key-pair");
  if (tags.length) c.store.setTags(c.os.projectId, [id], tags);
  return { keyName: kp.name, keyFingerprint: kp.fingerprint, keyPairId: id };
};

export const DescribeKeyPairs: Action = async (c) => {
  const body = await c.os.call<{ keypairs: { keypair: Keypair }[] }>("compute", "GET", "/os-keypairs");
  const tagMap = c.store.tagMap(c.os.projectId);
  let items = body.keypairs.map(({ keypair: k }) => {
    const id = keyId(c, k.name);
    return { k, id, tags: tagMap.get(id) ?? [] };
  });
  const names = c.p.list("KeyName");
  const ids = c.p.list("KeyPairId");
  for (const n of names) if (!items.some((i) => i.k.name === n)) throw ec2err("InvalidKeyPair.NotFound", `The key pair '${n}' does not exist`);
  for (const n of ids) if (!items.some((i) => i.id === n)) throw ec2err("InvalidKeyPair.NotFound", `The key pair '${n}' does not exist`);
  if (names.length || ids.length) items = items.filter((i) => names.includes(i.k.name) || ids.includes(i.id));
  items = applyFilters(items, c.p.filters(), (i, n) => {
    if (n === "key-name") return i.k.name;
    if (n === "fingerprint") return i.k.fingerprint;
    if (n === "key-pair-id") return i.id;
    if (n.startsWith("tag")) return n.startsWith("tag:") ? i.tags.filter((t) => t.key === n.slice(4)).map((t) => t.value) : n === "tag-key" ? i.tags.map((t) => t.key) : UNKNOWN_FILTER;
    return UNKNOWN_FILTER;
  });
  return {
    keySet: items.map((i) => ({
      keyPairId: i.id,
      keyName: i.k.name,
      keyFingerprint: i.k.fingerprint,
      keyType: i.k.public_key?.startsWith("ssh-ed25519") ? "ed25519" : "rsa",
      tagSet: i.tags.length ? i.tags : undefined,
      publicKey: c.p.bool("IncludePublicKey") ? i.k.public_key : undefined,
      createTime: i.k.created_at ? new Date(i.k.created_at.endsWith("Z") ? i.k.created_at : `${i.k.created_at}Z`).toISOString() : undefined,
    })),
  };
};

export const DeleteKeyPair: Action = async (c) => {
  let name = c.p.get("KeyName");
  const id = c.p.get("KeyPairId");
  if (!name && !id) throw ec2err("MissingParameter", "The request must contain the parameter KeyName or KeyPairId");
  if (!name) {
    const body = await c.os.call<{ keypairs: { keypair: Keypair }[] }>("compute", "GET", "/os-keypairs");
    name = body.keypairs.map((k) => k.keypair.name).find((n) => keyId(c, n) === id);
    if (!name) return { return: true };
  }
  try {
    await c.os.call("compute", "DELETE", `/os-keypairs/${encodeURIComponent(name)}`);
  } catch (e) {
    // EC2 answers true for a key pair that is already gone.
    if (!(e instanceof OsError && e.status === 404)) mapOsError(e);
  }
  c.store.dropResource(c.os.projectId, keyId(c, name));
  return { return: true };
};
