import type { MiddlewareHandler } from "hono";
import { ApiError } from "./errors.ts";
import type { AppEnv, Ctx } from "./http.ts";

/** A microversion, e.g. [2, 47]. */
export type Microversion = readonly [major: number, minor: number];

export interface MicroversionSpec {
  /** The service type in `OpenStack-API-Version: <type> <x.y>` (compute, volume). */
  serviceType: string;
  /** The pre-standard header some clients still send (Nova: X-OpenStack-Nova-API-Version). */
  legacyHeader?: string;
  min: Microversion;
  max: Microversion;
}

export const formatMv = (v: Microversion) => `${v[0]}.${v[1]}`;
export const cmpMv = (a: Microversion, b: Microversion) => a[0] - b[0] || a[1] - b[1];

/** Parse "2.47" (or "latest" → max); undefined when malformed. */
export function parseMv(s: string, spec: MicroversionSpec): Microversion | undefined {
  const t = s.trim().toLowerCase();
  if (t === "latest") return spec.max;
  const m = /^([1-9]\d*)\.(0|[1-9]\d*)$/.exec(t);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** The version a request asks for, from either header; the minimum when it asks for none. */
export function requestedMv(headers: { get(name: string): string | null | undefined }, spec: MicroversionSpec): Microversion {
  let raw: string | undefined;
  const std = headers.get("openstack-api-version");
  if (std) {
    // "compute 2.47" — possibly among other services' entries, comma-separated.
    for (const part of std.split(",")) {
      const [type, ver] = part.trim().split(/\s+/, 2);
      if (type?.toLowerCase() === spec.serviceType && ver) raw = ver;
    }
  }
  if (raw === undefined && spec.legacyHeader) raw = headers.get(spec.legacyHeader) ?? undefined;
  if (raw === undefined) return spec.min;
  const v = parseMv(raw, spec);
  if (!v) throw new ApiError(400, `API Version String ${raw} is of invalid format. Must be of format MajorNum.MinorNum.`);
  if (cmpMv(v, spec.min) < 0 || cmpMv(v, spec.max) > 0) {
    throw new ApiError(
      406,
      `Version ${formatMv(v)} is not supported by the API. Minimum is ${formatMv(spec.min)} and maximum is ${formatMv(spec.max)}.`,
    );
  }
  return v;
}

/**
 * Negotiates the microversion of every request under it: sets
 * `c.get("microversion")`, echoes it in `OpenStack-API-Version` (and the legacy
 * header), and adds `Vary`. Out of range → 406, malformed → 400, in the app's dialect.
 */
export function microversions(spec: MicroversionSpec): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const v = requestedMv(c.req.raw.headers, spec);
    c.set("microversion", v);
    const echo = () => {
      c.header("OpenStack-API-Version", `${spec.serviceType} ${formatMv(v)}`);
      if (spec.legacyHeader) c.header(spec.legacyHeader, formatMv(v));
      c.header("Vary", spec.legacyHeader ? `OpenStack-API-Version, ${spec.legacyHeader}` : "OpenStack-API-Version");
    };
    try {
      await next();
    } finally {
      echo();
    }
  };
}

/** True when the request's microversion is at least `v` ("2.47"). */
export function mvAtLeast(c: Ctx, v: string): boolean {
  const cur = c.get("microversion");
  if (!cur) return false;
  const [a, b] = v.split(".").map(Number) as [number, number];
  return cmpMv(cur, [a, b]) >= 0;
}
