import { z } from "zod";

/**
 * Keystone's `parameter_types.boolean`: a JSON boolean or one of the strings
 * it accepts ("true", "False", "1", "no"…), read as oslo's bool_from_string
 * does (an empty value is true). Null means "not given".
 */
const TRUE = ["true", "1", "y", "yes", "on", ""];
const FALSE = ["false", "0", "n", "no", "off"];
export const ksBool = z
  .union([z.boolean(), z.string(), z.null()])
  .refine((v) => v === null || typeof v === "boolean" || TRUE.includes(v.toLowerCase()) || FALSE.includes(v.toLowerCase()), {
    message: "must be a boolean",
  })
  .transform((v) => (v === null ? undefined : typeof v === "boolean" ? v : TRUE.includes(v.toLowerCase())));

/** Names of domains and projects: 1–64 characters, at least one of them not blank. */
export const name64 = z.string().min(1).max(64).regex(/\S/, "must contain a non-whitespace character");
/** Names of users and groups: 1–255 characters. */
export const name255 = z.string().min(1).max(255).regex(/\S/, "must contain a non-whitespace character");

/** One tag (API-WG tags guideline): 1–255 characters, no '/' nor ','. */
export const tagSchema = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[^,/]*$/, "a tag may not contain '/' or ','");
/** A whole tag list: at most 80 tags, no duplicates. */
export const tagListSchema = z
  .array(tagSchema)
  .max(80)
  .refine((tags) => new Set(tags).size === tags.length, "tags must be unique");

/** Resource options of projects and domains (Keystone's PROJECT_OPTIONS_REGISTRY). */
export const ResourceOptionsSchema = z.strictObject({ immutable: z.boolean().nullable().optional() });

const domainFields = {
  description: z.string().max(255).nullable().optional(),
  enabled: ksBool.optional(),
  tags: tagListSchema.optional(),
  options: ResourceOptionsSchema.optional(),
};

/** POST /v3/domains (unknown attributes are kept as extra). */
export const DomainCreateSchema = z.object({
  domain: z.looseObject({
    name: name64,
    explicit_domain_id: z.string().min(1).max(64).optional(),
    ...domainFields,
  }),
});

/** PATCH /v3/domains/{id}: at least one attribute. */
export const DomainUpdateSchema = z.object({
  domain: z
    .looseObject({ name: name64.optional(), ...domainFields })
    .refine((d) => Object.keys(d).length > 0, "the domain must have at least one attribute"),
});

/** GET /v3/domains: `name` (and its comparators) and `enabled`. */
export const DomainListQuery = z.looseObject({
  name: z.string().optional(),
  enabled: ksBool.optional(),
});

export type DomainCreate = z.infer<typeof DomainCreateSchema>["domain"];
export type DomainUpdate = z.infer<typeof DomainUpdateSchema>["domain"];
