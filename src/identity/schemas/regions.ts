import { z } from "zod";

const regionId = z.string().min(1).max(255);

/** POST /v3/regions and PUT /v3/regions/{id}: nothing is required; unknown attributes go to `extra`. */
export const RegionCreateSchema = z.object({
  region: z.looseObject({
    id: z.string().max(255).nullish(),
    description: z.string().max(255).nullish(),
    parent_region_id: regionId.nullish(),
  }),
});

export const RegionUpdateSchema = z.object({
  region: z
    .looseObject({
      id: regionId.nullish(),
      description: z.string().max(255).nullish(),
      parent_region_id: regionId.nullish(),
    })
    .refine((r) => Object.keys(r).length > 0, "at least one attribute is required"),
});

export const RegionListQuery = z.looseObject({ parent_region_id: z.string().optional() });

export type RegionInput = z.infer<typeof RegionCreateSchema>["region"];
