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
