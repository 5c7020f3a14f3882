/**
 * Key material for key pairs, as Nova handles it: OpenSSH public keys are
 * parsed and checked (the blob must decode into a key of the announced type),
 * fingerprinted with MD5 over the blob ("aa:bb:…"); x509 certificates with
 * SHA-1 over the DER. Generated pairs are RSA 2048 (the private key as a
 * PKCS#1 PEM, "BEGIN RSA PRIVATE KEY", the public one "ssh-rsa … Generated-by-Nova"),
 * or for type x509 a self-signed certificate.
 */
import { createHash, createPublicKey, generateKeyPair, sign, X509Certificate, type KeyObject } from "node:crypto";
import { badRequest } from "../../../core/errors.ts";

const colons = (hex: string) => hex.match(/../g)!.join(":");

class Reader {
  private off = 0;
  constructor(private buf: Buffer) {}
  bytes(): Buffer {
    if (this.off + 4 > this.buf.length) throw new Error("truncated");
    const n = this.buf.readUInt32BE(this.off);
    this.off += 4;
    if (n > this.buf.length - this.off) throw new Error("truncated");
    const out = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return out;
  }
  done(): boolean {
    return this.off === this.buf.length;
  }
}

const b64u = (b: Buffer) => {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++; // mpints carry a sign byte
  return b.subarray(i).toString("base64url");
};

const CURVES: Record<string, { crv: string; len: number }> = {
  nistp256: { crv: "P-256", len: 32 },
  nistp384: { crv: "P-384", len: 48 },
  nistp521: { crv: "P-521", len: 66 },
};

/** Check an OpenSSH public key line ("ssh-rsa AAAA… comment"); returns its MD5 fingerprint. 400 when invalid. */
export function sshFingerprint(text: string): string {
  const invalid = () => badRequest("Keypair data is invalid: failed to generate fingerprint");
  const parts = text.trim().split(/\s+/);
  if (parts.length < 2) throw invalid();
  const [type, data] = parts as [string, string];
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(data)) throw invalid();
  const blob = Buffer.from(data, "base64");
  try {
    const r = new Reader(blob);
    if (r.bytes().toString("latin1") !== type) throw new Error("type mismatch");
    if (type === "ssh-rsa") {
      const e = r.bytes();
      const n = r.bytes();
      if (!r.done()) throw new Error("trailing data");
      const key = createPublicKey({ key: { kty: "RSA", n: b64u(n), e: b64u(e) }, format: "jwk" });
      const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
      if (bits < 1024 || bits > 16384) throw new Error("bad modulus");
    } else if (type === "ssh-ed25519") {
      const k = r.bytes();
      if (k.length !== 32 || !r.done()) throw new Error("bad ed25519 key");
      createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: k.toString("base64url") }, format: "jwk" });
    } else if (type.startsWith("ecdsa-sha2-")) {
      const curve = r.bytes().toString("latin1");
      const c = CURVES[curve];
      const q = r.bytes();
      if (!c || `ecdsa-sha2-${curve}` !== type || !r.done()) throw new Error("bad ecdsa key");
      if (q.length !== 1 + 2 * c.len || q[0] !== 4) throw new Error("bad point");
      createPublicKey({
        key: {
          kty: "EC",
          crv: c.crv,
          x: q.subarray(1, 1 + c.len).toString("base64url"),
          y: q.subarray(1 + c.len).toString("base64url"),
        },
        format: "jwk",
      });
    } else if (type === "ssh-dss") {
      for (let i = 0; i < 4; i++) if (!r.bytes().length) throw new Error("bad dsa key");
      if (!r.done()) throw new Error("trailing data");
    } else {
      throw new Error("unknown type");
    }
  } catch {
    throw invalid();
  }
  return colons(createHash("md5").update(blob).digest("hex"));
}

/** Check a PEM certificate; returns its SHA-1 fingerprint. 400 when invalid. */
export function x509Fingerprint(pem: string): string {
  try {
    const cert = new X509Certificate(pem);
    return cert.fingerprint.toLowerCase();
  } catch (e) {
    throw badRequest(`Keypair data is invalid: failed to generate X509 fingerprint. Error message: ${(e as Error).message}`);
  }
}

