/**
 * @aws-sdk/client-ec2 against a live EC2 listener (an in-process cloud on a
 * random port offset, the fake driver), with credentials made through
 * Keystone's OS-EC2 API as `openstack ec2 credentials create` does.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  CreateKeyPairCommand,
  DeleteKeyPairCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeRegionsCommand,
  EC2Client,
  EC2ServiceException,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { removeDataDir, startCloud, type Cloud } from "../cloud.ts";
import { loadConfig } from "../core/config.ts";
import { silentLogger } from "../core/log.ts";

let cloud: Cloud;
let dataDir: string;
let client: EC2Client;
let creds: { accessKeyId: string; secretAccessKey: string };

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "tenrec-ec2sdk-"));
  for (let attempt = 0; ; attempt++) {
    const portOffset = 1000 + Math.floor(Math.random() * 400) * 10;
    const cfg = { ...loadConfig({ dataDir, passwordHashCost: 4, portOffset }, {}), accessLog: false };
    try {
      cloud = await startCloud(cfg, silentLogger);
      break;
    } catch (e) {
      if (attempt > 5) throw e;
    }
  }
  const ks = cloud.url("identity");
  const auth = await fetch(`${ks}/v3/auth/tokens`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      auth: {
        identity: { methods: ["password"], password: { user: { name: "demo", domain: { id: "default" }, password: "secret" } } },
        scope: { project: { name: "demo", domain: { id: "default" } } },
      },
    }),
  });
  const token = auth.headers.get("x-subject-token")!;
  const body = (await auth.json()) as any;
  const cred = await fetch(`${ks}/v3/users/${body.token.user.id}/credentials/OS-EC2`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-auth-token": token },
    body: JSON.stringify({ tenant_id: body.token.project.id }),
  });
  expect(cred.status).toBe(201);
  const c = ((await cred.json()) as any).credential;
  creds = { accessKeyId: c.access, secretAccessKey: c.secret };
  client = new EC2Client({ endpoint: cloud.url("ec2"), region: "RegionOne", credentials: creds });
});

afterAll(async () => {
  client?.destroy();
  await cloud?.stop();
  removeDataDir(dataDir);
});

describe("@aws-sdk/client-ec2 against a live listener", () => {
  test("regions, images, a key pair, and an instance from pending to running to terminated", async () => {
    const regions = await client.send(new DescribeRegionsCommand({}));
    expect(regions.Regions?.map((r) => r.RegionName)).toContain("RegionOne");
    const images = await client.send(new DescribeImagesCommand({}));
    const image = images.Images?.find((i) => i.Name === "cirros-0.6.3-x86_64-disk");
    expect(image?.ImageId).toMatch(/^ami-[0-9a-f]{8,17}$/);
    const kp = await client.send(new CreateKeyPairCommand({ KeyName: "sdk-key" }));
    expect(kp.KeyMaterial).toContain("PRIVATE KEY");

    const run = await client.send(
      new RunInstancesCommand({ ImageId: image!.ImageId, InstanceType: "m1.tiny" as never, MinCount: 1, MaxCount: 1, KeyName: "sdk-key" }),
    );
    const id = run.Instances![0]!.InstanceId!;
    expect(id).toMatch(/^i-[0-9a-f]{8,17}$/);
    let state = "";
    for (let i = 0; i < 200 && state !== "running"; i++) {
      const d = await client.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
      state = d.Reservations![0]!.Instances![0]!.State!.Name!;
      if (state !== "running") await Bun.sleep(20);
    }
    expect(state).toBe("running");
    const term = await client.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    expect(term.TerminatingInstances![0]!.InstanceId).toBe(id);
    await client.send(new DeleteKeyPairCommand({ KeyName: "sdk-key" }));
  });

  test("errors come back as EC2's: unknown instance, wrong secret", async () => {
    const notFound = await client.send(new DescribeInstancesCommand({ InstanceIds: ["i-0123456789abcdef0"] })).catch((e) => e);
    expect(notFound).toBeInstanceOf(EC2ServiceException);
    expect(notFound.name).toBe("InvalidInstanceID.NotFound");
    const bad = new EC2Client({ endpoint: cloud.url("ec2"), region: "RegionOne", credentials: { ...creds, secretAccessKey: "wrong" } });
    const denied = await bad.send(new DescribeRegionsCommand({})).catch((e) => e);
    bad.destroy();
    expect(denied.name).toBe("AuthFailure");
    expect(denied.$metadata.httpStatusCode).toBe(401);
  });
});
