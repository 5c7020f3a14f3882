/** /os-keypairs: import or generate (until 2.92), type 2.2, user_id for admins 2.10, paging 2.35. */
import { Hono } from "hono";
import { badRequest, forbidden } from "../../../core/errors.ts";
import type { AppEnv, Ctx } from "../../../core/http.ts";
import { parse } from "../../../core/validate.ts";
import { deleteKeypair, fingerprintOf, insertKeypair, keypairOr404, listKeypairs, type KeypairRow } from "../logic/keypairs.ts";
import { generateSsh, generateX509 } from "../logic/ssh.ts";
import { KeypairCreateSchema, KeypairListQuery } from "../schemas/keypairs.ts";
import { callerOf, collectionUrl, jsonBody, mvAtLeast, type ResCtx } from "./ctx.ts";

/** `2014-05-07T12:06:13.681238`, as Nova shows key pair times. */
const novaTime = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000");

export function keypairRoutes(ctx: ResCtx) {
  const app = new Hono<AppEnv>();
  const { db } = ctx;

  /** Whose key pairs: the caller's, or (2.10, admin) the user_id asked for. */
  const targetUser = (c: Ctx, requested: string | undefined): string => {
    const caller = callerOf(c);
    if (requested === undefined || !mvAtLeast(c, 2, 10) || requested === caller.userId) return caller.userId;
    if (!caller.isAdmin) throw forbidden(`Policy doesn't allow os_compute_api:os-keypairs to be performed.`);
    return requested;
  };

  const withType = (c: Ctx, r: KeypairRow) => (mvAtLeast(c, 2, 2) ? { type: r.type } : {});

  app.get("/os-keypairs", (c) => {
    const q = parse(KeypairListQuery, c.req.query());
    const userId = targetUser(c, q.user_id);
    const paging = mvAtLeast(c, 2, 35);
    const limit = paging && q.limit !== undefined ? Number(q.limit) : undefined;
    const rows = listKeypairs(db, userId, { limit, marker: paging ? q.marker : undefined });
    const body: Record<string, unknown> = {
      keypairs: rows.map((r) => ({
        keypair: { name: r.name, public_key: r.public_key, fingerprint: r.fingerprint, ...withType(c, r) },
      })),
    };
    if (limit !== undefined && limit > 0 && rows.length === limit) {
      body.keypairs_links = [{ rel: "next", href: collectionUrl(c, { marker: rows.at(-1)!.name }) }];
    }
    return c.json(body);
  });

  app.get("/os-keypairs/:name", (c) => {
    const userId = targetUser(c, c.req.query("user_id"));
    const r = keypairOr404(db, userId, c.req.param("name"));
    return c.json({
      keypair: {
        public_key: r.public_key,
        name: r.name,
        fingerprint: r.fingerprint,
        user_id: r.user_id,
        deleted: false,
        created_at: novaTime(r.created_at),
        updated_at: null,
        deleted_at: null,
        id: r.id,
        ...withType(c, r),
      },
    });
  });

  app.post("/os-keypairs", async (c) => {
    const k = parse(KeypairCreateSchema, await jsonBody(c)).keypair;
    if (k.type !== undefined && !mvAtLeast(c, 2, 2)) throw badRequest("Additional properties are not allowed ('type' was unexpected)");
    if (k.user_id !== undefined && !mvAtLeast(c, 2, 10)) {
      throw badRequest("Additional properties are not allowed ('user_id' was unexpected)");
    }
    // Names: Nova's safe characters; 2.92 adds '@', '.' and ':'.
    const safe = mvAtLeast(c, 2, 92) ? /^[a-zA-Z0-9 _\-@.:]+$/ : /^[a-zA-Z0-9 _-]+$/;
    if (k.name.trim() !== k.name || !k.name.trim()) {
      throw badRequest("Keypair data is invalid: Keypair name must be string and between 1 and 255 characters long");
    }
    if (!safe.test(k.name)) throw badRequest("Keypair data is invalid: Keypair name contains unsafe characters");
    if (mvAtLeast(c, 2, 92) && k.public_key === undefined) {
      throw badRequest("Invalid input for field/attribute keypair. 'public_key' is a required property");
    }
    const caller = callerOf(c);
    const userId = targetUser(c, k.user_id);
    const type = k.type ?? "ssh";
    let publicKey: string;
    let fingerprint: string;
    let privateKey: string | undefined;
    if (k.public_key !== undefined) {
      if (!k.public_key.trim()) throw badRequest("Keypair data is invalid: failed to generate fingerprint");
      publicKey = k.public_key;
      fingerprint = fingerprintOf(type, publicKey);
    } else {
      const g =
        type === "x509" ? await generateX509(`${userId.slice(0, 16)}-${k.name.slice(0, 16)}`, ctx.clock.date()) : await generateSsh();
      publicKey = g.publicKey;
      fingerprint = g.fingerprint;
      privateKey = g.privateKey;
    }
    const r = insertKeypair(db, ctx.clock.now(), {
      userId,
      projectId: caller.projectId || undefined,
      name: k.name,
      type,
      publicKey,
      fingerprint,
    });
    ctx.log.info(`key pair ${r.name} of user ${userId} ${privateKey ? "generated" : "imported"}`);
    return c.json(
      {
        keypair: {
          public_key: r.public_key,
          ...(privateKey !== undefined ? { private_key: privateKey } : {}),
          user_id: r.user_id,
          name: r.name,
          fingerprint: r.fingerprint,
          ...withType(c, r),
        },
      },
      mvAtLeast(c, 2, 2) ? 201 : 200,
    );
  });

  app.delete("/os-keypairs/:name", (c) => {
    const userId = targetUser(c, c.req.query("user_id"));
    deleteKeypair(db, userId, c.req.param("name"));
    return c.body(null, mvAtLeast(c, 2, 2) ? 204 : 202);
  });

  return app;
}
