/**
 * The EC2 Query API end to end in-process: requests signed by the AWS SDK's
 * SigV4 signer, answers parsed as XML, and the same resources checked through
 * the OpenStack APIs (Nova, Cinder, Neutron) — the two faces share one state.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { testCloud, type TestCloud } from "../../test/harness.ts";
import { ec2Client, ec2Key, items, type Ec2Client, type Ec2Key } from "./testing.ts";

let t: TestCloud;
let demoKey: Ec2Key;
let demo: Ec2Client;
let admin: Ec2Client;
let ami: string;
let demoToken: string;

async function until(fn: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    await t.cloud.bus.drain();
    if (await fn()) return;
    await Bun.sleep(10);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function stateOf(c: Ec2Client, id: string): Promise<string> {
  const r = await c.call("DescribeInstances", { "InstanceId.1": id });
  return items(items(r.body.reservationSet)[0]?.instancesSet)[0]?.instanceState?.name;
}

beforeAll(async () => {
  t = await testCloud();
  const adminTok = await t.token("admin");
  const img = await t.req("POST", "/v2/images", {
    service: "image",
    token: adminTok,
    json: { name: "tiny", disk_format: "raw", container_format: "bare", visibility: "public" },
  });
  const imgId = ((await img.json()) as any).id;
  const put = await t.req("PUT", `/v2/images/${imgId}/file`, {
    service: "image",
    token: adminTok,
    body: "x".repeat(1024),
    headers: { "content-type": "application/octet-stream" },
  });
  expect(put.status).toBe(204);
  demoKey = await ec2Key(t, "demo", "secret", "demo");
  demo = ec2Client(t, demoKey);
  admin = ec2Client(t, await ec2Key(t, "admin", undefined, "admin"));
  demoToken = await t.token("demo", "secret", "demo");
  const r = await demo.call("DescribeImages", { "Filter.1.Name": "name", "Filter.1.Value.1": "tiny" });
  ami = items(r.body.imagesSet)[0].imageId;
});
afterAll(async () => {
  await t?.close();
});

describe("authentication and errors", () => {
  test("a SigV4-signed request answers EC2 XML in the EC2 namespace with a requestId", async () => {
    const r = await demo.call("DescribeRegions");
    expect(r.status).toBe(200);
    expect(r.text).toContain('<DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">');
    expect(r.body.requestId).toMatch(/^req-/);
    expect(items(r.body.regionInfo)[0].regionName).toBe("RegionOne");
  });

  test("a wrong secret is a 401 AuthFailure", async () => {
    const bad = ec2Client(t, { access: demoKey.access, secret: "not-the-secret" });
    const r = await bad.call("DescribeRegions");
    expect(r.status).toBe(401);
    expect(r.code).toBe("AuthFailure");
    expect(r.body.RequestID).toMatch(/^req-/);
    const unknown = await ec2Client(t, { access: "nosuchkey", secret: "x" }).call("DescribeRegions");
    expect(unknown.code).toBe("AuthFailure");
  });

  test("an unsigned request is refused", async () => {
    const r = await demo.raw(new Request(`${t.cloud.url("ec2")}/`, { method: "POST", body: "Action=DescribeRegions&Version=2016-11-15", headers: { "content-type": "application/x-www-form-urlencoded" } }));
    expect(r.status).toBe(401);
    expect(r.code).toBe("AuthFailure");
  });

  test("Signature V2 is accepted, and checked", async () => {
    const ok = await demo.callV2("DescribeAvailabilityZones");
    expect(ok.status).toBe(200);
    expect(items(ok.body.availabilityZoneInfo).map((z) => z.zoneName)).toContain("nova");
    const bad = await demo.callV2("DescribeAvailabilityZones", {}, "wrong");
    expect(bad.code).toBe("AuthFailure");
  });

  test("an unknown action, an unsupported one, a missing parameter, a malformed id", async () => {
    const unknown = await demo.call("FlyToTheMoon");
    expect([unknown.status, unknown.code]).toEqual([400, "InvalidAction"]);
    const unsupported = await demo.call("CreateVpc", { CidrBlock: "10.1.0.0/16" });
    expect([unsupported.status, unsupported.code]).toEqual([400, "UnsupportedOperation"]);
    const missing = await demo.call("RunInstances", { MinCount: 1, MaxCount: 1, InstanceType: "m1.tiny" });
    expect([missing.status, missing.code]).toEqual([400, "MissingParameter"]);
    const malformed = await demo.call("DescribeInstances", { "InstanceId.1": "i-xyz" });
    expect([malformed.status, malformed.code]).toEqual([400, "InvalidInstanceID.Malformed"]);
    const notFound = await demo.call("DescribeInstances", { "InstanceId.1": "i-0123456789abcdef0" });
    expect(notFound.code).toBe("InvalidInstanceID.NotFound");
    const noAmi = await demo.call("RunInstances", { ImageId: "ami-0123456789abcdef0", MinCount: 1, MaxCount: 1 });
    expect(noAmi.code).toBe("InvalidAMIID.NotFound");
    const badFilter = await demo.call("DescribeInstances", { "Filter.1.Name": "colour", "Filter.1.Value.1": "red" });
    expect(badFilter.code).toBe("InvalidParameterValue");
  });

  test("bad input creates nothing", async () => {
    const before = ((await (await t.req("GET", "/v2.1/servers", { service: "compute", token: demoToken })).json()) as any).servers.length;
    const badType = await demo.call("RunInstances", { ImageId: ami, MinCount: 1, MaxCount: 1, InstanceType: "m9.huge" });
    expect(badType.code).toBe("InvalidParameterValue");
    const badKey = await demo.call("RunInstances", { ImageId: ami, MinCount: 1, MaxCount: 1, InstanceType: "m1.tiny", KeyName: "nokey" });
    expect(badKey.code).toBe("InvalidKeyPair.NotFound");
    const badCount = await demo.call("RunInstances", { ImageId: ami, MinCount: 3, MaxCount: 1, InstanceType: "m1.tiny" });
    expect(badCount.code).toBe("InvalidParameterValue");
    const after = ((await (await t.req("GET", "/v2.1/servers", { service: "compute", token: demoToken })).json()) as any).servers.length;
    expect(after).toBe(before);
  });
});

describe("images and key pairs", () => {
  test("DescribeImages: stable ami- ids, owners and filters", async () => {
    const a = await demo.call("DescribeImages");
    const b = await demo.call("DescribeImages", { "ImageId.1": ami });
    expect(items(a.body.imagesSet).map((i) => i.imageId)).toContain(ami);
    expect(items(b.body.imagesSet)).toHaveLength(1);
    expect(items(b.body.imagesSet)[0]).toMatchObject({ imageState: "available", isPublic: "true", imageType: "machine", name: "tiny" });
    const self = await demo.call("DescribeImages", { "Owner.1": "self" });
    expect(items(self.body.imagesSet).map((i) => i.imageId)).not.toContain(ami);
    const wild = await demo.call("DescribeImages", { "Filter.1.Name": "name", "Filter.1.Value.1": "ti*" });
    expect(items(wild.body.imagesSet).map((i) => i.imageId)).toContain(ami);
    const attr = await demo.call("DescribeImageAttribute", { ImageId: ami, Attribute: "launchPermission" });
    expect(items(attr.body.launchPermission)[0].group).toBe("all");
  });

  test("key pairs: create, duplicate, import, describe, delete", async () => {
    const created = await demo.call("CreateKeyPair", { KeyName: "kp1" });
    expect(created.status).toBe(200);
    expect(created.body.keyMaterial).toContain("PRIVATE KEY");
    const dup = await demo.call("CreateKeyPair", { KeyName: "kp1" });
    expect([dup.status, dup.code]).toEqual([400, "InvalidKeyPair.Duplicate"]);
    const pub = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBv5p9n8Jx7t0sAaUe5JmX1bq7pG5mHqk1rQ4yQm3vZk test@tenrec";
    const imported = await demo.call("ImportKeyPair", { KeyName: "kp2", PublicKeyMaterial: Buffer.from(pub).toString("base64") });
    expect(imported.status).toBe(200);
    const list = await demo.call("DescribeKeyPairs");
    expect(items(list.body.keySet).map((k) => k.keyName).sort()).toEqual(["kp1", "kp2"]);
    const missing = await demo.call("DescribeKeyPairs", { "KeyName.1": "nope" });
    expect(missing.code).toBe("InvalidKeyPair.NotFound");
    expect((await demo.call("DeleteKeyPair", { KeyName: "kp2" })).status).toBe(200);
    const after = await demo.call("DescribeKeyPairs");
    expect(items(after.body.keySet).map((k) => k.keyName)).toEqual(["kp1"]);
  });
});

describe("instances", () => {
  let id: string;
  test("RunInstances → running, visible to Nova under the same uuid", async () => {
    const r = await demo.call("RunInstances", {
      ImageId: ami, MinCount: 1, MaxCount: 1, InstanceType: "m1.tiny", KeyName: "kp1",
      UserData: Buffer.from("#!/bin/sh\necho hi\n").toString("base64"),
      "TagSpecification.1.ResourceType": "instance", "TagSpecification.1.Tag.1.Key": "Name", "TagSpecification.1.Tag.1.Value": "web1",
    });
    expect(r.status).toBe(200);
    expect(r.body.reservationId).toMatch(/^r-[0-9a-f]{17}$/);
    const inst = items(r.body.instancesSet)[0];
    id = inst.instanceId;
    expect(id).toMatch(/^i-[0-9a-f]{17}$/);
    expect(inst.imageId).toBe(ami);
    expect(inst.instanceType).toBe("m1.tiny");
    await until(async () => (await stateOf(demo, id)) === "running", "running");
    const d = await demo.call("DescribeInstances", { "InstanceId.1": id });
    const res = items(d.body.reservationSet)[0];
    expect(res.reservationId).toBe(r.body.reservationId);
    const v = items(res.instancesSet)[0];
    expect(v.instanceState).toEqual({ code: "16", name: "running" });
    expect(v.privateIpAddress).toMatch(/^10\.0\.0\.\d+$/);
    expect(v.keyName).toBe("kp1");
    expect(items(v.tagSet)).toEqual([{ key: "Name", value: "web1" }]);
    const servers = ((await (await t.req("GET", "/v2.1/servers", { service: "compute", token: demoToken })).json()) as any).servers;
    expect(servers.map((s: any) => s.name)).toContain("web1");
  });

  test("an instance made through Nova shows in DescribeInstances, with the same id every time", async () => {
    const nets = ((await (await t.req("GET", "/v2.0/networks?name=private", { service: "network", token: demoToken })).json()) as any).networks;
    const img = items((await demo.call("DescribeImages", { "ImageId.1": ami })).body.imagesSet)[0];
    void img;
    const glance = ((await (await t.req("GET", "/v2/images?name=tiny", { service: "image", token: demoToken })).json()) as any).images[0];
    const res = await t.req("POST", "/v2.1/servers", {
      service: "compute", token: demoToken,
      json: { server: { name: "from-nova", imageRef: glance.id, flavorRef: "1", networks: [{ uuid: nets[0].id }] } },
    });
    expect(res.status).toBe(202);
    const all1 = await demo.call("DescribeInstances");
    const all2 = await demo.call("DescribeInstances");
    const ids = (r: any) => items(r.body.reservationSet).flatMap((x) => items(x.instancesSet).map((i) => i.instanceId)).sort();
    expect(ids(all1)).toHaveLength(2);
    expect(ids(all1)).toEqual(ids(all2));
  });

  test("filters: instance-state-name and tag:Name", async () => {
    const byTag = await demo.call("DescribeInstances", { "Filter.1.Name": "tag:Name", "Filter.1.Value.1": "web1" });
    const found = items(byTag.body.reservationSet).flatMap((x) => items(x.instancesSet));
    expect(found.map((i) => i.instanceId)).toEqual([id]);
    const stopped = await demo.call("DescribeInstances", { "Filter.1.Name": "instance-state-name", "Filter.1.Value.1": "stopped" });
    expect(items(stopped.body.reservationSet)).toHaveLength(0);
  });

  test("another project neither sees nor touches the instance", async () => {
    const d = await admin.call("DescribeInstances", { "InstanceId.1": id });
    expect(d.code).toBe("InvalidInstanceID.NotFound");
    const s = await admin.call("StopInstances", { "InstanceId.1": id });
    expect(s.code).toBe("InvalidInstanceID.NotFound");
    expect(await stateOf(demo, id)).toBe("running");
  });

  test("stop → stopped, start → running, reboot, console output", async () => {
    const stop = await demo.call("StopInstances", { "InstanceId.1": id });
    const st = items(stop.body.instancesSet)[0];
    expect(st.previousState).toEqual({ code: "16", name: "running" });
    expect(st.currentState.name).toBe("stopping");
    await until(async () => (await stateOf(demo, id)) === "stopped", "stopped");
    const start = await demo.call("StartInstances", { "InstanceId.1": id });
    expect(items(start.body.instancesSet)[0].previousState.code).toBe("80");
    await until(async () => (await stateOf(demo, id)) === "running", "running again");
    expect((await demo.call("RebootInstances", { "InstanceId.1": id })).body.return).toBe("true");
    const out = await demo.call("GetConsoleOutput", { InstanceId: id });
    expect(out.body.instanceId).toBe(id);
    expect(typeof out.body.output).toBe("string");
  });

  test("pagination: MaxResults and NextToken walk every instance once", async () => {
    const extra = await demo.call("RunInstances", { ImageId: ami, MinCount: 3, MaxCount: 3, InstanceType: "m1.tiny" });
    expect(items(extra.body.instancesSet).map((i) => i.amiLaunchIndex)).toEqual(["0", "1", "2"]);
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const r = await demo.call("DescribeInstances", { MaxResults: 2, ...(token ? { NextToken: token } : {}) });
      seen.push(...items(r.body.reservationSet).flatMap((x) => items(x.instancesSet).map((i) => i.instanceId)));
      token = r.body.nextToken;
      pages++;
    } while (token);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(5);
  });

  test("volumes: create, attach through Nova, detach, snapshot, delete", async () => {
    const v = await demo.call("CreateVolume", { Size: 1, AvailabilityZone: "nova" });
    expect(v.status).toBe(200);
    const vol = v.body.volumeId;
    expect(vol).toMatch(/^vol-[0-9a-f]{17}$/);
    const volState = async () => items((await demo.call("DescribeVolumes", { "VolumeId.1": vol })).body.volumeSet)[0];
    await until(async () => (await volState()).status === "available", "volume available");
    const att = await demo.call("AttachVolume", { VolumeId: vol, InstanceId: id, Device: "/dev/vdb" });
    expect(att.status).toBe(200);
    await until(async () => (await volState()).status === "in-use", "volume in-use");
    const attached = items((await volState()).attachmentSet)[0];
    expect(attached).toMatchObject({ instanceId: id, device: "/dev/vdb", status: "attached" });
    const inUse = await demo.call("DeleteVolume", { VolumeId: vol });
    expect(inUse.status).toBe(400);
    expect((await demo.call("DetachVolume", { VolumeId: vol })).body.status).toBe("detaching");
    await until(async () => (await volState()).status === "available", "volume detached");
    const snap = await demo.call("CreateSnapshot", { VolumeId: vol, Description: "s1" });
    expect(snap.body.snapshotId).toMatch(/^snap-/);
    await until(async () => items((await demo.call("DescribeSnapshots", { "SnapshotId.1": snap.body.snapshotId })).body.snapshotSet)[0]?.status === "completed", "snapshot");
    expect((await demo.call("DeleteSnapshot", { SnapshotId: snap.body.snapshotId })).status).toBe(200);
    await until(async () => (await demo.call("DescribeSnapshots", { "SnapshotId.1": snap.body.snapshotId })).code === "InvalidSnapshot.NotFound", "snapshot gone");
    expect((await demo.call("DeleteVolume", { VolumeId: vol })).status).toBe(200);
    await until(async () => (await demo.call("DescribeVolumes", { "VolumeId.1": vol })).code === "InvalidVolume.NotFound", "volume gone");
  });

  test("addresses: allocate, associate, describe, disassociate, release", async () => {
    const a = await demo.call("AllocateAddress", { Domain: "vpc" });
    expect(a.body.allocationId).toMatch(/^eipalloc-/);
    const assoc = await demo.call("AssociateAddress", { AllocationId: a.body.allocationId, InstanceId: id });
    expect(assoc.body.associationId).toMatch(/^eipassoc-/);
    const d = items((await demo.call("DescribeAddresses")).body.addressesSet);
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ publicIp: a.body.publicIp, instanceId: id });
    const inst = items(items((await demo.call("DescribeInstances", { "InstanceId.1": id })).body.reservationSet)[0].instancesSet)[0];
    expect(inst.ipAddress).toBe(a.body.publicIp);
    expect((await demo.call("DisassociateAddress", { AssociationId: assoc.body.associationId })).status).toBe(200);
    expect((await demo.call("ReleaseAddress", { AllocationId: a.body.allocationId })).status).toBe(200);
    expect(items((await demo.call("DescribeAddresses")).body.addressesSet)).toHaveLength(0);
  });

  test("terminate", async () => {
    const r = await demo.call("TerminateInstances", { "InstanceId.1": id });
    expect(items(r.body.instancesSet)[0].currentState).toEqual({ code: "32", name: "shutting-down" });
    await until(async () => (await stateOf(demo, id)) === "terminated", "terminated");
    const servers = ((await (await t.req("GET", "/v2.1/servers", { service: "compute", token: demoToken })).json()) as any).servers;
    expect(servers.map((s: any) => s.name)).not.toContain("web1");
    const again = await demo.call("TerminateInstances", { "InstanceId.1": id });
    expect(items(again.body.instancesSet)[0].currentState).toEqual({ code: "48", name: "terminated" });
    const stop = await demo.call("StopInstances", { "InstanceId.1": id });
    expect(stop.code).toBe("InvalidInstanceID.NotFound");
  });
});

describe("security groups, VPCs, tags", () => {
  test("create, authorize (duplicate refused), revoke, delete", async () => {
    const g = await demo.call("CreateSecurityGroup", { GroupName: "web", GroupDescription: "web servers" });
    const sg = g.body.groupId;
    expect(sg).toMatch(/^sg-[0-9a-f]{17}$/);
    expect((await demo.call("CreateSecurityGroup", { GroupName: "web", GroupDescription: "again" })).code).toBe("InvalidGroup.Duplicate");
    const perm = { GroupId: sg, "IpPermissions.1.IpProtocol": "tcp", "IpPermissions.1.FromPort": 22, "IpPermissions.1.ToPort": 22, "IpPermissions.1.IpRanges.1.CidrIp": "0.0.0.0/0" };
    expect((await demo.call("AuthorizeSecurityGroupIngress", perm)).status).toBe(200);
    expect((await demo.call("AuthorizeSecurityGroupIngress", perm)).code).toBe("InvalidPermission.Duplicate");
    const bad = await demo.call("AuthorizeSecurityGroupIngress", { ...perm, "IpPermissions.1.IpRanges.1.CidrIp": "not-a-cidr" });
    expect(bad.code).toBe("InvalidParameterValue");
    const d = items((await demo.call("DescribeSecurityGroups", { "GroupId.1": sg })).body.securityGroupInfo)[0];
    expect(items(d.ipPermissions)).toHaveLength(1);
    expect(items(d.ipPermissions)[0]).toMatchObject({ ipProtocol: "tcp", fromPort: "22", toPort: "22" });
    const rules = ((await (await t.req("GET", `/v2.0/security-group-rules?direction=ingress`, { service: "network", token: demoToken })).json()) as any).security_group_rules;
    expect(rules.filter((r: any) => r.port_range_min === 22 && r.remote_ip_prefix === "0.0.0.0/0")).toHaveLength(1);
    expect((await demo.call("RevokeSecurityGroupIngress", perm)).status).toBe(200);
    expect((await demo.call("RevokeSecurityGroupIngress", perm)).code).toBe("InvalidPermission.NotFound");
    expect((await demo.call("DeleteSecurityGroup", { GroupId: sg })).status).toBe(200);
    expect((await demo.call("DescribeSecurityGroups", { "GroupId.1": sg })).code).toBe("InvalidGroup.NotFound");
  });

  test("VPCs and subnets are Neutron's networks and IPv4 subnets", async () => {
    const vpcs = items((await demo.call("DescribeVpcs")).body.vpcSet);
    expect(vpcs.length).toBeGreaterThan(0);
    const subnets = items((await demo.call("DescribeSubnets", { "Filter.1.Name": "vpc-id", "Filter.1.Value.1": vpcs[0].vpcId })).body.subnetSet);
    expect(subnets.length).toBeGreaterThan(0);
    expect(subnets[0].cidrBlock).toMatch(/^\d+\.\d+\.\d+\.\d+\/\d+$/);
  });

  test("tags: create, describe with filters, delete; malformed resource ids refused", async () => {
    const v = (await demo.call("CreateVolume", { Size: 1 })).body.volumeId;
    expect((await demo.call("CreateTags", { "ResourceId.1": v, "Tag.1.Key": "env", "Tag.1.Value": "prod", "Tag.2.Key": "team", "Tag.2.Value": "a" })).status).toBe(200);
    const d = items((await demo.call("DescribeTags", { "Filter.1.Name": "resource-id", "Filter.1.Value.1": v })).body.tagSet);
    expect(d.map((x) => `${x.key}=${x.value}`).sort()).toEqual(["env=prod", "team=a"]);
    expect(d[0].resourceType).toBe("volume");
    const byTag = items((await demo.call("DescribeVolumes", { "Filter.1.Name": "tag:env", "Filter.1.Value.1": "prod" })).body.volumeSet);
    expect(byTag.map((x) => x.volumeId)).toEqual([v]);
    expect((await demo.call("DeleteTags", { "ResourceId.1": v, "Tag.1.Key": "env" })).status).toBe(200);
    expect(items((await demo.call("DescribeTags", { "Filter.1.Name": "resource-id", "Filter.1.Value.1": v })).body.tagSet)).toHaveLength(1);
    expect((await demo.call("CreateTags", { "ResourceId.1": "bogus", "Tag.1.Key": "a", "Tag.1.Value": "b" })).code).toBe("InvalidID");
    expect((await admin.call("DescribeTags")).body.tagSet).toBeFalsy();
    // another project (even an admin) cannot delete or snapshot the volume through EC2
    expect((await admin.call("DeleteVolume", { VolumeId: v })).code).toBe("InvalidVolume.NotFound");
    expect((await admin.call("CreateSnapshot", { VolumeId: v })).code).toBe("InvalidVolume.NotFound");
    expect(items((await demo.call("DescribeVolumes", { "VolumeId.1": v })).body.volumeSet)).toHaveLength(1);
  });
});