function rsaPair(): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
  return new Promise((resolve, reject) =>
    generateKeyPair("rsa", { modulusLength: 2048, publicExponent: 65537 }, (err, publicKey, privateKey) =>
      err ? reject(err) : resolve({ publicKey, privateKey }),
    ),
  );
}

function sshString(b: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}
function sshMpint(b64url: string): Buffer {
  let b = Buffer.from(b64url, "base64url");
  if (b[0]! & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return sshString(b);
}

export interface GeneratedKey {
  publicKey: string;
  privateKey: string;
  fingerprint: string;
}

/** A new RSA 2048 pair in Nova's formats. */
export async function generateSsh(): Promise<GeneratedKey> {
  const { publicKey, privateKey } = await rsaPair();
  const jwk = publicKey.export({ format: "jwk" }) as { n: string; e: string };
  const blob = Buffer.concat([sshString(Buffer.from("ssh-rsa")), sshMpint(jwk.e), sshMpint(jwk.n)]);
  return {
    publicKey: `ssh-rsa ${blob.toString("base64")} Generated-by-Nova`,
    privateKey: privateKey.export({ type: "pkcs1", format: "pem" }) as string,
    fingerprint: colons(createHash("md5").update(blob).digest("hex")),
  };
}

// --- a minimal DER writer, enough for one self-signed certificate -----------------------

function der(tag: number, body: Buffer): Buffer {
  const n = body.length;
  let len: Buffer;
  if (n < 0x80) len = Buffer.from([n]);
  else if (n < 0x100) len = Buffer.from([0x81, n]);
  else if (n < 0x10000) len = Buffer.from([0x82, n >> 8, n & 0xff]);
  else len = Buffer.from([0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
}
const seq = (...parts: Buffer[]) => der(0x30, Buffer.concat(parts));
const set = (...parts: Buffer[]) => der(0x31, Buffer.concat(parts));
function oid(s: string): Buffer {
  const a = s.split(".").map(Number);
  const out = [40 * a[0]! + a[1]!];
  for (const v of a.slice(2)) {
    const stack = [v & 0x7f];
    for (let x = v >> 7; x > 0; x >>= 7) stack.unshift((x & 0x7f) | 0x80);
    out.push(...stack);
  }
  return der(0x06, Buffer.from(out));
}
function derInt(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  b = b.subarray(i);
  if (b[0]! & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return der(0x02, b);
}
const utf8 = (s: string) => der(0x0c, Buffer.from(s, "utf8"));
function utcTime(d: Date): Buffer {
  const p = (n: number) => String(n).padStart(2, "0");
  const s = `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  return der(0x17, Buffer.from(s, "latin1"));
}
const rdn = (type: string, value: string) => set(seq(oid(type), utf8(value)));

/** A new RSA key and a self-signed certificate for it (Nova's x509 key pairs). */
export async function generateX509(commonName: string, now: Date): Promise<GeneratedKey> {
  const { publicKey, privateKey } = await rsaPair();
  const sha256WithRsa = seq(oid("1.2.840.113549.1.1.11"), der(0x05, Buffer.alloc(0)));
  const name = seq(rdn("2.5.4.10", "OpenStack"), rdn("2.5.4.11", "NovaDev"), rdn("2.5.4.3", commonName.slice(0, 64)));
  const until = new Date(now.getTime() + 10 * 365 * 86400_000);
  const tbs = seq(
    der(0xa0, derInt(Buffer.from([2]))),
    derInt(crypto.getRandomValues(Buffer.alloc(16))),
    sha256WithRsa,
    name,
    seq(utcTime(now), utcTime(until)),
    name,
    publicKey.export({ type: "spki", format: "der" }),
  );
  const signature = sign("sha256", tbs, privateKey);
  const cert = seq(tbs, sha256WithRsa, der(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const pem = `-----BEGIN CERTIFICATE-----\n${cert.toString("base64").match(/.{1,64}/g)!.join("\n")}\n-----END CERTIFICATE-----\n`;
  return {
    publicKey: pem,
    privateKey: privateKey.export({ type: "pkcs1", format: "pem" }) as string,
    fingerprint: x509Fingerprint(pem),
  };
}
