/** Helpers shared by the compute API handlers. */
import { ApiError, conflict, notFound } from "../../core/errors.ts";
import type { Ctx } from "../../core/http.ts";
import { isAdmin } from "../../core/policy.ts";
import type { ComputeCtx } from "../ctx.ts";
import { listServices } from "../services.ts";
import type { Instance } from "../store.ts";
import type { ViewCtx } from "../views.ts";

export function caller(c: Ctx) {
  const a = c.get("auth");
  if (!a.projectId) throw new ApiError(403, "A project-scoped token is required.");
  return { projectId: a.projectId, userId: a.userId, isAdmin: isAdmin(a) };
}

export function origin(c: Ctx): string {
  const u = new URL(c.req.url);
  return `${u.protocol}//${c.req.header("host") ?? u.host}`;
}

export function viewCtx(c: Ctx, ctx: ComputeCtx): ViewCtx {
  const admin = isAdmin(c.get("auth"));
  let statuses: Map<string, string> | undefined;
  return {
    origin: origin(c),
    mv: c.get("microversion") ?? [2, 1],
    isAdmin: admin,
    hostStatus: (host) => {
      statuses ??= new Map(
        listServices(ctx.deps.db, ctx.now())
          .filter((s) => s.binary === "nova-compute")
          .map((s) => [s.host, s.forcedDown || !s.up ? "DOWN" : s.disabled ? "MAINTENANCE" : "UP"]),
      );
      return statuses.get(host) ?? "UNKNOWN";
    },
    groupOf: (uuid) => ctx.resources.serverGroups.groupOf(uuid)?.id,
  };
}

/** The instance if the caller may see it (its project's, or any for admin); 404 otherwise. */
export function instanceFor(c: Ctx, ctx: ComputeCtx, id: string): Instance {
  const who = caller(c);
  const i = ctx.instances.get(id);
  if (!i || (!who.isAdmin && i.projectId !== who.projectId)) throw notFound(`Instance ${id} could not be found.`);
  return i;
}

/** Nova's check_instance_lock: a locked instance refuses actions from non-admins. */
export function checkLocked(c: Ctx, i: Instance): void {
  if (i.locked && !isAdmin(c.get("auth"))) throw conflict(`Instance ${i.uuid} is locked`);
}

/** Nova's check_instance_state: 409 "Cannot 'stop' instance X while it is in vm_state stopped". */
export function checkState(
  i: Instance,
  action: string,
  vmStates: readonly string[] | null,
  taskStates: readonly (string | null)[] | null = [null],
): void {
  if (vmStates && !vmStates.includes(i.vmState)) {
    throw conflict(`Cannot '${action}' instance ${i.uuid} while it is in vm_state ${i.vmState}`);
  }
  if (taskStates && !taskStates.includes(i.taskState)) {
    throw conflict(`Cannot '${action}' instance ${i.uuid} while it is in task_state ${i.taskState}`);
  }
}

export const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** Read a JSON object body; malformed → 400 badRequest. */
export async function jsonBody(c: Ctx): Promise<Record<string, any>> {
  const text = await c.req.text();
  if (!text.trim()) throw new ApiError(400, "The request body is empty or malformed.");
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new ApiError(400, "Malformed request body");
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) throw new ApiError(400, "The request body must be a JSON object.");
  return v as Record<string, any>;
}
