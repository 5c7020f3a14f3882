/**
 * Nova's instance lifecycle: vm_state (stable), task_state (what is in
 * progress), power_state (what the hypervisor reports), and the API status
 * derived from them (nova/api/openstack/common.py's state map).
 */
import { PowerState } from "../virt/driver.ts";

export const VmState = {
  ACTIVE: "active",
  BUILDING: "building",
  PAUSED: "paused",
  SUSPENDED: "suspended",
  STOPPED: "stopped",
  RESCUED: "rescued",
  RESIZED: "resized",
  SOFT_DELETED: "soft-delete",
  DELETED: "deleted",
  ERROR: "error",
  SHELVED: "shelved",
  SHELVED_OFFLOADED: "shelved_offloaded",
} as const;
export type VmStateValue = (typeof VmState)[keyof typeof VmState];

export const TaskState = {
  SCHEDULING: "scheduling",
  BLOCK_DEVICE_MAPPING: "block_device_mapping",
  NETWORKING: "networking",
  SPAWNING: "spawning",
  IMAGE_SNAPSHOT: "image_snapshot",
  IMAGE_SNAPSHOT_PENDING: "image_snapshot_pending",
  IMAGE_PENDING_UPLOAD: "image_pending_upload",
  IMAGE_UPLOADING: "image_uploading",
  UPDATING_PASSWORD: "updating_password",
  RESIZE_PREP: "resize_prep",
  RESIZE_MIGRATING: "resize_migrating",
  RESIZE_MIGRATED: "resize_migrated",
  RESIZE_FINISH: "resize_finish",
  RESIZE_REVERTING: "resize_reverting",
  RESIZE_CONFIRMING: "resize_confirming",
  REBOOTING: "rebooting",
  REBOOT_PENDING: "reboot_pending",
  REBOOT_STARTED: "reboot_started",
  REBOOTING_HARD: "rebooting_hard",
  REBOOT_PENDING_HARD: "reboot_pending_hard",
  REBOOT_STARTED_HARD: "reboot_started_hard",
  PAUSING: "pausing",
  UNPAUSING: "unpausing",
  SUSPENDING: "suspending",
  RESUMING: "resuming",
  POWERING_OFF: "powering-off",
  POWERING_ON: "powering-on",
  REBUILDING: "rebuilding",
  REBUILD_BLOCK_DEVICE_MAPPING: "rebuild_block_device_mapping",
  REBUILD_SPAWNING: "rebuild_spawning",
  DELETING: "deleting",
} as const;
export type TaskStateValue = (typeof TaskState)[keyof typeof TaskState];

/** The API `status` of an instance (Nova's _STATE_MAP). */
export function apiStatus(vm: string, task: string | null): string {
  switch (vm) {
    case VmState.ACTIVE:
      if (!task) return "ACTIVE";
      if (task === TaskState.REBOOTING || task === TaskState.REBOOT_PENDING || task === TaskState.REBOOT_STARTED) return "REBOOT";
      if (task.endsWith("_hard")) return "HARD_REBOOT";
      if (task === TaskState.REBUILDING || task === TaskState.REBUILD_BLOCK_DEVICE_MAPPING || task === TaskState.REBUILD_SPAWNING) return "REBUILD";
      if (task.startsWith("resize_") && task !== TaskState.RESIZE_REVERTING) return "RESIZE";
      if (task === TaskState.RESIZE_REVERTING) return "REVERT_RESIZE";
      if (task === TaskState.UPDATING_PASSWORD) return "PASSWORD";
      return "ACTIVE";
    case VmState.BUILDING:
      return "BUILD";
    case VmState.STOPPED:
      if (task && task.startsWith("resize_") && task !== TaskState.RESIZE_REVERTING) return "RESIZE";
      if (task === TaskState.RESIZE_REVERTING) return "REVERT_RESIZE";
      if (task === TaskState.REBUILDING || task === TaskState.REBUILD_SPAWNING) return "REBUILD";
      return "SHUTOFF";
    case VmState.RESIZED:
      if (task === TaskState.RESIZE_REVERTING) return "REVERT_RESIZE";
      return "VERIFY_RESIZE";
    case VmState.PAUSED:
      return "PAUSED";
    case VmState.SUSPENDED:
      return "SUSPENDED";
    case VmState.RESCUED:
      return "RESCUE";
    case VmState.ERROR:
      return task === TaskState.REBUILDING ? "REBUILD" : "ERROR";
    case VmState.DELETED:
      return "DELETED";
    case VmState.SOFT_DELETED:
      return "SOFT_DELETED";
    case VmState.SHELVED:
      return "SHELVED";
    case VmState.SHELVED_OFFLOADED:
      return "SHELVED_OFFLOADED";
    default:
      return "UNKNOWN";
  }
}

/** API status → the vm_states it stands for (the `status` filter of server list). */
export const STATUS_TO_VM: Record<string, { vm: string[]; task?: (t: string | null) => boolean }> = {
  ACTIVE: { vm: [VmState.ACTIVE], task: (t) => apiStatus(VmState.ACTIVE, t) === "ACTIVE" },
  BUILD: { vm: [VmState.BUILDING] },
  SHUTOFF: { vm: [VmState.STOPPED] },
  PAUSED: { vm: [VmState.PAUSED] },
  SUSPENDED: { vm: [VmState.SUSPENDED] },
  ERROR: { vm: [VmState.ERROR] },
  VERIFY_RESIZE: { vm: [VmState.RESIZED] },
  RESCUE: { vm: [VmState.RESCUED] },
  DELETED: { vm: [VmState.DELETED] },
  SOFT_DELETED: { vm: [VmState.SOFT_DELETED] },
  SHELVED: { vm: [VmState.SHELVED] },
  SHELVED_OFFLOADED: { vm: [VmState.SHELVED_OFFLOADED] },
  REBOOT: { vm: [VmState.ACTIVE], task: (t) => apiStatus(VmState.ACTIVE, t) === "REBOOT" },
  HARD_REBOOT: { vm: [VmState.ACTIVE], task: (t) => apiStatus(VmState.ACTIVE, t) === "HARD_REBOOT" },
  REBUILD: { vm: [VmState.ACTIVE, VmState.STOPPED, VmState.ERROR], task: (t) => !!t && t.startsWith("rebuild") },
  RESIZE: { vm: [VmState.ACTIVE, VmState.STOPPED], task: (t) => !!t && t.startsWith("resize_") && t !== TaskState.RESIZE_REVERTING },
  REVERT_RESIZE: { vm: [VmState.ACTIVE, VmState.STOPPED, VmState.RESIZED], task: (t) => t === TaskState.RESIZE_REVERTING },
  PASSWORD: { vm: [VmState.ACTIVE], task: (t) => t === TaskState.UPDATING_PASSWORD },
};

/** Statuses where the API shows `progress`. */
export const PROGRESS_STATUSES = new Set(["ACTIVE", "BUILD", "REBUILD", "RESIZE", "VERIFY_RESIZE", "MIGRATING"]);

export { PowerState };
