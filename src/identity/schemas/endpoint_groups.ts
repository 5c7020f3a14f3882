import { z } from "zod";
import { INTERFACES } from "./endpoints.ts";

const filters = z.looseObject({
  interface: z.enum(INTERFACES).optional(),
  service_id: z.string().optional(),
  region_id: z.string().nullable().optional(),
  enabled: z.boolean().optional(),
});

const name = z.string().min(1).max(255).regex(/\S/, "must not be blank");

/** POST /v3/OS-EP-FILTER/endpoint_groups: name and filters required; nothing else accepted. */
export const EndpointGroupCreateSchema = z.object({
  endpoint_group: z.strictObject({
    name,
    description: z.string().nullable().optional(),
    filters,
  }),
});

export const EndpointGroupUpdateSchema = z.object({
  endpoint_group: z
    .strictObject({
      name: name.optional(),
      description: z.string().nullable().optional(),
      filters: filters.optional(),
    })
    .refine((g) => Object.keys(g).length > 0, "at least one attribute is required"),
});

export type EndpointGroupInput = z.infer<typeof EndpointGroupUpdateSchema>["endpoint_group"];
