/** /servers/{id}/os-volume_attachments: attach and detach Cinder volumes (the 3.27+ attachments flow). */
import { Hono } from "hono";
import { z } from "zod";
import { ApiError, badRequest, conflict, notFound } from "../../core/errors.ts";
import type { AppEnv, Ctx } from "../../core/http.ts";
import { mvAtLeast } from "../../core/microversion.ts";
import { parse } from "../../core/validate.ts";
import { isUnavailable, type ComputeCtx } from "../ctx.ts";
import { hostTopic, type HostTask } from "../manager.ts";
import { VmState } from "../states.ts";
import type { Bdm, Instance } from "../store.ts";
import { caller, checkLocked, checkState, instanceFor, jsonBody, UUID_RE } from "./common.ts";

const ATTACH_STATES = [VmState.ACTIVE, VmState.PAUSED, VmState.STOPPED, VmState.RESIZED, VmState.SOFT_DELETED, VmState.SUSPENDED];

const attachBody = z.object({
  volumeAttachment: z
    .object({
      volumeId: z.string().regex(UUID_RE, "volumeId must be a UUID"),
      device: z.string().nullable().optional(),
      tag: z.string().max(60).optional(),
      delete_on_termination: z.boolean().optional(),
    })
    .passthrough(),
});

/** The next free virtio device name (vda is the root disk). */
export function nextDevice(bdms: Bdm[]): string {
  const used = new Set(bdms.map((b) => b.deviceName).filter(Boolean));
  used.add("/dev/vda");
  for (let c = 98; c < 123; c++) {
    const d = `/dev/vd${String.fromCharCode(c)}`;
    if (!used.has(d)) return d;
  }
  throw badRequest("No free disk device names for prefix 'vd'");
}

export function volumesRoutes(ctx: ComputeCtx): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const { deps } = ctx;

  const view = (c: Ctx, i: Instance, b: Bdm) => ({
    id: b.volumeId,
    serverId: i.uuid,
    volumeId: b.volumeId,
    device: b.deviceName ?? null,
    ...(mvAtLeast(c, "2.70") ? { tag: b.tag ?? null } : {}),
    ...(mvAtLeast(c, "2.79") ? { delete_on_termination: b.deleteOnTermination } : {}),
    ...(mvAtLeast(c, "2.89") ? { attachment_id: b.attachmentId, bdm_uuid: b.attachmentId } : {}),
  });

  r.get("/servers/:id/os-volume_attachments", (c) => {
    const i = instanceFor(c, ctx, c.req.param("id"));
    return c.json({ volumeAttachments: i.bdms.filter((b) => b.volumeId).map((b) => view(c, i, b)) });
  });

  r.get("/servers/:id/os-volume_attachments/:vol", (c) => {
    const i = instanceFor(c, ctx, c.req.param("id"));
    const b = i.bdms.find((x) => x.volumeId === c.req.param("vol"));
    if (!b) throw notFound(`Instance ${i.uuid} is not attached to volume ${c.req.param("vol")}.`);
    return c.json({ volumeAttachment: view(c, i, b) });
  });

  r.post("/servers/:id/os-volume_attachments", async (c) => {
    const i = instanceFor(c, ctx, c.req.param("id"));
    const b = parse(attachBody, await jsonBody(c)).volumeAttachment;
    if (b.tag !== undefined && !mvAtLeast(c, "2.49")) throw badRequest("Additional properties are not allowed ('tag' was unexpected)");
    if (b.delete_on_termination !== undefined && !mvAtLeast(c, "2.79")) throw badRequest("Additional properties are not allowed ('delete_on_termination' was unexpected)");
    checkLocked(c, i);
    checkState(i, "attach_volume", ATTACH_STATES, [null]);
    if (!i.host || !ctx.hosts.has(i.host)) throw conflict(`Cannot 'attach_volume' instance ${i.uuid} while it is in vm_state ${i.vmState}`);
    const who = caller(c);
    const vc = { projectId: i.projectId, isAdmin: who.isAdmin };
    let vol;
    try {
      vol = await deps.volume.getVolume(vc, b.volumeId);
    } catch (e) {
      if (!isUnavailable(e)) throw e;
    }
    if (!vol) throw notFound(`Volume ${b.volumeId} could not be found.`);
    if (i.bdms.some((x) => x.volumeId === b.volumeId)) throw badRequest(`Invalid volume: volume ${b.volumeId} is already attached to instance ${i.uuid}`);
    const { attachmentId } = await deps.volume.reserveAttachment(vc, b.volumeId, i.uuid);
    const fresh = ctx.instances.get(i.uuid)!;
    const bdm: Bdm = {
      bootIndex: null,
      sourceType: "volume",
      destinationType: "volume",
      uuid: b.volumeId,
      volumeId: b.volumeId,
      deleteOnTermination: b.delete_on_termination ?? false,
      deviceName: nextDevice(fresh.bdms),
      attachmentId,
      tag: b.tag,
    };
    const a = c.get("auth");
    deps.db.tx(() => {
      ctx.instances.update(i.uuid, { bdms: [...fresh.bdms, bdm] });
      const actionId = ctx.actions.start(i.uuid, "attach_volume", c.get("requestId"), a.projectId!, a.userId);
      const t: HostTask = { op: "attach_volume", uuid: i.uuid, actionId, args: { volumeId: b.volumeId } };
      deps.bus.castDurable(hostTopic(i.host!), t);
    });
    return c.json({ volumeAttachment: view(c, fresh, bdm) });
  });

  r.put("/servers/:id/os-volume_attachments/:vol", () => {
    throw new ApiError(501, "Swapping volumes is not implemented by this cloud.");
  });

  r.delete("/servers/:id/os-volume_attachments/:vol", (c) => {
    const i = instanceFor(c, ctx, c.req.param("id"));
    checkLocked(c, i);
    checkState(i, "detach_volume", ATTACH_STATES, [null]);
    const b = i.bdms.find((x) => x.volumeId === c.req.param("vol"));
    if (!b) throw notFound(`Instance ${i.uuid} is not attached to volume ${c.req.param("vol")}.`);
    if (b.bootIndex === 0) throw badRequest("Cannot detach a root device volume");
    if (!i.host || !ctx.hosts.has(i.host)) throw conflict(`Cannot 'detach_volume' instance ${i.uuid} while it is in vm_state ${i.vmState}`);
    const a = c.get("auth");
    deps.db.tx(() => {
      const actionId = ctx.actions.start(i.uuid, "detach_volume", c.get("requestId"), a.projectId!, a.userId);
      const t: HostTask = { op: "detach_volume", uuid: i.uuid, actionId, args: { volumeId: b.volumeId } };
      deps.bus.castDurable(hostTopic(i.host!), t);
    });
    return c.body(null, 202);
  });

  return r;
}
