/** Volume types (Cinder's "flavors" of storage), their extra specs, access lists and the default type. */
import { ApiError, badRequest, conflict, notFound } from "../../core/errors.ts";
import { uuid } from "../../core/ids.ts";
import type { Caller, VolumeCtx } from "../ctx.ts";
import { DEFAULT_TYPE_NAME } from "../ctx.ts";
import { getTypeByName, getTypeRow, jsonMap, type TypeRow } from "../store.ts";

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

export function canSeeType(ctx: VolumeCtx, caller: Caller, t: TypeRow): boolean {
  if (t.is_public || caller.isAdmin) return true;
  return !!ctx.db.get("SELECT 1 AS x FROM volume_type_access WHERE type_id = ? AND project_id = ?", t.id, caller.projectId);
}

/** The system default type (`__DEFAULT__`), or a project's own default (3.62 default-types). */
export function defaultType(ctx: VolumeCtx, projectId?: string): TypeRow {
  if (projectId) {
    const d = ctx.db.get<{ type_id: string }>("SELECT type_id FROM volume_default_types WHERE project_id = ?", projectId);
    const t = d && getTypeRow(ctx.db, d.type_id);
    if (t) return t;
  }
  const t = getTypeByName(ctx.db, DEFAULT_TYPE_NAME);
  if (!t) throw new ApiError(500, "The default volume type is missing.");
  return t;
}

/** A type by id or name (or "default") that the caller may see; 404 otherwise. */
export function findType(ctx: VolumeCtx, caller: Caller, ref: string): TypeRow {
  if (ref === "default") return defaultType(ctx, caller.projectId);
  const t = getTypeRow(ctx.db, ref) ?? getTypeByName(ctx.db, ref);
  if (!t || !canSeeType(ctx, caller, t)) throw notFound(`Volume type ${ref} could not be found.`);
  return t;
}

export function listTypes(ctx: VolumeCtx, caller: Caller, q: { is_public?: string }): TypeRow[] {
  const rows = ctx.db.all<TypeRow>("SELECT * FROM volume_types ORDER BY created_at, rowid");
  let pub: boolean | undefined;
  if (caller.isAdmin) {
    // Cinder: admins see public types by default; is_public=None (or "none") shows all.
    const v = q.is_public?.toLowerCase();
    if (v === undefined) pub = true;
    else if (v === "none") pub = undefined;
    else pub = ["true", "1", "yes", "t"].includes(v);
    if (pub === undefined) return rows;
    if (pub) return rows.filter((t) => t.is_public);
    return rows.filter((t) => !t.is_public);
  }
  return rows.filter((t) => canSeeType(ctx, caller, t));
}

const specsOf = (v: unknown): Record<string, string> => {
  if (v === undefined || v === null) return {};
  if (typeof v !== "object" || Array.isArray(v)) throw badRequest("Invalid input received: extra_specs must be a dictionary.");
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (!k || k.length > 255) throw badRequest("Invalid input received: extra_specs keys must be 1 to 255 characters.");
    if (val === null || typeof val === "object") throw badRequest(`Invalid input received: extra_specs value of ${k} must be a string.`);
    const s = typeof val === "boolean" ? (val ? "True" : "False") : String(val);
    if (s.length > 255) throw badRequest("Invalid input received: extra_specs values must be at most 255 characters.");
    out[k] = s;
  }
  return out;
};

export function createType(
  ctx: VolumeCtx,
  body: { name: string; description?: string | null; is_public?: boolean; extra_specs?: unknown },
): TypeRow {
  const name = body.name.trim();
  if (!name || name.length > 255) throw badRequest("Volume type name can not be empty.");
  const specs = specsOf(body.extra_specs);
  const id = uuid();
  const now = ctx.now();
  ctx.db.tx(() => {
    if (getTypeByName(ctx.db, name)) throw conflict(`Volume Type ${name} already exists.`);
    ctx.db.run(
      "INSERT INTO volume_types (id, name, description, is_public, extra_specs, created_at) VALUES (?, ?, ?, ?, ?, ?)",
      id,
      name,
      body.description ?? null,
      body.is_public === false ? 0 : 1,
      JSON.stringify(specs),
      now,
    );
  });
  return getTypeRow(ctx.db, id)!;
}

