import { z } from "zod";

/** POST /v3/policies: blob and type required; unknown attributes go to `extra`. */
export const PolicyCreateSchema = z.object({
  policy: z.looseObject({ blob: z.string(), type: z.string().max(255) }),
});

export const PolicyUpdateSchema = z.object({
  policy: z
    .looseObject({ blob: z.string().optional(), type: z.string().max(255).optional() })
    .refine((p) => Object.keys(p).length > 0, "at least one attribute is required"),
});

export type PolicyInput = z.infer<typeof PolicyUpdateSchema>["policy"];
