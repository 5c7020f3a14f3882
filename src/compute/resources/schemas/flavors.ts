import { z } from "zod";
import { intLike, novaBool } from "./common.ts";

const flavorId = z
  .union([z.string(), z.number().transform((n) => String(n))])
  .pipe(z.string().min(1).max(255).regex(/^(?! )[a-zA-Z0-9. _-]+(?<! )$/, "must be letters, digits, '.', '_', '-' or spaces"));

const description = z.string().max(65535).nullable();

/** POST /flavors (description from 2.55: the handler refuses it before). */
export const FlavorCreateSchema = z.object({
  flavor: z.strictObject({
    name: z.string().min(1).max(255),
    id: flavorId.nullable().optional(),
    ram: intLike(1),
    vcpus: intLike(1),
    disk: intLike(0),
    "OS-FLV-EXT-DATA:ephemeral": intLike(0).optional(),
    swap: z.union([z.literal("").transform(() => 0), intLike(0)]).optional(),
    rxtx_factor: z
      .union([z.number(), z.string().regex(/^[0-9]+(\.[0-9]+)?$/).transform(Number)])
      .pipe(z.number().gt(0).max(3.40282e38))
      .optional(),
    "os-flavor-access:is_public": novaBool.optional(),
    description: description.optional(),
  }),
});

/** PUT /flavors/{id} (2.55): only the description changes. */
export const FlavorUpdateSchema = z.object({ flavor: z.strictObject({ description }) });

/** GET /flavors and /flavors/detail. */
export const FlavorListQuery = z.looseObject({
  is_public: z.string().optional(),
  minRam: z.string().regex(/^\d+$/, "must be a non-negative integer").optional(),
  minDisk: z.string().regex(/^\d+$/, "must be a non-negative integer").optional(),
  sort_key: z.string().optional(),
  sort_dir: z.enum(["asc", "desc"]).optional(),
  marker: z.string().optional(),
  limit: z.string().regex(/^\d+$/, "must be a non-negative integer").optional(),
});

const specKey = /^[a-zA-Z0-9-_:. ]{1,255}$/;
const specValue = z
  .union([z.string(), z.number().transform(String), z.boolean().transform(String)])
  .pipe(z.string().max(255));

/** POST /flavors/{id}/os-extra_specs. */
export const ExtraSpecsSchema = z.object({
  extra_specs: z.record(z.string().regex(specKey, "invalid extra spec key"), specValue),
});

/** PUT /flavors/{id}/os-extra_specs/{key}: exactly the one key. */
export const ExtraSpecSchema = z.record(z.string().regex(specKey, "invalid extra spec key"), specValue);

/** POST /flavors/{id}/action. */
export const FlavorActionSchema = z.union([
  z.object({ addTenantAccess: z.strictObject({ tenant: z.string().min(1).max(255) }) }),
  z.object({ removeTenantAccess: z.strictObject({ tenant: z.string().min(1).max(255) }) }),
]);