export function updateType(
  ctx: VolumeCtx,
  id: string,
  body: { name?: string | null; description?: string | null; is_public?: boolean },
): TypeRow {
  const t = getTypeRow(ctx.db, id);
  if (!t) throw notFound(`Volume type ${id} could not be found.`);
  if (body.name === undefined && body.description === undefined && body.is_public === undefined)
    throw badRequest("Specify volume type name, description, is_public or a combination thereof.");
  if (body.name !== undefined && body.name !== null) {
    const name = body.name.trim();
    if (!name) throw badRequest("Volume type name can not be empty.");
    if (t.name === DEFAULT_TYPE_NAME && name !== t.name) throw badRequest("The default volume type cannot be renamed.");
  }
  ctx.db.tx(() => {
    if (body.name) {
      const other = getTypeByName(ctx.db, body.name.trim());
      if (other && other.id !== id) throw conflict(`Volume Type ${body.name} already exists.`);
    }
    ctx.db.run(
      "UPDATE volume_types SET name = ?, description = ?, is_public = ?, updated_at = ? WHERE id = ?",
      body.name ? body.name.trim() : t.name,
      body.description !== undefined ? body.description : t.description,
      body.is_public === undefined ? t.is_public : body.is_public ? 1 : 0,
      ctx.now(),
      id,
    );
  });
  return getTypeRow(ctx.db, id)!;
}

export function deleteType(ctx: VolumeCtx, id: string): void {
  ctx.db.tx(() => {
    const t = getTypeRow(ctx.db, id);
    if (!t) throw notFound(`Volume type ${id} could not be found.`);
    if (t.name === DEFAULT_TYPE_NAME) throw badRequest("Default volume type can not be deleted.");
    if (ctx.db.get("SELECT 1 AS x FROM volume_volumes WHERE type_id = ? LIMIT 1", id))
      throw badRequest(`Target volume type is still in use. Volume Type ${id} deletion is not allowed with volumes present with the type.`);
    if (ctx.db.get("SELECT 1 AS x FROM volume_default_types WHERE type_id = ? LIMIT 1", id))
      throw badRequest(`Volume Type ${id} deletion is not allowed as it is the default type of a project.`);
    ctx.db.run("DELETE FROM volume_quotas WHERE resource IN (?, ?, ?)", `volumes_${t.name}`, `gigabytes_${t.name}`, `snapshots_${t.name}`);
    ctx.db.run("DELETE FROM volume_types WHERE id = ?", id);
  });
}

export function mustTypeById(ctx: VolumeCtx, id: string): TypeRow {
  const t = getTypeRow(ctx.db, id);
  if (!t) throw notFound(`Volume type ${id} could not be found.`);
  return t;
}

export function setExtraSpecs(ctx: VolumeCtx, id: string, specs: unknown): Record<string, string> {
  const add = specsOf(specs);
  return ctx.db.tx(() => {
    const t = mustTypeById(ctx, id);
    const merged = { ...jsonMap(t.extra_specs), ...add };
    ctx.db.run("UPDATE volume_types SET extra_specs = ?, updated_at = ? WHERE id = ?", JSON.stringify(merged), ctx.now(), id);
    return add;
  });
}

export function deleteExtraSpec(ctx: VolumeCtx, id: string, key: string): void {
  ctx.db.tx(() => {
    const t = mustTypeById(ctx, id);
    const specs = jsonMap(t.extra_specs);
    if (!(key in specs)) throw notFound(`Volume Type ${id} has no extra specs with key ${key}.`);
    delete specs[key];
    ctx.db.run("UPDATE volume_types SET extra_specs = ?, updated_at = ? WHERE id = ?", JSON.stringify(specs), ctx.now(), id);
  });
}

