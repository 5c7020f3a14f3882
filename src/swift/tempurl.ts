/**
 * TempURL (Swift's tempurl middleware): `temp_url_sig` + `temp_url_expires`
 * (+ optional `temp_url_prefix`) signed with an account or container key:
 * HMAC over `METHOD\nEXPIRES\nPATH` (`prefix:/v1/a/c/pre` for prefix URLs).
 * The digest is told by the signature: 40/64/128 hex digits for SHA1/256/512,
 * or `sha1:|sha256:|sha512:` followed by base64(url).
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { ApiError } from "../core/errors.ts";

export const TEMPURL_METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE"] as const;
export const TEMPURL_DIGESTS = ["sha1", "sha256", "sha512"] as const;
type Digest = (typeof TEMPURL_DIGESTS)[number];
const HEX_LEN: Record<number, Digest> = { 40: "sha1", 64: "sha256", 128: "sha512" };

export const tempUrlInvalid = () => new ApiError(401, "Temp URL invalid", "TempUrlInvalid");

export interface TempUrlParams {
  sig: string;
  expires: number;
  prefix?: string;
  filename?: string;
  inline: boolean;
}

/** The TempURL parameters of a query, undefined when it has none (then normal auth applies). */
export function tempUrlParams(q: URLSearchParams, nowMs: number): TempUrlParams | undefined {
  const sig = q.get("temp_url_sig");
  const exp = q.get("temp_url_expires");
  if (sig === null && exp === null) return undefined;
  let expires = 0;
  if (exp !== null) {
    if (/^\d+$/.test(exp)) expires = Number(exp);
    else {
      const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})Z$/.exec(exp);
      if (m) expires = Math.floor(Date.parse(`${m[1]}Z`) / 1000) || 0;
    }
  }
  if (expires * 1000 < nowMs) expires = 0;
  if (!sig || !expires) throw tempUrlInvalid();
  return {
    sig,
    expires,
    prefix: q.has("temp_url_prefix") ? (q.get("temp_url_prefix") ?? "") : undefined,
    filename: q.get("filename") ?? undefined,
    inline: q.has("inline"),
  };
}

function splitSig(sig: string): { digest: Digest; mac: Buffer } {
  const i = sig.indexOf(":");
  if (i > 0) {
    const d = sig.slice(0, i) as Digest;
    if (!TEMPURL_DIGESTS.includes(d)) throw tempUrlInvalid();
    const b64 = sig.slice(i + 1).replaceAll("-", "+").replaceAll("_", "/");
    return { digest: d, mac: Buffer.from(b64, "base64") };
  }
  const d = HEX_LEN[sig.length];
  if (!d || !/^[0-9a-fA-F]+$/.test(sig)) throw tempUrlInvalid();
  return { digest: d, mac: Buffer.from(sig, "hex") };
}

export function tempUrlHmac(method: string, path: string, expires: number, key: string, digest: Digest): Buffer {
  return createHmac(digest, key).update(`${method}\n${expires}\n${path}`).digest();
}

export type KeyScope = "account" | "container";

/**
 * Check a TempURL. `keys` are the account's and the container's Temp-URL keys.
 * Returns the scope of the key that signed it; throws 401 otherwise.
 * A HEAD is also allowed by a signature made for GET, PUT or POST, as in Swift.
 */
export function verifyTempUrl(
  p: TempUrlParams,
  req: { method: string; account: string; container: string; object: string },
  keys: { key: string; scope: KeyScope }[],
): KeyScope {
  if (!(TEMPURL_METHODS as readonly string[]).includes(req.method)) throw tempUrlInvalid();
  if (!req.object) throw tempUrlInvalid();
  if (!keys.length) throw tempUrlInvalid();
  const { digest, mac } = splitSig(p.sig);
  let path: string;
  if (p.prefix === undefined) path = `/v1/${req.account}/${req.container}/${req.object}`;
  else {
    if (!req.object.startsWith(p.prefix)) throw tempUrlInvalid();
    path = `prefix:/v1/${req.account}/${req.container}/${p.prefix}`;
  }
  const methods = req.method === "HEAD" ? ["HEAD", "GET", "POST", "PUT"] : [req.method];
  for (const m of methods)
    for (const k of keys) {
      const want = tempUrlHmac(m, path, p.expires, k.key, digest);
      if (want.length === mac.length && timingSafeEqual(want, mac)) return k.scope;
    }
  throw tempUrlInvalid();
}

/** `attachment; filename="x"; filename*=UTF-8''x` as tempurl sets it on downloads. */
export function dispositionFormat(type: string, filename: string): string {
  const quoteSafe = (s: string) => encodeURIComponent(s).replace(/%20/g, " ").replace(/%2F/gi, "/");
  return `${type}; filename="${quoteSafe(filename)}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}
