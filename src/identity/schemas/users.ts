import { z } from "zod";
import { ksBool, name255 } from "./domains.ts";

/** A user's resource options (Keystone's USER_OPTIONS_REGISTRY); null removes an option. */
const boolOpt = z.boolean().nullable().optional();
export const UserOptionsSchema = z.strictObject({
  ignore_change_password_upon_first_use: boolOpt,
  ignore_password_expiry: boolOpt,
  ignore_lockout_failure_attempts: boolOpt,
  lock_password: boolOpt,
  ignore_user_inactivity: boolOpt,
  multi_factor_auth_rules: z.array(z.array(z.string()).min(1)).nullable().optional(),
  multi_factor_auth_enabled: boolOpt,
});

const userFields = {
  default_project_id: z.string().max(64).nullable().optional(),
  description: z.string().nullable().optional(),
  enabled: ksBool.optional(),
  password: z.string().nullable().optional(),
  options: UserOptionsSchema.optional(),
};

const domainId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-zA-Z0-9-]+$/, "not a valid domain id");

/** POST /v3/users: only `name` is required; unknown attributes (email…) are kept as extra. */
export const UserCreateSchema = z.object({
  user: z.looseObject({ name: name255, domain_id: domainId.optional(), ...userFields }),
});

/** PATCH /v3/users/{id}: at least one attribute. */
export const UserUpdateSchema = z.object({
  user: z
    .looseObject({ name: name255.optional(), domain_id: z.string().optional(), ...userFields })
    .refine((u) => Object.keys(u).length > 0, "the user must have at least one attribute"),
});

/** POST /v3/users/{id}/password (self-service). */
export const PasswordChangeSchema = z.object({
  user: z.strictObject({ original_password: z.string(), password: z.string() }),
});

/** GET /v3/users (the name comparators pass through). */
export const UserListQuery = z.looseObject({
  name: z.string().optional(),
  domain_id: z.string().optional(),
  enabled: ksBool.optional(),
  password_expires_at: z
    .string()
    .regex(/^(lt|lte|gt|gte|eq|neq):\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, "must be {operator}:YYYY-MM-DDTHH:mm:ssZ")
    .optional(),
});

export type UserCreate = z.infer<typeof UserCreateSchema>["user"];
export type UserUpdate = z.infer<typeof UserUpdateSchema>["user"];
export type UserOptions = z.infer<typeof UserOptionsSchema>;
export type UserListFilter = z.infer<typeof UserListQuery>;
