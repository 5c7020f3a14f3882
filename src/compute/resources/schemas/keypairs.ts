import { z } from "zod";

/** POST /os-keypairs (type from 2.2 and user_id from 2.10: the handler refuses them before). */
export const KeypairCreateSchema = z.object({
  keypair: z.strictObject({
    name: z.string().min(1).max(255),
    public_key: z.string().max(65535).optional(),
    type: z.enum(["ssh", "x509"]).optional(),
    user_id: z.string().min(1).max(255).optional(),
  }),
});

/** GET /os-keypairs (user_id 2.10, limit and marker 2.35). */
export const KeypairListQuery = z.looseObject({
  user_id: z.string().optional(),
  limit: z.string().regex(/^\d+$/, "must be a non-negative integer").optional(),
  marker: z.string().optional(),
});
