/** Version discovery at / and /v2.1/, exactly Nova's documents. */
import type { Context } from "hono";
import { formatMv, type MicroversionSpec } from "../../core/microversion.ts";
import { origin } from "./common.ts";

/** The highest microversion whose changes tenrec implements. */
export const MAX_MICROVERSION = [2, 79] as const;
export const NOVA_MV: MicroversionSpec = {
  serviceType: "compute",
  legacyHeader: "X-OpenStack-Nova-API-Version",
  min: [2, 1],
  max: MAX_MICROVERSION,
};

const V = {
  "v2.0": { status: "SUPPORTED", version: "", min_version: "", updated: "2011-01-21T11:33:21Z", path: "v2" },
  "v2.1": { status: "CURRENT", version: formatMv(NOVA_MV.max), min_version: formatMv(NOVA_MV.min), updated: "2013-07-23T11:33:21Z", path: "v2.1" },
} as const;

export function versionsDoc(c: Context) {
  const o = origin(c as any);
  return {
    versions: (Object.keys(V) as (keyof typeof V)[]).map((id) => ({
      id,
      status: V[id].status,
      version: V[id].version,
      min_version: V[id].min_version,
      updated: V[id].updated,
      links: [{ rel: "self", href: `${o}/${V[id].path}/` }],
    })),
  };
}

export function versionDoc(c: Context, id: keyof typeof V) {
  const o = origin(c as any);
  return {
    id,
    status: V[id].status,
    version: V[id].version,
    min_version: V[id].min_version,
    updated: V[id].updated,
    links: [
      { rel: "self", href: `${o}/${V[id].path}/` },
      { rel: "describedby", type: "text/html", href: "http://docs.openstack.org/" },
    ],
    "media-types": [{ base: "application/json", type: `application/vnd.openstack.compute+json;version=${id === "v2.0" ? "2" : "2.1"}` }],
  };
}
