import { describe, expect, test } from "bun:test";
import { prefers } from "./faults.ts";

describe("Glance error format negotiation (webob's offers: text/html, then application/json)", () => {
  test("by Accept", () => {
    expect(prefers("application/json")).toBe("json");
    expect(prefers("")).toBe("html");
    expect(prefers("*/*")).toBe("html");
    expect(prefers("text/plain")).toBe("plain");
    expect(prefers("text/html;q=0.1, application/json")).toBe("json");
    expect(prefers("application/json;q=0.2, text/html;q=0.9")).toBe("html");
    expect(prefers("application/octet-stream")).toBe("plain");
  });
});