export function typeAccess(ctx: VolumeCtx, id: string): { volume_type_id: string; project_id: string }[] {
  const t = mustTypeById(ctx, id);
  if (t.is_public) throw notFound(`Access list not available for public volume types.`);
  return ctx.db
    .all<{ project_id: string }>("SELECT project_id FROM volume_type_access WHERE type_id = ? ORDER BY project_id", id)
    .map((r) => ({ volume_type_id: id, project_id: r.project_id }));
}

export function addTypeAccess(ctx: VolumeCtx, id: string, project: string): void {
  ctx.db.tx(() => {
    const t = mustTypeById(ctx, id);
    if (t.is_public) throw badRequest("Invalid volume type: Type access modification is not applicable to public volume type.");
    if (ctx.db.get("SELECT 1 AS x FROM volume_type_access WHERE type_id = ? AND project_id = ?", id, project))
      throw conflict(`Volume type access for ${id} / ${project} combination already exists.`);
    ctx.db.run("INSERT INTO volume_type_access (type_id, project_id) VALUES (?, ?)", id, project);
  });
}

export function removeTypeAccess(ctx: VolumeCtx, id: string, project: string): void {
  ctx.db.tx(() => {
    const t = mustTypeById(ctx, id);
    if (t.is_public) throw badRequest("Invalid volume type: Type access modification is not applicable to public volume type.");
    const r = ctx.db.run("DELETE FROM volume_type_access WHERE type_id = ? AND project_id = ?", id, project);
    if (!r.changes) throw notFound(`Volume type access not found for ${id} / ${project} combination.`);
  });
}

export const looksLikeUuid = (s: string) => UUID.test(s);

export interface EncryptionSpec {
  volume_type_id: string;
  encryption_id: string;
  provider: string;
  cipher: string | null;
  key_size: number | null;
  control_location: "front-end" | "back-end";
  deleted: boolean;
  created_at: string;
  updated_at: string | null;
  deleted_at: null;
}

/** Create (`create`) or update the encryption spec of a type; refused while volumes use the type. */
export function setEncryption(
  ctx: VolumeCtx,
  id: string,
  req: { provider?: string; cipher?: string | null; key_size?: number | null; control_location?: "front-end" | "back-end" },
  create: boolean,
): EncryptionSpec {
  return ctx.db.tx(() => {
    const t = mustTypeById(ctx, id);
    if (ctx.db.get("SELECT 1 AS x FROM volume_volumes WHERE type_id = ? LIMIT 1", id))
      throw badRequest(`Volume type ${id} is currently in use: its encryption cannot change.`);
    const cur = t.encryption ? (JSON.parse(t.encryption) as EncryptionSpec) : undefined;
    if (create && cur) throw badRequest(`Volume type encryption for type ${id} already exists.`);
    if (!create && !cur) throw notFound(`Volume type encryption for type ${id} does not exist.`);
    const now = ctx.now();
    const next: EncryptionSpec = {
      volume_type_id: id,
      encryption_id: cur?.encryption_id ?? uuid(),
      provider: req.provider ?? cur?.provider ?? "",
      cipher: req.cipher !== undefined ? req.cipher : (cur?.cipher ?? null),
      key_size: req.key_size !== undefined ? req.key_size : (cur?.key_size ?? null),
      control_location: req.control_location ?? cur?.control_location ?? "front-end",
      deleted: false,
      created_at: cur?.created_at ?? now,
      updated_at: cur ? now : null,
      deleted_at: null,
    };
    ctx.db.run("UPDATE volume_types SET encryption = ?, updated_at = ? WHERE id = ?", JSON.stringify(next), now, id);
    return next;
  });
}

export function deleteEncryption(ctx: VolumeCtx, id: string): void {
  ctx.db.tx(() => {
    const t = mustTypeById(ctx, id);
    if (!t.encryption) throw notFound(`Volume type encryption for type ${id} does not exist.`);
    if (ctx.db.get("SELECT 1 AS x FROM volume_volumes WHERE type_id = ? LIMIT 1", id))
      throw badRequest(`Volume type ${id} is currently in use: its encryption cannot be deleted.`);
    ctx.db.run("UPDATE volume_types SET encryption = NULL, updated_at = ? WHERE id = ?", ctx.now(), id);
  });
}
