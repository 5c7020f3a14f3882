/**
 * The scheduler service on the bus: `scheduler` (durable) picks a host for
 * each instance of a build request and casts the build to `compute.<host>`.
 * Runs synchronously between reading host usage and writing the choice, so
 * concurrent requests never both take the last slot of a host.
 */
import type { ComputeCtx } from "../ctx.ts";
import { hostTopic, type HostTask } from "../manager.ts";
import { listServices } from "../services.ts";
import { TaskState, VmState } from "../states.ts";
import type { HostState, RequestSpec, Scheduler } from "./index.ts";

export interface ScheduleRequest {
  uuids: string[];
  /** instance uuid → action id, so the build is recorded under the instance's create action. */
  actions: Record<string, number>;
}

export const NO_VALID_HOST = "No valid host was found. There are not enough hosts available.";

export function hostStates(ctx: ComputeCtx): HostState[] {
  const usage = ctx.instances.hostUsage();
  const services = new Map(
    listServices(ctx.deps.db, ctx.now())
      .filter((s) => s.binary === "nova-compute")
      .map((s) => [s.host, s]),
  );
  return [...ctx.hosts.values()].map((h) => {
    const info = h.driver.hostInfo();
    const u = usage.get(h.name);
    const svc = services.get(h.name);
    return {
      host: h.name,
      node: h.node,
      zone: h.zone,
      up: svc?.up ?? false,
      disabled: svc?.disabled ?? true,
      vcpus: info.vcpus,
      memoryMb: info.memoryMb,
      localGb: info.localGb,
      vcpusUsed: u?.vcpus ?? 0,
      memoryMbUsed: u?.ram ?? 0,
      localGbUsed: u?.disk ?? 0,
      instances: u?.count ?? 0,
      groups: u?.groups ?? new Set(),
    };
  });
}

export function startScheduler(ctx: ComputeCtx, scheduler: Scheduler): void {
  const { bus } = ctx.deps;
  bus.consume<ScheduleRequest, void>("scheduler", (req) => {
    for (const uuid of req.uuids) {
      const inst = ctx.instances.get(uuid);
      if (!inst || inst.vmState !== VmState.BUILDING || inst.taskState !== TaskState.SCHEDULING) continue;
      const actionId = req.actions[uuid];
      const ev = actionId ? ctx.actions.eventStart(actionId, "conductor_schedule_and_build_instances", ctx.controllerHost) : 0;
      const hosts = hostStates(ctx);
      const group = ctx.resources.serverGroups.groupOf(uuid) ?? null;
      const groupHosts = new Map<string, number>();
      if (group) {
        for (const m of group.members) {
          if (m === uuid) continue;
          const other = ctx.instances.get(m);
          if (other?.host) groupHosts.set(other.host, (groupHosts.get(other.host) ?? 0) + 1);
        }
      }
      let az = inst.requestedAz;
      let forcedHost: string | null = null;
      if (az?.includes(":")) {
        const [z, h] = az.split(":", 2);
        az = z || null;
        forcedHost = h || null;
      }
      const spec: RequestSpec = {
        instanceUuid: uuid,
        vcpus: inst.flavor.vcpus,
        memoryMb: inst.flavor.ram,
        rootGb: inst.bdms.some((b) => b.bootIndex === 0 && b.destinationType === "volume") ? 0 : inst.flavor.disk + inst.flavor.ephemeral,
        availabilityZone: az,
        forcedHost,
        group: group ? { id: group.id, policy: group.policy, hosts: groupHosts, maxPerHost: group.rules.max_server_per_host } : null,
      };
      const chosen = scheduler.select(spec, hosts);
      if (!chosen) {
        ctx.instances.update(uuid, {
          vmState: VmState.ERROR,
          taskState: null,
          fault: { code: 500, message: NO_VALID_HOST, details: "", created: ctx.now() },
        });
        if (ev) ctx.actions.eventFinish(ev, false, NO_VALID_HOST, NO_VALID_HOST);
        continue;
      }
      const placed = ctx.instances.update(
        uuid,
        { host: chosen.host, node: chosen.node, availabilityZone: chosen.zone },
        { taskState: [TaskState.SCHEDULING] },
      );
      if (ev) ctx.actions.eventFinish(ev, !!placed);
      if (!placed) continue;
      const task: HostTask = { op: "build", uuid, actionId };
      bus.castDurable(hostTopic(chosen.host), task);
    }
  });
}
