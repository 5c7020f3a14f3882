/**
 * Which bucket and key a request names: path-style (`/bucket/key`) or
 * virtual-hosted (`Host: bucket.localhost:9000`, path `/key`).
 */
export interface Target {
  bucket?: string;
  key?: string;
  virtualHost: boolean;
}

/** Host suffixes under which the first label is a bucket name. */
export function hostSuffixes(publicHost: string): string[] {
  const out = ["localhost", "localhost.localdomain"];
  if (!/^[\d.]+$/.test(publicHost) && !publicHost.startsWith("[") && !out.includes(publicHost)) out.push(publicHost);
  return out;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function resolveTarget(url: URL, hostHeader: string | undefined, suffixes: string[]): Target {
  const host = (hostHeader ?? url.host).toLowerCase().replace(/:\d+$/, "");
  const path = url.pathname;
  for (const sfx of suffixes) {
    if (host.endsWith(`.${sfx}`)) {
      const bucket = host.slice(0, -sfx.length - 1);
      const key = path.length > 1 ? decode(path.slice(1)) : undefined;
      return { bucket, key, virtualHost: true };
    }
  }
  const rest = path.slice(1);
  if (!rest) return { virtualHost: false };
  const slash = rest.indexOf("/");
  if (slash < 0) return { bucket: decode(rest), virtualHost: false };
  const key = rest.slice(slash + 1);
  return { bucket: decode(rest.slice(0, slash)), key: key ? decode(key) : undefined, virtualHost: false };
}
