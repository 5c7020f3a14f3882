import { z } from "zod";
import { novaName } from "./common.ts";

export const POLICIES = ["affinity", "anti-affinity", "soft-affinity", "soft-anti-affinity"] as const;

/** POST /os-server-groups before 2.64: exactly one policy in `policies`. */
export const ServerGroupCreateV21 = z.object({
  server_group: z.strictObject({
    name: novaName,
    policies: z
      .array(z.string())
      .min(1)
      .max(1, "only one policy is allowed")
      .refine((a) => new Set(a).size === a.length, "policies must be unique"),
  }),
});
/** POST /os-server-groups from 2.64: `policy`, and `rules` (anti-affinity only). */
export const ServerGroupCreateV264 = z.object({
  server_group: z.strictObject({
    name: novaName,
    policy: z.enum(POLICIES),
    rules: z
      .strictObject({
        max_server_per_host: z
          .union([z.number(), z.string().regex(/^\d+$/).transform(Number)])
          .pipe(z.number().int().min(1).max(2147483647))
          .optional(),
      })
      .optional(),
  }),
});

/** GET /os-server-groups. */
export const ServerGroupListQuery = z.looseObject({
  all_projects: z.string().optional(),
  limit: z.string().regex(/^\d+$/, "must be a non-negative integer").optional(),
  offset: z.string().regex(/^\d+$/, "must be a non-negative integer").optional(),
});
