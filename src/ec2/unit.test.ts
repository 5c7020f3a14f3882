/** The EC2 API's pure parts: parameters, XML, ids, states, filters, pagination. */
import { describe, expect, test } from "bun:test";
import { applyFilters, paginate, UNKNOWN_FILTER } from "./common.ts";
import { Params } from "./params.ts";
import { kindOf } from "./store.ts";
import { stateOf } from "./actions/instances.ts";
import { ec2Xml } from "./xml.ts";

const params = (o: Record<string, string>) => new Params(new Map(Object.entries(o)));

describe("Params", () => {
  test("lists come back in index order, not insertion order", () => {
    const p = params({ "InstanceId.10": "c", "InstanceId.2": "b", "InstanceId.1": "a", Other: "x" });
    expect(p.list("InstanceId")).toEqual(["a", "b", "c"]);
  });
  test("filters and nested structures", () => {
    const p = params({
      "Filter.1.Name": "tag:Name", "Filter.1.Value.1": "web", "Filter.1.Value.2": "db",
      "Filter.2.Name": "instance-state-name", "Filter.2.Value.1": "running",
      "IpPermissions.1.IpProtocol": "tcp", "IpPermissions.1.IpRanges.2.CidrIp": "10.0.0.0/8", "IpPermissions.1.IpRanges.1.CidrIp": "0.0.0.0/0",
    });
    expect(p.filters()).toEqual([{ name: "tag:Name", values: ["web", "db"] }, { name: "instance-state-name", values: ["running"] }]);
    const perm = p.structs("IpPermissions")[0]!;
    expect(perm.get("IpProtocol")).toBe("tcp");
    expect(perm.list("IpRanges", "CidrIp")).toEqual(["0.0.0.0/0", "10.0.0.0/8"]);
  });
  test("required, int and bool answer EC2 errors", () => {
    const p = params({ MinCount: "two", Flag: "maybe", Empty: "" });
    expect(() => p.required("ImageId")).toThrow(expect.objectContaining({ type: "MissingParameter", status: 400 }));
    expect(() => p.required("Empty")).toThrow(expect.objectContaining({ type: "MissingParameter" }));
    expect(() => p.int("MinCount")).toThrow(expect.objectContaining({ type: "InvalidParameterValue" }));
    expect(() => p.bool("Flag")).toThrow(expect.objectContaining({ type: "InvalidParameterValue" }));
    expect(params({ N: "3" }).int("N")).toBe(3);
  });
});

describe("XML", () => {
  test("arrays are <item> lists, undefined is left out, text is escaped", () => {
    const xml = ec2Xml("DescribeTags", "req-1", { tagSet: [{ key: "a<b", value: "x & 'y'", missing: undefined }], empty: [] });
    expect(xml).toContain('<DescribeTagsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>req-1</requestId>');
    expect(xml).toContain("<tagSet><item><key>a&lt;b</key><value>x &amp; &apos;y&apos;</value></item></tagSet><empty></empty>");
    expect(xml).not.toContain("missing");
  });
});

describe("ids", () => {
  test("kindOf knows the prefixes and both id lengths", () => {
    expect(kindOf("i-0123456789abcdef0")).toBe("instance");
    expect(kindOf("i-01234567")).toBe("instance");
    expect(kindOf("aki-01234567")).toBe("image");
    expect(kindOf("eipalloc-0123456789abcdef0")).toBe("eip");
    expect(kindOf("i-0123")).toBeUndefined();
    expect(kindOf("i-0123456789ABCDEF0")).toBeUndefined();
    expect(kindOf("xyz-01234567")).toBeUndefined();
  });
});

describe("instance states", () => {
  const s = (status: string, task: string | null = null, vm = "active") => stateOf({ status, "OS-EXT-STS:task_state": task, "OS-EXT-STS:vm_state": vm });
  test("Nova statuses and task states map to EC2 codes", () => {
    expect(s("BUILD", "spawning", "building")).toEqual({ code: 0, name: "pending" });
    expect(s("ACTIVE")).toEqual({ code: 16, name: "running" });
    expect(s("ACTIVE", "powering-off")).toEqual({ code: 64, name: "stopping" });
    expect(s("SHUTOFF", null, "stopped")).toEqual({ code: 80, name: "stopped" });
    expect(s("SHUTOFF", "powering-on", "stopped")).toEqual({ code: 0, name: "pending" });
    expect(s("ACTIVE", "deleting")).toEqual({ code: 32, name: "shutting-down" });
    expect(s("DELETED", null, "deleted")).toEqual({ code: 48, name: "terminated" });
    expect(s("REBOOT", "rebooting")).toEqual({ code: 16, name: "running" });
  });
});

describe("filters and pagination", () => {
  const rows = [{ n: "web-1", tags: ["a"] }, { n: "web-2", tags: [] }, { n: "db-1", tags: ["a", "b"] }];
  const get = (r: (typeof rows)[number], name: string) => (name === "name" ? r.n : name === "tag" ? r.tags : UNKNOWN_FILTER);
  test("values are OR'ed, filters AND'ed, wildcards match", () => {
    expect(applyFilters(rows, [{ name: "name", values: ["web-*", "db-?"] }], get).map((r) => r.n)).toEqual(["web-1", "web-2", "db-1"]);
    expect(applyFilters(rows, [{ name: "name", values: ["web-*"] }, { name: "tag", values: ["a"] }], get).map((r) => r.n)).toEqual(["web-1"]);
    expect(applyFilters(rows, [{ name: "name", values: ["w.b-1"] }], get)).toEqual([]);
  });
  test("an unknown filter name is refused, even over an empty list", () => {
    expect(() => applyFilters(rows, [{ name: "colour", values: ["x"] }], get)).toThrow(expect.objectContaining({ type: "InvalidParameterValue" }));
    expect(() => applyFilters([] as typeof rows, [{ name: "colour", values: ["x"] }], get)).toThrow(expect.objectContaining({ type: "InvalidParameterValue" }));
  });
  test("NextToken continues where the page ended", () => {
    const items = Array.from({ length: 12 }, (_, i) => i);
    const a = paginate(items, params({ MaxResults: "5" }));
    expect(a.page).toEqual([0, 1, 2, 3, 4]);
    const b = paginate(items, params({ MaxResults: "5", NextToken: a.nextToken! }));
    const c = paginate(items, params({ MaxResults: "5", NextToken: b.nextToken! }));
    expect([...b.page, ...c.page]).toEqual([5, 6, 7, 8, 9, 10, 11]);
    expect(c.nextToken).toBeUndefined();
    expect(() => paginate(items, params({ NextToken: "!!!" }))).toThrow(expect.objectContaining({ type: "InvalidParameterValue" }));
  });
});
