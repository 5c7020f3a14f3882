import type { Db } from "../core/db.ts";

export interface CatalogEntry {
  endpoints: { id: string; interface: string; region_id: string | null; url: string; region: string | null }[];
  id: string;
  type: string;
  name: string;
}

/** The service catalog as tokens carry it: enabled endpoints of enabled services. */
export function buildCatalog(db: Db): CatalogEntry[] {
  const services = db.all<{ id: string; type: string; name: string | null }>(
    "SELECT id, type, name FROM identity_services WHERE enabled = 1 ORDER BY type",
  );
  const eps = db.all<{ id: string; service_id: string; interface: string; region_id: string | null; url: string }>(
    "SELECT id, service_id, interface, region_id, url FROM identity_endpoints WHERE enabled = 1 ORDER BY interface",
  );
  return services.map((s) => ({
    endpoints: eps
      .filter((e) => e.service_id === s.id)
      .map((e) => ({ id: e.id, interface: e.interface, region_id: e.region_id, url: e.url, region: e.region_id })),
    id: s.id,
    type: s.type,
    name: s.name ?? "",
  }));
}

const TEMPLATE = /\$\((project_id|tenant_id)\)s|%\((project_id|tenant_id)\)s/g;

/**
 * Keystone fills `$(project_id)s` (and `$(tenant_id)s`, `%(project_id)s`) in
 * endpoint URLs with the token's project; endpoints whose template cannot be
 * filled (no project in scope) are left out, as Keystone does.
 */
export function substituteCatalog(catalog: CatalogEntry[], projectId?: string): CatalogEntry[] {
  if (!catalog.some((s) => s.endpoints.some((e) => e.url.includes("(")))) return catalog;
  return catalog.map((s) => ({
    ...s,
    endpoints: s.endpoints.flatMap((e) => {
      if (!TEMPLATE.test(e.url)) return [e];
      TEMPLATE.lastIndex = 0;
      if (!projectId) return [];
      return [{ ...e, url: e.url.replace(TEMPLATE, projectId) }];
    }),
  }));
}
