import { z } from "zod";

/** POST /v3/users/{user_id}/credentials/OS-EC2: `{"tenant_id": "..."}` (no wrapper, as Keystone). */
export const Ec2CredentialCreateSchema = z.looseObject({
  tenant_id: z.string().min(1, "tenant_id is required"),
});
