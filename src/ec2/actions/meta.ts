/** Regions, availability zones, account attributes, instance types. */
import type { Action } from "../common.ts";
import { applyFilters, paginate, UNKNOWN_FILTER } from "../common.ts";
import { ec2err } from "../errors.ts";

export const DescribeRegions: Action = async (c) => {
  const names = c.p.list("RegionName");
  let regions = [{ regionName: c.region, regionEndpoint: c.deps.url("ec2"), optInStatus: "opt-in-not-required" }];
  for (const n of names) if (n !== c.region) throw ec2err("InvalidParameterValue", `Invalid region: ${n}`);
  regions = applyFilters(regions, c.p.filters(), (r, name) =>
    name === "region-name" ? r.regionName : name === "endpoint" ? r.regionEndpoint : name === "opt-in-status" ? r.optInStatus : UNKNOWN_FILTER,
  );
  return { regionInfo: regions };
};

export const DescribeAvailabilityZones: Action = async (c) => {
  const body = await c.os.call<{ availabilityZoneInfo: { zoneName: string; zoneState: { available: boolean } }[] }>("compute", "GET", "/os-availability-zone");
  let zones = body.availabilityZoneInfo
    .filter((z) => z.zoneName !== "internal")
    .map((z, i) => ({
      zoneName: z.zoneName,
      zoneState: z.zoneState.available ? "available" : "unavailable",
      regionName: c.region,
      messageSet: [],
      zoneId: `${c.region.toLowerCase()}-az${i + 1}`,
      zoneType: "availability-zone",
      optInStatus: "opt-in-not-required",
      groupName: c.region,
      networkBorderGroup: c.region,
    }));
  const names = c.p.list("ZoneName");
  if (names.length) {
    for (const n of names) if (!zones.some((z) => z.zoneName === n)) throw ec2err("InvalidParameterValue", `Invalid availability zone: [${n}]`);
    zones = zones.filter((z) => names.includes(z.zoneName));
  }
  zones = applyFilters(zones, c.p.filters(), (z, n) =>
    n === "zone-name" ? z.zoneName : n === "state" ? z.zoneState : n === "region-name" ? z.regionName : n === "zone-id" ? z.zoneId : n === "zone-type" ? z.zoneType : UNKNOWN_FILTER,
  );
  return { availabilityZoneInfo: zones };
};

export const DescribeAccountAttributes: Action = async (c) => {
  let quota: Record<string, any> = {};
  try {
    quota = (await c.os.call("compute", "GET", `/os-quota-sets/${c.os.projectId}`)).quota_set ?? {};
  } catch {
    // quotas are informative here
  }
  const attrs = [
    { attributeName: "supported-platforms", attributeValueSet: [{ attributeValue: "VPC" }] },
    { attributeName: "default-vpc", attributeValueSet: [{ attributeValue: "none" }] },
    { attributeName: "max-instances", attributeValueSet: [{ attributeValue: String(quota.instances ?? 10) }] },
    { attributeName: "vpc-max-security-groups-per-interface", attributeValueSet: [{ attributeValue: "5" }] },
    { attributeName: "max-elastic-ips", attributeValueSet: [{ attributeValue: "50" }] },
    { attributeName: "vpc-max-elastic-ips", attributeValueSet: [{ attributeValue: "50" }] },
  ];
  const names = c.p.list("AttributeName");
  return { accountAttributeSet: names.length ? attrs.filter((a) => names.includes(a.attributeName)) : attrs };
};

interface Flavor { id: string; name: string; ram: number; vcpus: number; disk: number; "OS-FLV-EXT-DATA:ephemeral"?: number; "os-flavor-access:is_public"?: boolean }

export async function flavors(c: Parameters<Action>[0]): Promise<Flavor[]> {
  return (await c.os.call<{ flavors: Flavor[] }>("compute", "GET", "/flavors/detail")).flavors;
}

export const DescribeInstanceTypes: Action = async (c) => {
  let list = await flavors(c);
  const names = c.p.list("InstanceType");
  if (names.length) {
    for (const n of names) if (!list.some((f) => f.name === n)) throw ec2err("InvalidInstanceType", `The following supplied instance types do not exist: [${n}]`);
    list = list.filter((f) => names.includes(f.name));
  }
  list = applyFilters(list, c.p.filters(), (f, n) =>
    n === "instance-type" ? f.name : n === "vcpu-info.default-vcpus" ? f.vcpus : n === "memory-info.size-in-mib" ? f.ram : UNKNOWN_FILTER,
  );
  const { page, nextToken } = paginate(list, c.p, 100);
  return {
    instanceTypeSet: page.map((f) => ({
      instanceType: f.name,
      currentGeneration: true,
      freeTierEligible: false,
      supportedUsageClasses: ["on-demand"],
      supportedRootDeviceTypes: ["ebs", "instance-store"],
      supportedVirtualizationTypes: ["hvm"],
      bareMetal: false,
      hypervisor: "kvm",
      processorInfo: { supportedArchitectures: ["x86_64"] },
      vCpuInfo: { defaultVCpus: f.vcpus, defaultCores: f.vcpus, defaultThreadsPerCore: 1 },
      memoryInfo: { sizeInMiB: f.ram },
      instanceStorageSupported: f.disk > 0,
      instanceStorageInfo: f.disk > 0 ? { totalSizeInGB: f.disk + (f["OS-FLV-EXT-DATA:ephemeral"] ?? 0) } : undefined,
      ebsInfo: { ebsOptimizedSupport: "unsupported", encryptionSupport: "unsupported" },
      networkInfo: { networkPerformance: "Moderate", maximumNetworkInterfaces: 8, ipv4AddressesPerInterface: 1, ipv6Supported: true },
    })),
    nextToken,
  };
};
