import { describe, expect, test } from "bun:test";
import { ApiError } from "./errors.ts";
import { requestedMv, type MicroversionSpec } from "./microversion.ts";

const spec: MicroversionSpec = { serviceType: "compute", legacyHeader: "x-openstack-nova-api-version", min: [2, 1], max: [2, 90] };
const h = (o: Record<string, string>) => new Headers(o);

describe("microversion negotiation", () => {
  test("no header means the minimum; latest means the maximum", () => {
    expect(requestedMv(h({}), spec)).toEqual([2, 1]);
    expect(requestedMv(h({ "openstack-api-version": "compute latest" }), spec)).toEqual([2, 90]);
  });
  test("the standard header wins over the legacy one, and other services' entries are ignored", () => {
    expect(requestedMv(h({ "openstack-api-version": "volume 3.5, compute 2.47", "x-openstack-nova-api-version": "2.10" }), spec)).toEqual([2, 47]);
    expect(requestedMv(h({ "openstack-api-version": "volume 3.5", "x-openstack-nova-api-version": "2.10" }), spec)).toEqual([2, 10]);
  });
  test("out of range is 406, malformed is 400", () => {
    const status = (hdr: Record<string, string>) => {
      try {
        requestedMv(h(hdr), spec);
        return 0;
      } catch (e) {
        return (e as ApiError).status;
      }
    };
    expect(status({ "openstack-api-version": "compute 2.91" })).toBe(406);
    expect(status({ "openstack-api-version": "compute 1.9" })).toBe(406);
    expect(status({ "openstack-api-version": "compute 2.x" })).toBe(400);
    expect(status({ "x-openstack-nova-api-version": "2.02" })).toBe(400);
  });
});
