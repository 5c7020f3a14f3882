import { Hono, type Context } from "hono";
import type { AppEnv } from "../../core/http.ts";
import { body } from "../../core/validate.ts";
import { collectionLinks, selfLink, type IdentityCtx } from "../ctx.ts";
import {
  createEc2Credential,
  deleteEc2Credential,
  getEc2Credential,
  listEc2Credentials,
  type Ec2View,
} from "../logic/ec2_credentials.ts";
import { Ec2CredentialCreateSchema } from "../schemas/ec2_credentials.ts";

export function renderEc2(c: Context, v: Ec2View) {
  return { ...v, links: selfLink(c, `users/${v.user_id}/credentials/OS-EC2/${v.access}`) };
}

const BASE = "/users/:user_id/credentials/OS-EC2";

/** OS-EC2: EC2 key pairs of a user (the user themself or an admin). */
export function ec2CredentialRoutes(ctx: IdentityCtx) {
  const app = new Hono<AppEnv>();
  const { db } = ctx;

  app.get(BASE, (c) => {
    const rows = listEc2Credentials(db, c.get("auth"), c.req.param("user_id"));
    return c.json({ credentials: rows.map((v) => renderEc2(c, v)), links: collectionLinks(c) });
  });
  app.post(BASE, body(Ec2CredentialCreateSchema), (c) => {
    const v = createEc2Credential(ctx, c.get("auth"), c.req.param("user_id"), c.req.valid("json").tenant_id);
    return c.json({ credential: renderEc2(c, v) }, 201);
  });
  app.get(`${BASE}/:access`, (c) => {
    const v = getEc2Credential(db, c.get("auth"), c.req.param("user_id"), c.req.param("access"));
    return c.json({ credential: renderEc2(c, v) });
  });
  app.delete(`${BASE}/:access`, (c) => {
    deleteEc2Credential(ctx, c.get("auth"), c.req.param("user_id"), c.req.param("access"));
    return c.body(null, 204);
  });
  return app;
}
