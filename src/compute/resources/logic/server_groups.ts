/** Server groups and their members (the scheduler honours the policy; quotas server_groups and server_group_members). */
import type { Db } from "../../../core/db.ts";
import { ApiError, notFound } from "../../../core/errors.ts";
import { uuid } from "../../../core/ids.ts";
import type { Caller, ServerGroup } from "../index.ts";
import { effectiveLimits, exceeds } from "./quotas.ts";

export interface ServerGroupRow {
  id: number;
  uuid: string;
  name: string;
  project_id: string;
  user_id: string;
  policy: ServerGroup["policy"];
  rules: string;
  created_at: number;
}

export function membersOf(db: Db, rowId: number): string[] {
  return db
    .all<{ instance_uuid: string }>(
      "SELECT instance_uuid FROM compute_resources_server_group_members WHERE group_id = ? ORDER BY rowid",
      rowId,
    )
    .map((r) => r.instance_uuid);
}

export function toServerGroup(db: Db, r: ServerGroupRow): ServerGroup {
  return {
    id: r.uuid,
    name: r.name,
    policy: r.policy,
    rules: JSON.parse(r.rules),
    projectId: r.project_id,
    userId: r.user_id,
    members: membersOf(db, r.id),
  };
}

function rowOf(db: Db, id: string): ServerGroupRow | undefined {
  return db.get<ServerGroupRow>("SELECT * FROM compute_resources_server_groups WHERE uuid = ?", id);
}

/** A group the caller may see: its project's, or any for an admin. */
export function getGroup(db: Db, caller: Caller, id: string): ServerGroup | undefined {
  const r = rowOf(db, id);
  if (!r || (!caller.isAdmin && r.project_id !== caller.projectId)) return undefined;
  return toServerGroup(db, r);
}

export function groupOr404(db: Db, caller: Caller, id: string): ServerGroup {
  const g = getGroup(db, caller, id);
  if (!g) throw notFound(`Instance group ${id} could not be found.`);
  return g;
}

export function countGroups(db: Db, projectId: string): number {
  return db.get<{ n: number }>("SELECT COUNT(*) AS n FROM compute_resources_server_groups WHERE project_id = ?", projectId)!.n;
}

export function listGroups(
  db: Db,
  projectId: string | null,
  opts: { limit?: number; offset?: number } = {},
): ServerGroup[] {
  const where = projectId === null ? "" : " WHERE project_id = ?";
  const params: (string | number)[] = projectId === null ? [] : [projectId];
  const rows = db.all<ServerGroupRow>(
    `SELECT * FROM compute_resources_server_groups${where} ORDER BY id LIMIT ? OFFSET ?`,
    ...params,
    opts.limit ?? -1,
    opts.offset ?? 0,
  );
  return rows.map((r) => toServerGroup(db, r));
}

export function createGroup(
  db: Db,
  now: number,
  g: { name: string; policy: ServerGroup["policy"]; rules: ServerGroup["rules"]; projectId: string; userId: string },
): ServerGroup {
  return db.tx(() => {
    const limit = effectiveLimits(db, g.projectId, g.userId).server_groups;
    if (exceeds(limit, countGroups(db, g.projectId) + 1)) {
      throw new ApiError(403, "Quota exceeded, too many server groups.");
    }
    const id = uuid();
    db.run(
      `INSERT INTO compute_resources_server_groups (uuid, name, project_id, user_id, policy, rules, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      id,
      g.name,
      g.projectId,
      g.userId,
      g.policy,
      JSON.stringify(g.rules),
      now,
    );
    return toServerGroup(db, rowOf(db, id)!);
  });
}

export function deleteGroup(db: Db, caller: Caller, id: string): void {
  const g = groupOr404(db, caller, id);
  db.run("DELETE FROM compute_resources_server_groups WHERE uuid = ?", g.id);
}

/** Add an instance to a group (inside the caller's instance-create transaction). 403 over server_group_members. */
export function addMember(db: Db, groupId: string, instanceId: string): void {
  db.tx(() => {
    const r = rowOf(db, groupId);
    if (!r) throw notFound(`Instance group ${groupId} could not be found.`);
    const members = membersOf(db, r.id);
    if (members.includes(instanceId)) return;
    const limit = effectiveLimits(db, r.project_id, r.user_id).server_group_members;
    if (exceeds(limit, members.length + 1)) throw new ApiError(403, "Quota exceeded, too many servers in group");
    db.run(
      "INSERT OR REPLACE INTO compute_resources_server_group_members (group_id, instance_uuid) VALUES (?, ?)",
      r.id,
      instanceId,
    );
  });
}

export function removeMember(db: Db, instanceId: string): void {
  db.run("DELETE FROM compute_resources_server_group_members WHERE instance_uuid = ?", instanceId);
}

export function groupOf(db: Db, instanceId: string): ServerGroup | undefined {
  const r = db.get<ServerGroupRow>(
    `SELECT g.* FROM compute_resources_server_groups g
       JOIN compute_resources_server_group_members m ON m.group_id = g.id
      WHERE m.instance_uuid = ?`,
    instanceId,
  );
  return r && toServerGroup(db, r);
}
