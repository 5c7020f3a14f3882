import { describe, expect, test } from "bun:test";
import { hexId, isRequestId, requestId, secretToken } from "./ids.ts";

describe("ids", () => {
  test("secretToken never starts with '-' (CLIs would parse it as an option)", () => {
    // 2000 draws of 11 characters: with a plain base64url token about 31 would start with '-'.
    for (let i = 0; i < 2000; i++) expect(secretToken(8).startsWith("-")).toBe(false);
  });
  test("request ids are req-<uuid>; only well-formed ones are accepted from callers", () => {
    expect(requestId()).toMatch(/^req-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(isRequestId(requestId())).toBe(true);
    expect(isRequestId("req-x")).toBe(false);
    expect(isRequestId("req-11111111-2222-3333-4444-555555555555; drop")).toBe(false);
    expect(hexId()).toMatch(/^[0-9a-f]{32}$/);
  });
});
