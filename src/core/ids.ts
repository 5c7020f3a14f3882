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

/**
 * A generated secret handed to users: URL-safe random, never starting with
 * '-' (a CLI's option parser would read `--secret -abc…` as another option).
 */
export function secretToken(bytes = 64): string {
  for (;;) {
    const s = randomToken(bytes);
    if (!s.startsWith("-")) return s;
  }
}
