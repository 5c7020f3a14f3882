/** POST /servers/{id}/action and the console endpoints. */
import { Hono } from "hono";
import { ApiError, badRequest, conflict, forbidden, notFound } from "../../core/errors.ts";
import type { AppEnv, Ctx } from "../../core/http.ts";
import { mvAtLeast } from "../../core/microversion.ts";
import { isAdmin } from "../../core/policy.ts";
import { parse } from "../../core/validate.ts";
import { z } from "zod";
import { portOf, publicHost } from "../../core/config.ts";
import { randomToken } from "../../core/ids.ts";
import { isUnavailable, type ComputeCtx } from "../ctx.ts";
import { hostTopic, type HostTask } from "../manager.ts";
import {
  consoleOutput,
  createImage,
  rebootServer,
  rebuildServer,
  remoteConsole,
  resizeServer,
} from "../schemas/servers.ts";
import { TaskState, VmState } from "../states.ts";
import type { Instance } from "../store.ts";
import { serverView } from "../views.ts";
import { caller, checkLocked, checkState, instanceFor, jsonBody, origin, UUID_RE, viewCtx } from "./common.ts";
import { deleteInstance, instanceFlavor } from "./servers.ts";
import { recordMigration } from "./migrations.ts";

const V = VmState;
const T = TaskState;

