/** User messages (3.3+): why an asynchronous operation failed, in words for the volume's owner. */
import { uuid } from "../../core/ids.ts";
import type { VolumeCtx } from "../ctx.ts";
import { cinderTime } from "../store.ts";

export interface MessageRow {
  id: string;
  project_id: string;
  request_id: string;
  resource_type: string;
  resource_uuid: string | null;
  event_id: string;
  message_level: string;
  user_message: string;
  created_at: string;
  guaranteed_until: string;
}

/** Cinder keeps messages at least 30 days (message_ttl). */
const TTL_MS = 30 * 24 * 3600 * 1000;

export function recordMessage(
  ctx: VolumeCtx,
  m: { projectId: string; requestId?: string; resourceUuid: string; eventId: string; userMessage: string; resourceType?: string },
): void {
  const now = ctx.clock.now();
  ctx.db.run(
    `INSERT INTO volume_messages (id, project_id, request_id, resource_type, resource_uuid, event_id, message_level, user_message, created_at, guaranteed_until)
     VALUES (?, ?, ?, ?, ?, ?, 'ERROR', ?, ?, ?)`,
    uuid(),
    m.projectId,
    m.requestId ?? `req-${uuid()}`,
    m.resourceType ?? "VOLUME",
    m.resourceUuid,
    m.eventId,
    m.userMessage,
    cinderTime(now),
    cinderTime(now + TTL_MS),
  );
}
