import { z } from "zod";

export const INTERFACES = ["admin", "internal", "public"] as const;

const fields = {
  interface: z.enum(INTERFACES),
  service_id: z.string(),
  url: z
    .string()
    .max(225)
    .regex(/^[a-zA-Z0-9+.-]+:.+/, "must be a URL"),
  region_id: z.string().nullable(),
  region: z.string().nullable(),
  enabled: z.boolean(),
  name: z.string(),
  description: z.string().nullable(),
};

/** POST /v3/endpoints: interface, service_id and url required; `region` is the legacy spelling of region_id. */
export const EndpointCreateSchema = z.object({
  endpoint: z.looseObject({
    id: z.string().optional(),
    interface: fields.interface,
    service_id: fields.service_id,
    url: fields.url,
    region_id: fields.region_id.optional(),
    region: fields.region.optional(),
    enabled: fields.enabled.optional(),
    name: fields.name.optional(),
    description: fields.description.optional(),
  }),
});

export const EndpointUpdateSchema = z.object({
  endpoint: z
    .looseObject({
      interface: fields.interface.optional(),
      service_id: fields.service_id.optional(),
      url: fields.url.optional(),
      region_id: fields.region_id.optional(),
      region: fields.region.optional(),
      enabled: fields.enabled.optional(),
      name: fields.name.optional(),
      description: fields.description.optional(),
    })
    .refine((e) => Object.keys(e).length > 0, "at least one attribute is required"),
});

export const EndpointListQuery = z.looseObject({
  interface: z.enum(INTERFACES).optional(),
  service_id: z.string().optional(),
  region_id: z.string().optional(),
});

export type EndpointInput = z.infer<typeof EndpointUpdateSchema>["endpoint"];
