/**
 * Swift's transaction id: `tx` + 21 hex digits + `-` + 10 hex digits (the
 * request's time in seconds, hex, zero-padded). swiftclient prints it and
 * Tempest checks the form of both `X-Trans-Id` and `X-Openstack-Request-Id`.
 */
export function transId(nowMs = Date.now()): string {
  const rnd = Buffer.from(crypto.getRandomValues(new Uint8Array(11))).toString("hex").slice(0, 21);
  const t = Math.floor(nowMs / 1000).toString(16).padStart(10, "0").slice(-10);
  return `tx${rnd}-${t}`;
}

export const TRANS_ID = /^tx[0-9a-f]{21}-[0-9a-f]{10}$/;
