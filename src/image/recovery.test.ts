import { afterAll, beforeAll, expect, test } from "bun:test";
import { glanceTest, type GlanceTest } from "./testing.ts";

let g: GlanceTest;
beforeAll(async () => {
  g = await glanceTest();
});
afterAll(() => g.close());

test("a restart returns uploads and imports caught mid-way to queued, and fails their tasks", async () => {
  const a = await g.create({ name: "was-saving" });
  const b = await g.create({ name: "was-importing" });
  const ctx = g.image.ctx;
  ctx.store.update(a.id, { status: "saving" });
  ctx.store.update(b.id, { status: "importing" });
  ctx.store.insertTask({
    id: crypto.randomUUID(), imageId: b.id, type: "api_image_import", status: "processing", owner: null, userId: null, requestId: null,
    input: {}, result: null, message: "", createdAt: 0, updatedAt: 0, expiresAt: null,
  });
  await g.image.bootstrap(); // what a new process does at start
  const show = async (id: string) => ((await (await g.req("GET", `/v2/images/${id}`)).json()) as any).status;
  expect(await show(a.id)).toBe("queued");
  expect(await show(b.id)).toBe("queued");
  const tasks = ((await (await g.req("GET", `/v2/images/${b.id}/tasks`)).json()) as any).tasks;
  expect(tasks[0].status).toBe("failure");
});
