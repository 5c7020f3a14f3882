import { describe, expect, test } from "bun:test";
import { ChanceScheduler, FilterScheduler, SimpleScheduler, type HostState, type RequestSpec } from "./index.ts";

const host = (name: string, o: Partial<HostState> = {}): HostState => ({
  host: name, node: name, zone: "nova", up: true, disabled: false, vcpus: 4, memoryMb: 4096, localGb: 100,
  vcpusUsed: 0, memoryMbUsed: 0, localGbUsed: 0, instances: 0, groups: new Set(), ...o,
});
const spec = (o: Partial<RequestSpec> = {}): RequestSpec => ({ instanceUuid: "u", vcpus: 1, memoryMb: 512, rootGb: 1, availabilityZone: null, ...o });

describe("filter scheduler", () => {
  test("RAM, disk and vCPU filters drop hosts without room (with Nova's allocation ratios)", () => {
    const s = new FilterScheduler();
    // 4096 MB × 1.5 = 6144: 5800 used leaves 344 < 512
    expect(s.select(spec(), [host("a", { memoryMbUsed: 5800 })])).toBeUndefined();
    expect(s.select(spec({ rootGb: 200 }), [host("a")])).toBeUndefined();
    expect(s.select(spec({ vcpus: 65 }), [host("a")])).toBeUndefined();
    expect(s.select(spec({ vcpus: 64 }), [host("a")])?.host).toBe("a");
  });
  test("down or disabled hosts are never chosen; a requested zone is honoured", () => {
    const s = new FilterScheduler();
    const hosts = [host("down", { up: false }), host("off", { disabled: true }), host("ok")];
    for (let n = 0; n < 20; n++) expect(s.select(spec(), hosts)?.host).toBe("ok");
    const zoned = [...hosts, host("az2", { zone: "az2", memoryMbUsed: 3000 })];
    for (let n = 0; n < 20; n++) expect(s.select(spec({ availabilityZone: "az2" }), zoned)?.host).toBe("az2");
    expect(s.select(spec({ availabilityZone: "az3" }), zoned)).toBeUndefined();
  });
  test("the RAM weigher spreads: the host with the most free RAM wins", () => {
    const s = new FilterScheduler();
    expect(s.select(spec(), [host("busy", { memoryMbUsed: 3000 }), host("idle")])?.host).toBe("idle");
  });
  test("affinity sticks to the group's host, anti-affinity avoids it", () => {
    const s = new FilterScheduler();
    const hosts = [host("a"), host("b", { memoryMbUsed: 2000 })];
    const group = (policy: string, maxPerHost?: number) => ({ id: "g", policy, hosts: new Map([["b", 1]]), maxPerHost });
    expect(s.select(spec({ group: group("affinity") }), hosts)?.host).toBe("b");
    expect(s.select(spec({ group: group("anti-affinity") }), [host("b")])).toBeUndefined();
    // max_server_per_host 2: a second member may join b
    expect(s.select(spec({ group: group("anti-affinity", 2) }), [host("b")])?.host).toBe("b");
  });
});

test("simple picks the least loaded host; chance only hosts that are up", () => {
  expect(new SimpleScheduler().select(spec(), [host("a", { vcpusUsed: 3 }), host("b", { vcpusUsed: 1 })])?.host).toBe("b");
  for (let n = 0; n < 20; n++) expect(new ChanceScheduler().select(spec(), [host("a", { up: false }), host("b")])?.host).toBe("b");
});
