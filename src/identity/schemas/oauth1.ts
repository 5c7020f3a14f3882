import { z } from "zod";

const description = z.string().max(65535).nullish();

/** POST /v3/OS-OAUTH1/consumers: a description; other attributes are kept as extra. */
export const ConsumerCreateSchema = z.object({
  consumer: z.looseObject({ description }).optional().default({}),
});

/** PATCH: at least one attribute, never the secret. */
export const ConsumerUpdateSchema = z.object({
  consumer: z
    .looseObject({ description })
    .refine((v) => Object.keys(v).length >= 1, "must have at least 1 property")
    .refine((v) => !("secret" in v), "Cannot change consumer secret"),
});

export type ConsumerCreate = z.infer<typeof ConsumerCreateSchema>["consumer"];
export type ConsumerUpdate = z.infer<typeof ConsumerUpdateSchema>["consumer"];
