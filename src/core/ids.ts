/** Keystone-style id: a UUID4 without dashes (32 lowercase hex digits). */
export function hexId(): string {
  return crypto.randomUUID().replaceAll("-", "");
}

export function uuid(): string {
  return crypto.randomUUID();
}

/** Our own request id, minted for every request: `req-<uuid>`. */
export function requestId(): string {
  return `req-${crypto.randomUUID()}`;
}

const REQ_ID = /^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A caller-supplied global request id is kept only when well formed. */
export function isRequestId(v: string | undefined | null): v is string {
  return !!v && REQ_ID.test(v);
}

/** URL-safe random token of `bytes` random bytes. */
export function randomToken(bytes = 32): string {
  const buf = crypto.getRandomValues(new Uint8Array(bytes));
  return Buffer.from(buf).toString("base64url");
}