export function actionsRoutes(ctx: ComputeCtx): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const { deps } = ctx;

  /** Record the action, move task_state (guarded) and cast the work to the instance's host. */
  function cast(c: Ctx, i: Instance, action: string, op: string, task: string | null, fields: Partial<Instance> = {}, args?: Record<string, unknown>) {
    if (!i.host || !ctx.hosts.has(i.host)) throw conflict(`Cannot '${action}' instance ${i.uuid} while it is in vm_state ${i.vmState}`);
    const a = c.get("auth");
    deps.db.tx(() => {
      const u = ctx.instances.update(i.uuid, { taskState: task, ...fields }, { taskState: [i.taskState], vmState: [i.vmState] });
      if (!u) throw conflict(`Cannot '${action}' instance ${i.uuid} while it is in task_state ${i.taskState}`);
      const actionId = ctx.actions.start(i.uuid, action, c.get("requestId"), a.projectId ?? i.projectId, a.userId);
      const t: HostTask = { op, uuid: i.uuid, actionId, args };
      deps.bus.castDurable(hostTopic(i.host!), t);
    });
  }

  const simple = (action: string, op: string, vm: string[], task: string | null, tasks: (string | null)[] = [null]) =>
    (c: Ctx, i: Instance) => {
      checkLocked(c, i);
      checkState(i, action, vm, tasks);
      cast(c, i, action, op, task);
      return c.body(null, 202);
    };

  const handlers: Record<string, (c: Ctx, i: Instance, body: any) => Response | Promise<Response>> = {
    "os-stop": simple("stop", "stop", [V.ACTIVE, V.RESCUED, V.ERROR], T.POWERING_OFF),
    "os-start": simple("start", "start", [V.STOPPED], T.POWERING_ON),
    pause: simple("pause", "pause", [V.ACTIVE], T.PAUSING),
    unpause: simple("unpause", "unpause", [V.PAUSED], T.UNPAUSING),
    suspend: simple("suspend", "suspend", [V.ACTIVE], T.SUSPENDING),
    resume: simple("resume", "resume", [V.SUSPENDED], T.RESUMING),

    reboot: (c, i, body) => {
      const b = parse(rebootServer, body ?? {});
      checkLocked(c, i);
      if (b.type === "SOFT") checkState(i, "reboot", [V.ACTIVE], [null]);
      else
        checkState(i, "reboot", [V.ACTIVE, V.STOPPED, V.PAUSED, V.SUSPENDED, V.ERROR], [
          null, T.REBOOTING, T.REBOOT_PENDING, T.REBOOT_STARTED, T.REBOOTING_HARD, T.REBOOT_PENDING_HARD, T.REBOOT_STARTED_HARD,
        ]);
      cast(c, i, "reboot", "reboot", b.type === "SOFT" ? T.REBOOTING : T.REBOOTING_HARD, {}, { type: b.type });
      return c.body(null, 202);
    },

    lock: (c, i, body) => {
      const who = caller(c);
      let reason: string | null = null;
      if (body && typeof body === "object" && body.locked_reason !== undefined) {
        if (!mvAtLeast(c, "2.73")) throw badRequest("Invalid input for field/attribute lock. Value: " + JSON.stringify(body) + ". Additional properties are not allowed");
        if (typeof body.locked_reason !== "string" || body.locked_reason.length > 255) throw badRequest("Invalid input for field/attribute locked_reason.");
        reason = body.locked_reason;
      }
      const a = c.get("auth");
      ctx.instances.update(i.uuid, { locked: true, lockedBy: who.isAdmin && i.projectId !== who.projectId ? "admin" : "owner", lockedReason: reason });
      ctx.actions.start(i.uuid, "lock", c.get("requestId"), a.projectId!, a.userId);
      return c.body(null, 202);
    },
    unlock: (c, i) => {
      const who = caller(c);
      if (i.locked && i.lockedBy === "admin" && !who.isAdmin) throw forbidden(`Policy doesn't allow os_compute_api:os-lock-server:unlock:unlock_override to be performed.`);
      const a = c.get("auth");
      ctx.instances.update(i.uuid, { locked: false, lockedBy: null, lockedReason: null });
      ctx.actions.start(i.uuid, "unlock", c.get("requestId"), a.projectId!, a.userId);
      return c.body(null, 202);
    },

    rebuild: async (c, i, body) => {
      const b = parse(rebuildServer, body ?? {});
      checkLocked(c, i);
      checkState(i, "rebuild", [V.ACTIVE, V.STOPPED, V.ERROR], [null]);
      if (b.description !== undefined && !mvAtLeast(c, "2.19")) throw badRequest("Additional properties are not allowed ('description' was unexpected)");
      if (b.key_name !== undefined && !mvAtLeast(c, "2.54")) throw badRequest("Additional properties are not allowed ('key_name' was unexpected)");
      if (b.user_data !== undefined && !mvAtLeast(c, "2.57")) throw badRequest("Additional properties are not allowed ('user_data' was unexpected)");
      const who = caller(c);
      if (!UUID_RE.test(b.imageRef)) throw badRequest("Invalid imageRef provided.");
      let image;
      try {
        image = await deps.image.getImage({ projectId: who.projectId, isAdmin: who.isAdmin }, b.imageRef);
      } catch (e) {
        if (!isUnavailable(e)) throw e;
      }
      if (!image) throw badRequest(`Image ${b.imageRef} could not be found.`);
      if (image.status !== "active") throw badRequest(`Image ${b.imageRef} is not active.`);
      if (image.minRam > i.flavor.ram) throw badRequest("Flavor's memory is too small for requested image.");
      if (i.flavor.disk > 0 && image.minDisk > i.flavor.disk) throw badRequest("Flavor's disk is too small for requested image.");
      const fields: Partial<Instance> = { imageRef: b.imageRef, progress: 0 };
      if (b.name !== undefined) fields.name = b.name;
      if (b.metadata !== undefined) fields.metadata = b.metadata;
      if (b.description !== undefined) fields.description = b.description;
      if (b.accessIPv4 !== undefined) fields.accessIPv4 = b.accessIPv4;
      if (b.accessIPv6 !== undefined) fields.accessIPv6 = b.accessIPv6;
      if (b["OS-DCF:diskConfig"] !== undefined) fields.diskConfig = b["OS-DCF:diskConfig"];
      if (b.user_data !== undefined) fields.userData = b.user_data;
      if (b.key_name !== undefined) {
        if (b.key_name === null) {
          fields.keyName = null;
          fields.keyData = null;
        } else {
          const kp = ctx.resources.keypairs.get(i.userId, b.key_name);
          if (!kp) throw badRequest(`Invalid key_name provided.`);
          fields.keyName = b.key_name;
          fields.keyData = kp.publicKey;
        }
      }
      const limits = ctx.resources.quotas.limits(i.projectId);
      if (b.metadata && limits.metadata_items >= 0 && Object.keys(b.metadata).length > limits.metadata_items) {
        throw forbidden(`Quota exceeded for metadata_items: Requested ${Object.keys(b.metadata).length}, but already used 0 of ${limits.metadata_items} metadata_items`);
      }
      cast(c, i, "rebuild", "rebuild", T.REBUILDING, fields, { wasStopped: i.vmState === V.STOPPED });
      const after = ctx.instances.get(i.uuid)!;
      const v = viewCtx(c, ctx);
      const s = serverView(v, after, { basic: true });
      if (mvAtLeast(c, "2.75")) delete s["OS-EXT-SRV-ATTR:user_data"];
      if (mvAtLeast(c, "2.54")) s.key_name = after.keyName;
      if (mvAtLeast(c, "2.57")) s.user_data = after.userData;
      s.adminPass = b.adminPass ?? randomToken(9);
      return c.json({ server: s }, 202);
    },

    resize: (c, i, body) => {
      if (body === null || typeof body !== "object" || body.flavorRef === null) throw badRequest("Invalid input for field/attribute flavorRef.");
      const b = parse(resizeServer, body);
      checkLocked(c, i);
      checkState(i, "resize", [V.ACTIVE, V.STOPPED], [null]);
      const diskConfig = b["OS-DCF:diskConfig"];
      const who = caller(c);
      const f = ctx.resources.flavors.findForCaller({ ...who, projectId: i.projectId }, b.flavorRef);
      if (!f || f.disabled) throw badRequest(`Unable to find flavor ${b.flavorRef}`);
      const nf = instanceFlavor(f);
      if (nf.id === i.flavor.id) throw badRequest("When resizing, instances must change flavor!");
      if (nf.disk < i.flavor.disk && !i.bdms.some((x) => x.bootIndex === 0)) throw badRequest("Resize error: Unable to resize disk down.");
      // quota for the growth
      deps.db.tx(() => {
        const limits = ctx.resources.quotas.limits(i.projectId);
        const used = ctx.instances.usage(i.projectId);
        const dc = nf.vcpus - i.flavor.vcpus;
        const dr = nf.ram - i.flavor.ram;
        if (dc > 0 && limits.cores >= 0 && used.cores + dc > limits.cores) throw new ApiError(403, `Quota exceeded for cores: Requested ${dc}, but already used ${used.cores} of ${limits.cores} cores`);
        if (dr > 0 && limits.ram >= 0 && used.ram + dr > limits.ram) throw new ApiError(403, `Quota exceeded for ram: Requested ${dr}, but already used ${used.ram} of ${limits.ram} ram`);
        // the host must hold the new flavor
        const host = [...ctx.hosts.values()].find((h) => h.name === i.host);
        if (host) {
          const info = host.driver.hostInfo();
          const u = ctx.instances.hostUsage().get(host.name);
          if ((u?.ram ?? 0) - i.flavor.ram + nf.ram > info.memoryMb * 1.5) throw badRequest("No valid host was found. There are not enough hosts available.");
        }
        cast(c, i, "resize", "resize", T.RESIZE_PREP, { newFlavor: nf, ...(diskConfig ? { diskConfig } : {}) });
        recordMigration(ctx, i.uuid, i.host!, i.flavor.id, nf.id);
      });
      return c.body(null, 202);
    },
    confirmResize: (c, i) => {
      checkLocked(c, i);
      if (i.vmState !== V.RESIZED) throw badRequest(`Instance has not been resized.`);
      checkState(i, "confirmResize", [V.RESIZED], [null]);
      cast(c, i, "confirmResize", "confirm_resize", null);
      return c.body(null, 204);
    },
    revertResize: (c, i) => {
      checkLocked(c, i);
      if (i.vmState !== V.RESIZED) throw badRequest(`Instance has not been resized.`);
      checkState(i, "revertResize", [V.RESIZED], [null]);
      cast(c, i, "revertResize", "revert_resize", T.RESIZE_REVERTING);
      return c.body(null, 202);
    },

    createBackup: async (c, i, body) => {
      const b = parse(
        z.object({
          name: z.string().min(1).max(255),
          backup_type: z.string().min(1),
          rotation: z.union([z.number().int().min(0), z.string().regex(/^\d+$/)]).transform(Number),
          metadata: z.record(z.string(), z.string()).optional(),
        }),
        body ?? {},
      );
      checkLocked(c, i);
      checkState(i, "createBackup", [V.ACTIVE, V.STOPPED, V.PAUSED, V.SUSPENDED], [null]);
      const res = await snapshot(c, i, "createBackup", b.name, { ...(b.metadata ?? {}), image_type: "backup", backup_type: b.backup_type }, { backupType: b.backup_type, rotation: b.rotation });
      if (mvAtLeast(c, "2.45")) return c.json({ image_id: res }, 202);
      c.header("Location", `${origin(c).replace(/:\d+$/, `:${portOf(deps.cfg, "image")}`)}/v2/images/${res}`);
      return c.body(null, 202);
    },

    createImage: async (c, i, body) => {
      const b = parse(createImage, body ?? {});
      checkLocked(c, i);
      checkState(i, "createImage", [V.ACTIVE, V.STOPPED, V.PAUSED, V.SUSPENDED], [null]);
      const id = await snapshot(c, i, "createImage", b.name, b.metadata ?? {});
      if (mvAtLeast(c, "2.45")) return c.json({ image_id: id }, 202);
      c.header("Location", `${origin(c).replace(/:\d+$/, `:${portOf(deps.cfg, "image")}`)}/v2/images/${id}`);
      return c.body(null, 202);
    },

    "os-getConsoleOutput": async (c, i, body) => {
      const b = parse(consoleOutput, body ?? {});
      if (!i.host || i.vmState === V.BUILDING || i.vmState === V.ERROR) {
        throw conflict(`Instance ${i.uuid} is not ready`);
      }
      let length: number | undefined;
      if (b && b.length !== undefined && b.length !== null) {
        length = Number(b.length);
        if (length === -1) length = undefined;
      }
      try {
        const out = await deps.bus.call<unknown, string>(`${hostTopic(i.host)}.call`, { op: "console_output", uuid: i.uuid, args: { length } });
        return c.json({ output: out });
      } catch (e) {
        throw new ApiError(409, `Instance ${i.uuid} is not ready: ${(e as Error).message}`);
      }
    },

    "os-getVNCConsole": async (c, i, body) => {
      const type = body?.type;
      if (type !== "novnc" && type !== "xvpvnc") throw badRequest("Invalid console type specified.");
      const url = await consoleUrl(c, i, "vnc", type);
      return c.json({ console: { type, url } });
    },
    "os-getSerialConsole": async (c, i, body) => {
      if (body?.type !== "serial") throw badRequest("Invalid console type specified.");
      const url = await consoleUrl(c, i, "serial", "serial");
      return c.json({ console: { type: "serial", url } });
    },
    "os-getSPICEConsole": () => {
      throw new ApiError(400, "Unavailable console type spice-html5.");
    },
    "os-getRDPConsole": () => {
      throw new ApiError(400, "Unavailable console type rdp-html5.");
    },

    forceDelete: async (c, i) => {
      checkLocked(c, i);
      checkState(i, "forceDelete", [V.SOFT_DELETED], null);
      await deleteInstance(c, ctx, i, "forceDelete");
      return c.body(null, 202);
    },
    restore: (c, i) => {
      checkState(i, "restore", [V.SOFT_DELETED], null);
      return c.body(null, 202);
    },
    trigger_crash_dump: (c, i) => {
      if (!mvAtLeast(c, "2.17")) throw notFound("The resource could not be found.");
      checkLocked(c, i);
      checkState(i, "trigger_crash_dump", [V.ACTIVE, V.ERROR], [null]);
      return c.body(null, 202);
    },
  };

  /** Create the (queued) image and cast the snapshot to the host; returns the image id. */
  async function snapshot(c: Ctx, i: Instance, action: string, name: string, metadata: Record<string, string>, backup?: { backupType: string; rotation: number }): Promise<string> {
    const who = caller(c);
    const limits = ctx.resources.quotas.limits(i.projectId);
    const props: Record<string, string> = {
      image_type: "snapshot",
      instance_uuid: i.uuid,
      base_image_ref: i.imageRef,
      user_id: who.userId,
      owner_project_name: deps.identity.project(i.projectId)?.name ?? "",
      owner_user_name: deps.identity.user(who.userId)?.name ?? "",
    };
    if (limits.metadata_items >= 0 && Object.keys(metadata).length > limits.metadata_items) {
      throw forbidden(`Quota exceeded for metadata_items: Requested ${Object.keys(metadata).length}, but already used 0 of ${limits.metadata_items} metadata_items`);
    }
    Object.assign(props, metadata);
    let image;
    try {
      image = await deps.image.createImage(
        { projectId: i.projectId, isAdmin: who.isAdmin },
        { name, diskFormat: "raw", containerFormat: "bare", minDisk: i.flavor.disk, minRam: 0, properties: props },
      );
    } catch (e) {
      if (isUnavailable(e)) throw new ApiError(503, "The image service is not available.");
      throw e;
    }
    try {
      cast(c, i, action, "snapshot", T.IMAGE_SNAPSHOT, {}, { imageId: image.id, ...(backup ?? {}) });
    } catch (e) {
      await deps.image.deleteImage({ projectId: i.projectId, isAdmin: true }, image.id).catch(() => {});
      throw e;
    }
    return image.id;
  }

  /** Mint a console token (single use, 10 minutes) and return the console proxy's URL (src/console). */
  async function consoleUrl(c: Ctx, i: Instance, protocol: string, type: string): Promise<string> {
    if (!i.host || i.vmState !== V.ACTIVE) throw conflict(`Instance ${i.uuid} is not ready`);
    let info;
    try {
      info = await deps.bus.call<unknown, { host: string; port: number; path?: string }>(`${hostTopic(i.host)}.call`, {
        op: "get_console",
        uuid: i.uuid,
        args: { type: protocol === "serial" ? "serial" : "novnc" },
      });
    } catch (e) {
      throw conflict(`Instance ${i.uuid} is not ready: ${(e as Error).message}`);
    }
    const token = crypto.randomUUID();
    ctx.consoleTokens.set(token, {
      instanceUuid: i.uuid,
      host: info.host,
      port: info.port,
      ...(info.path ? { path: info.path } : {}),
      protocol,
      type,
      expires: ctx.now() + 600_000,
    });
    const base = `http://${publicHost(deps.cfg)}:${portOf(deps.cfg, "console")}`;
    if (type === "serial") return `ws://${publicHost(deps.cfg)}:${portOf(deps.cfg, "console")}/?token=${token}`;
    return `${base}/vnc_auto.html?path=%3Ftoken%3D${token}`;
  }

  r.post("/servers/:id/action", async (c) => {
    const i = instanceFor(c, ctx, c.req.param("id"));
    const body = await jsonBody(c);
    const keys = Object.keys(body);
    if (keys.length !== 1) throw badRequest("There is no such action: " + (keys.join(",") || "(none)"));
    const name = keys[0]!;
    const h = handlers[name];
    if (!h) {
      if (["shelve", "shelveOffload", "unshelve", "rescue", "unrescue", "os-migrateLive", "migrate", "evacuate", "changePassword", "createBackup", "addFixedIp", "removeFixedIp", "os-resetState", "resetNetwork", "injectNetworkInfo"].includes(name)) {
        if (name === "os-resetState") return resetState(c, i, body[name]);
        throw new ApiError(501, `The action ${name} is not implemented by this cloud.`);
      }
      if (name === "addSecurityGroup" || name === "removeSecurityGroup") return securityGroupAction(c, i, name, body[name]);
      if (name === "addFloatingIp" || name === "removeFloatingIp") return floatingIpAction(c, i, name, body[name]);
      throw badRequest(`There is no such action: ${name}`);
    }
    return h(c, i, body[name]);
  });

  function resetState(c: Ctx, i: Instance, b: any): Response {
    if (!isAdmin(c.get("auth"))) throw forbidden();
    const state = b?.state;
    if (state !== "active" && state !== "error") throw badRequest("Invalid input for field/attribute state.");
    ctx.instances.update(i.uuid, { vmState: state, taskState: null });
    return c.body(null, 202);
  }

  async function securityGroupAction(c: Ctx, i: Instance, name: string, b: any): Promise<Response> {
    const g = b?.name;
    if (typeof g !== "string" || !g) throw badRequest("Missing parameter dict");
    const who = caller(c);
    try {
      if (name === "addSecurityGroup") await deps.network.addSecurityGroup({ projectId: i.projectId, isAdmin: who.isAdmin }, i.uuid, g);
      else await deps.network.removeSecurityGroup({ projectId: i.projectId, isAdmin: who.isAdmin }, i.uuid, g);
    } catch (e) {
      if (!isUnavailable(e)) throw e;
    }
    const groups = new Set(i.securityGroups);
    if (name === "addSecurityGroup") groups.add(g);
    else groups.delete(g);
    ctx.instances.update(i.uuid, { securityGroups: [...groups] });
    return c.body(null, 202);
  }

  async function floatingIpAction(c: Ctx, i: Instance, name: string, b: any): Promise<Response> {
    const address = b?.address;
    if (typeof address !== "string") throw badRequest("Address not specified");
    const who = caller(c);
    try {
      if (name === "addFloatingIp") await deps.network.associateFloatingIp({ projectId: i.projectId, isAdmin: who.isAdmin }, i.uuid, address, b.fixed_address);
      else await deps.network.disassociateFloatingIp({ projectId: i.projectId, isAdmin: who.isAdmin }, i.uuid, address);
    } catch (e) {
      if (isUnavailable(e)) throw badRequest(`floating IP not found`);
      throw e;
    }
    return c.body(null, 202);
  }

  r.post("/servers/:id/remote-consoles", async (c) => {
    if (!mvAtLeast(c, "2.6")) throw notFound("The resource could not be found.");
    const i = instanceFor(c, ctx, c.req.param("id"));
    const b = parse(remoteConsole, await jsonBody(c));
    const { protocol, type } = b.remote_console;
    const ok = (protocol === "vnc" && type === "novnc") || (protocol === "serial" && type === "serial");
    if (!ok) throw badRequest(`Unavailable console type ${type}.`);
    const url = await consoleUrl(c, i, protocol, type);
    return c.json({ remote_console: { protocol, type, url } });
  });

  return r;
}
