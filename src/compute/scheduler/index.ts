/**
 * The scheduler (nova-scheduler): picks a compute host for an instance.
 * Pluggable like the seed's: `chance` (a random host that is up), `simple`
 * (the least loaded), `filter_scheduler` (the default: filters, then weighers).
 */
export interface HostState {
  host: string;
  node: string;
  zone: string;
  up: boolean;
  disabled: boolean;
  vcpus: number;
  memoryMb: number;
  localGb: number;
  vcpusUsed: number;
  memoryMbUsed: number;
  localGbUsed: number;
  instances: number;
  /** Server groups with members on this host. */
  groups: Set<string>;
}

export interface RequestSpec {
  instanceUuid: string;
  vcpus: number;
  memoryMb: number;
  rootGb: number;
  /** Requested availability zone (and optionally host, as "az:host"). */
  availabilityZone: string | null;
  forcedHost?: string | null;
  /** The instance's server group: its policy and how many other members each host already runs. */
  group?: { id: string; policy: string; hosts: Map<string, number>; maxPerHost?: number } | null;
  /** Hosts not to consider (retries). */
  ignoreHosts?: string[];
}

export interface Scheduler {
  readonly name: string;
  select(spec: RequestSpec, hosts: HostState[]): HostState | undefined;
}

export const RAM_ALLOCATION_RATIO = 1.5;
export const CPU_ALLOCATION_RATIO = 16;
export const DISK_ALLOCATION_RATIO = 1.0;

/** One filter per concern, as nova/scheduler/filters/ has them. */
export type Filter = (h: HostState, spec: RequestSpec) => boolean;

export const FILTERS: Record<string, Filter> = {
  ComputeFilter: (h) => h.up && !h.disabled,
  AvailabilityZoneFilter: (h, s) => !s.availabilityZone || h.zone === s.availabilityZone,
  ForcedHostFilter: (h, s) => !s.forcedHost || h.host === s.forcedHost,
  IgnoreHostsFilter: (h, s) => !s.ignoreHosts?.includes(h.host),
  RamFilter: (h, s) => h.memoryMb * RAM_ALLOCATION_RATIO - h.memoryMbUsed >= s.memoryMb,
  CoreFilter: (h, s) => h.vcpus * CPU_ALLOCATION_RATIO - h.vcpusUsed >= s.vcpus,
  DiskFilter: (h, s) => h.localGb * DISK_ALLOCATION_RATIO - h.localGbUsed >= s.rootGb,
  ServerGroupAffinityFilter: (h, s) =>
    s.group?.policy !== "affinity" || s.group.hosts.size === 0 || s.group.hosts.has(h.host),
  ServerGroupAntiAffinityFilter: (h, s) => {
    if (s.group?.policy !== "anti-affinity") return true;
    // 2.64's max_server_per_host rule (default 1)
    return (s.group.hosts.get(h.host) ?? 0) < (s.group.maxPerHost ?? 1);
  },
};

/** Weighers: higher is better; each normalised to [0, 1] over the candidates. */
export type Weigher = (h: HostState, spec: RequestSpec) => number;
export const WEIGHERS: Record<string, { fn: Weigher; multiplier: number }> = {
  RAMWeigher: { fn: (h) => h.memoryMb * RAM_ALLOCATION_RATIO - h.memoryMbUsed, multiplier: 1 },
  CPUWeigher: { fn: (h) => h.vcpus * CPU_ALLOCATION_RATIO - h.vcpusUsed, multiplier: 1 },
  ServerGroupSoftAffinityWeigher: { fn: (h, s) => (s.group?.policy === "soft-affinity" && s.group.hosts.has(h.host) ? 1 : 0), multiplier: 1 },
  ServerGroupSoftAntiAffinityWeigher: { fn: (h, s) => (s.group?.policy === "soft-anti-affinity" && !s.group.hosts.has(h.host) ? 1 : 0), multiplier: 1 },
};

const BASE_FILTERS = ["ComputeFilter", "ForcedHostFilter", "IgnoreHostsFilter", "AvailabilityZoneFilter"];

export class FilterScheduler implements Scheduler {
  readonly name = "filter_scheduler";
  constructor(
    private filters = [...BASE_FILTERS, "RamFilter", "CoreFilter", "DiskFilter", "ServerGroupAffinityFilter", "ServerGroupAntiAffinityFilter"],
    private weighers = Object.keys(WEIGHERS),
  ) {}
  select(spec: RequestSpec, hosts: HostState[]): HostState | undefined {
    let cand = hosts;
    for (const f of this.filters) {
      cand = cand.filter((h) => FILTERS[f]!(h, spec));
      if (!cand.length) return undefined;
    }
    const scores = new Map<HostState, number>(cand.map((h) => [h, 0]));
    for (const w of this.weighers) {
      const { fn, multiplier } = WEIGHERS[w]!;
      const raw = cand.map((h) => fn(h, spec));
      const lo = Math.min(...raw);
      const hi = Math.max(...raw);
      cand.forEach((h, i) => scores.set(h, scores.get(h)! + multiplier * (hi === lo ? 0 : (raw[i]! - lo) / (hi - lo))));
    }
    const best = Math.max(...scores.values());
    const top = cand.filter((h) => scores.get(h) === best);
    return top[Math.floor(Math.random() * top.length)];
  }
}

/** A random host among those that are up and in the zone (the seed's chance scheduler). */
export class ChanceScheduler implements Scheduler {
  readonly name = "chance";
  select(spec: RequestSpec, hosts: HostState[]): HostState | undefined {
    const cand = hosts.filter((h) => BASE_FILTERS.every((f) => FILTERS[f]!(h, spec)));
    return cand[Math.floor(Math.random() * cand.length)];
  }
}

/** The least loaded host (fewest vCPUs in use) that still has room (the seed's simple scheduler). */
export class SimpleScheduler implements Scheduler {
  readonly name = "simple";
  select(spec: RequestSpec, hosts: HostState[]): HostState | undefined {
    const cand = hosts.filter((h) =>
      [...BASE_FILTERS, "CoreFilter", "RamFilter", "DiskFilter"].every((f) => FILTERS[f]!(h, spec)),
    );
    cand.sort((a, b) => a.vcpusUsed - b.vcpusUsed || a.instances - b.instances);
    return cand[0];
  }
}

export function createScheduler(name: string | undefined): Scheduler {
  switch (name) {
    case "chance":
      return new ChanceScheduler();
    case "simple":
      return new SimpleScheduler();
    default:
      return new FilterScheduler();
  }
}
