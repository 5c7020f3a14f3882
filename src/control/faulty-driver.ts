/**
 * Fault injection for compute actions: wraps a hypervisor driver so a fault
 * rule on an action (`server.build`, `server.delete`, `server.stop`, …) makes
 * the matching driver call stall and/or fail. The compute manager turns the
 * failure into what Nova shows: the server in ERROR with the fault message.
 */
import type { ComputeDriver } from "../virt/driver.ts";
import type { FaultInjector } from "./faults.ts";

/** Driver method → the action name fault rules use. */
export const DRIVER_ACTIONS: Partial<Record<keyof ComputeDriver, string>> = {
  spawn: "server.build",
  destroy: "server.delete",
  powerOff: "server.stop",
  powerOn: "server.start",
  reboot: "server.reboot",
  pause: "server.pause",
  unpause: "server.unpause",
  suspend: "server.suspend",
  resume: "server.resume",
  rebuild: "server.rebuild",
  resize: "server.resize",
  snapshot: "server.snapshot",
  attachVolume: "server.attach_volume",
  detachVolume: "server.detach_volume",
  attachInterface: "server.attach_interface",
  detachInterface: "server.detach_interface",
};

/** Run an action's fault rule, if one matches: stall, then throw its message when it has a status or message. */
export async function injectAction(faults: FaultInjector | undefined, service: string, action: string, detail = ""): Promise<void> {
  if (!faults?.active) return;
  const hit = faults.action(service, action, detail);
  if (!hit) return;
  if (hit.effect.stall_ms) await Bun.sleep(hit.effect.stall_ms);
  if (hit.effect.status || hit.effect.message) {
    throw Object.assign(new Error(hit.effect.message ?? `Injected fault on ${action}`), { code: hit.effect.status ?? 500 });
  }
}

export function withFaults(driver: ComputeDriver, faults: FaultInjector | undefined): ComputeDriver {
  if (!faults) return driver;
  return new Proxy(driver, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      const action = DRIVER_ACTIONS[prop as keyof ComputeDriver];
      if (!action || typeof value !== "function") return typeof value === "function" ? value.bind(target) : value;
      return async (...args: unknown[]) => {
        const first = args[0];
        const uuid = typeof first === "string" ? first : (first as { uuid?: string } | undefined)?.uuid ?? "";
        await injectAction(faults, "compute", action, uuid);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}
