import { z } from "zod";

/**
 * Request bodies of the Neutron v2.0 resources: `{"<resource>": {...}}` for one,
 * `{"<resources>": [{...}, ...]}` for a bulk create. Attribute-level checks
 * (types, ranges, references) are the logic's, with Neutron's error types.
 */
const attrs = z.record(z.string(), z.unknown());

export const singleBody = (key: string) => z.object({ [key]: attrs }).strict();
export const bulkBody = (plural: string) => z.object({ [plural]: z.array(attrs).min(1) }).strict();

/** PUT /routers/{id}/add_router_interface and remove_router_interface. */
export const routerInterfaceBody = z.object({ subnet_id: z.string().optional(), port_id: z.string().optional() }).passthrough();

/** PUT /{resources}/{id}/tags. */
export const tagsBody = z.object({ tags: z.array(z.string().min(1).max(255)) }).strict();
export const tagName = z.string().min(1).max(255);

/** PUT /quotas/{project_id}: every limit an integer ≥ -1. */
export const quotaBody = z.object({
  quota: z.record(z.string(), z.union([z.number().int().min(-1), z.string().regex(/^-?\d+$/).transform(Number)])),
}).strict();
