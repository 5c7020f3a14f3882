/** /servers/{id}/os-interface: the instance's ports (attach a port or a network, detach). */
import { Hono } from "hono";
import { z } from "zod";
import { badRequest, conflict, notFound } from "../../core/errors.ts";
import type { AppEnv, Ctx } from "../../core/http.ts";
import { mvAtLeast } from "../../core/microversion.ts";
import { parse } from "../../core/validate.ts";
import type { InstancePort } from "../../network/client.ts";
import { isUnavailable, type ComputeCtx } from "../ctx.ts";
import { addressesFromPorts, hostTopic, nicsFromPorts } from "../manager.ts";
import { VmState } from "../states.ts";
import type { Instance } from "../store.ts";
import { caller, checkLocked, checkState, instanceFor, jsonBody, UUID_RE } from "./common.ts";

const attachBody = z.object({
  interfaceAttachment: z
    .object({
      port_id: z.string().regex(UUID_RE, "port_id must be a UUID").optional(),
      net_id: z.string().regex(UUID_RE, "net_id must be a UUID").optional(),
      fixed_ips: z.array(z.object({ ip_address: z.string() })).max(1).optional(),
      tag: z.string().max(60).optional(),
    })
    .strict(),
});

export function interfacesRoutes(ctx: ComputeCtx): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  const { deps } = ctx;

  const view = (c: Ctx, p: InstancePort) => ({
    port_state: "ACTIVE",
    fixed_ips: p.fixedIps.map((f) => ({ subnet_id: f.subnetId, ip_address: f.address })),
    port_id: p.portId,
    net_id: p.networkId,
    mac_addr: p.macAddress,
    ...(mvAtLeast(c, "2.70") ? { tag: null } : {}),
  });

  async function ports(i: Instance): Promise<InstancePort[]> {
    try {
      return await deps.network.instancePorts(i.uuid);
    } catch (e) {
      if (isUnavailable(e)) return [];
      throw e;
    }
  }

  r.get("/servers/:id/os-interface", async (c) => {
    const i = instanceFor(c, ctx, c.req.param("id"));
    return c.json({ interfaceAttachments: (await ports(i)).map((p) => view(c, p)) });
  });

  r.get("/servers/:id/os-interface/:port", async (c) => {
    const i = instanceFor(c, ctx, c.req.param("id"));
    const p = (await ports(i)).find((x) => x.portId === c.req.param("port"));
    if (!p) throw notFound(`Port ${c.req.param("port")} is not attached`);
    return c.json({ interfaceAttachment: view(c, p) });
  });

  r.post("/servers/:id/os-interface", async (c) => {
    const i = instanceFor(c, ctx, c.req.param("id"));
    const b = parse(attachBody, await jsonBody(c)).interfaceAttachment;
    if (b.tag !== undefined && !mvAtLeast(c, "2.49")) throw badRequest("Additional properties are not allowed ('tag' was unexpected)");
    if (b.port_id && (b.net_id || b.fixed_ips)) throw badRequest("Must not input both network_id and port_id");
    if (b.fixed_ips && !b.net_id) throw badRequest("Must input network_id when request IP address");
    checkLocked(c, i);
    checkState(i, "attach_interface", [VmState.ACTIVE, VmState.PAUSED, VmState.STOPPED], [null]);
    if (!i.host || !ctx.hosts.has(i.host)) throw conflict(`Cannot 'attach_interface' instance ${i.uuid} while it is in vm_state ${i.vmState}`);
    const who = caller(c);
    let port: InstancePort;
    try {
      port = await deps.network.attachInterface(
        { projectId: i.projectId, isAdmin: who.isAdmin },
        i.uuid,
        { portId: b.port_id, networkId: b.net_id, fixedIp: b.fixed_ips?.[0]?.ip_address },
        { host: i.host, availabilityZone: i.availabilityZone ?? "nova" },
      );
    } catch (e) {
      if (isUnavailable(e)) throw badRequest("Networking is not available.");
      throw e;
    }
    const [nic] = nicsFromPorts([port]);
    await deps.bus.call(`${hostTopic(i.host)}.call`, { op: "attach_interface", uuid: i.uuid, args: { nic } }).catch(async (e) => {
      await deps.network.detachInterface({ projectId: i.projectId, isAdmin: true }, i.uuid, port.portId).catch(() => {});
      throw conflict(`Failed to attach network adapter device to ${i.uuid}: ${(e as Error).message}`);
    });
    ctx.instances.setAddresses(i.uuid, addressesFromPorts(await ports(i)));
    const a = c.get("auth");
    ctx.actions.start(i.uuid, "attach_interface", c.get("requestId"), a.projectId!, a.userId);
    return c.json({ interfaceAttachment: view(c, port) });
  });

  r.delete("/servers/:id/os-interface/:port", async (c) => {
    const i = instanceFor(c, ctx, c.req.param("id"));
    checkLocked(c, i);
    checkState(i, "detach_interface", [VmState.ACTIVE, VmState.PAUSED, VmState.STOPPED], [null]);
    const portId = c.req.param("port");
    const who = caller(c);
    const p = (await ports(i)).find((x) => x.portId === portId);
    if (!p) throw notFound(`Port ${portId} is not attached`);
    if (i.host && ctx.hosts.has(i.host)) {
      await deps.bus.call(`${hostTopic(i.host)}.call`, { op: "detach_interface", uuid: i.uuid, args: { portId } }).catch(() => {});
    }
    await deps.network.detachInterface({ projectId: i.projectId, isAdmin: who.isAdmin }, i.uuid, portId);
    ctx.instances.setAddresses(i.uuid, addressesFromPorts(await ports(i)));
    const a = c.get("auth");
    ctx.actions.start(i.uuid, "detach_interface", c.get("requestId"), a.projectId!, a.userId);
    return c.body(null, 202);
  });

  return r;
}
