import { z } from "zod";
import { ksBool, name64, ResourceOptionsSchema, tagListSchema } from "./domains.ts";

const idString = z.string().min(1).max(64);

const projectFields = {
  description: z.string().nullable().optional(),
  enabled: ksBool.optional(),
  tags: tagListSchema.optional(),
  options: ResourceOptionsSchema.optional(),
};

/** POST /v3/projects: only `name` is required; unknown attributes are kept as extra. */
export const ProjectCreateSchema = z.object({
  project: z.looseObject({
    name: name64,
    domain_id: idString.nullable().optional(),
    parent_id: idString.nullable().optional(),
    is_domain: ksBool.optional(),
    ...projectFields,
  }),
});

/** PATCH /v3/projects/{id}: at least one attribute. */
export const ProjectUpdateSchema = z.object({
  project: z
    .looseObject({
      name: name64.optional(),
      domain_id: idString.nullable().optional(),
      parent_id: idString.nullable().optional(),
      is_domain: ksBool.optional(),
      ...projectFields,
    })
    .refine((p) => Object.keys(p).length > 0, "the project must have at least one attribute"),
});

/** GET /v3/projects filters (the name comparators pass through). */
export const ProjectListQuery = z.looseObject({
  name: z.string().optional(),
  domain_id: z.string().optional(),
  parent_id: z.string().optional(),
  enabled: ksBool.optional(),
  is_domain: ksBool.optional(),
  tags: z.string().optional(),
  "tags-any": z.string().optional(),
  "not-tags": z.string().optional(),
  "not-tags-any": z.string().optional(),
});

/** GET /v3/projects/{id}: the hierarchy expansions. */
export const ProjectShowQuery = z.looseObject({
  parents_as_list: z.string().optional(),
  parents_as_ids: z.string().optional(),
  subtree_as_list: z.string().optional(),
  subtree_as_ids: z.string().optional(),
});

/** PUT /v3/projects/{id}/tags. */
export const ProjectTagsSchema = z.object({ tags: tagListSchema });

/** GET /v3/users/{id}/projects filters. */
export const UserProjectsQuery = z.looseObject({
  name: z.string().optional(),
  domain_id: z.string().optional(),
  enabled: ksBool.optional(),
});

export type ProjectCreate = z.infer<typeof ProjectCreateSchema>["project"];
export type ProjectUpdate = z.infer<typeof ProjectUpdateSchema>["project"];
export type ProjectListFilter = z.infer<typeof ProjectListQuery>;
