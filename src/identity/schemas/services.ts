import { z } from "zod";

const fields = {
  type: z.string().min(1).max(255),
  name: z.string().min(1).max(255),
  enabled: z.boolean(),
  description: z.string().nullable(),
};

/** POST /v3/services: `type` required; unknown attributes go to `extra`. */
export const ServiceCreateSchema = z.object({
  service: z.looseObject({
    type: fields.type,
    name: fields.name.optional(),
    enabled: fields.enabled.optional(),
    description: fields.description.optional(),
  }),
});

export const ServiceUpdateSchema = z.object({
  service: z
    .looseObject({
      type: fields.type.optional(),
      name: fields.name.optional(),
      enabled: fields.enabled.optional(),
      description: fields.description.optional(),
    })
    .refine((s) => Object.keys(s).length > 0, "at least one attribute is required"),
});

export type ServiceInput = z.infer<typeof ServiceUpdateSchema>["service"];
