import { z } from "zod";

/** Resource options a role may carry (Keystone's ROLE_OPTIONS_REGISTRY: only `immutable`). */
export const RoleOptionsSchema = z.strictObject({
  immutable: z.boolean().nullable().optional(),
});

const roleName = z
  .string()
  .min(1)
  .max(255)
  .regex(/\S/, "must contain a non-whitespace character");

const roleFields = {
  description: z.string().nullable().optional(),
  domain_id: z.string().min(1).max(64).nullable().optional(),
  options: RoleOptionsSchema.optional(),
};

/** POST /v3/roles: `{"role": {"name": ..., ...extra}}` (unknown attributes are kept as extra). */
export const RoleCreateSchema = z.object({
  role: z.looseObject({ name: roleName, ...roleFields }),
});

/** PATCH /v3/roles/{id}: at least one attribute. */
export const RoleUpdateSchema = z.object({
  role: z
    .looseObject({ name: roleName.optional(), ...roleFields })
    .refine((r) => Object.keys(r).length > 0, "the role must have at least one attribute"),
});

/** GET /v3/roles: `name`, `domain_id` and the name comparators (`name__icontains`…). */
export const RoleListQuery = z.looseObject({
  name: z.string().optional(),
  domain_id: z.string().optional(),
});

export type RoleCreate = z.infer<typeof RoleCreateSchema>["role"];
export type RoleUpdate = z.infer<typeof RoleUpdateSchema>["role"];
export type RoleOptions = z.infer<typeof RoleOptionsSchema>;
