import { z } from "zod";
import { name255 } from "./domains.ts";

const groupFields = { description: z.string().nullable().optional() };

/** POST /v3/groups: `name` required; unknown attributes are kept as extra. */
export const GroupCreateSchema = z.object({
  group: z.looseObject({
    name: name255,
    domain_id: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[a-zA-Z0-9-]+$/, "not a valid domain id")
      .optional(),
    ...groupFields,
  }),
});

/** PATCH /v3/groups/{id}: at least one attribute. */
export const GroupUpdateSchema = z.object({
  group: z
    .looseObject({ name: name255.optional(), domain_id: z.string().optional(), ...groupFields })
    .refine((g) => Object.keys(g).length > 0, "the group must have at least one attribute"),
});

/** GET /v3/groups (the name comparators pass through). */
export const GroupListQuery = z.looseObject({
  name: z.string().optional(),
  domain_id: z.string().optional(),
});

export type GroupCreate = z.infer<typeof GroupCreateSchema>["group"];
export type GroupUpdate = z.infer<typeof GroupUpdateSchema>["group"];
