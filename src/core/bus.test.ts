import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Bus, busMigrations } from "./bus.ts";
import { Db } from "./db.ts";
import { silentLogger } from "./log.ts";

function setup() {
  const dir = mkdtempSync(join(tmpdir(), "tenrec-bus-"));
  const db = new Db(join(dir, "t.db"));
  db.migrate("core", busMigrations);
  return { db, dir, bus: new Bus(db, silentLogger) };
}

describe("Bus", () => {
  test("cast is asynchronous and reaches the consumer", async () => {
    const { bus, db, dir } = setup();
    const got: number[] = [];
    bus.consume<number, void>("work", (n) => void got.push(n));
    bus.cast("work", 1);
    expect(got).toEqual([]); // not synchronous
    await bus.drain();
    expect(got).toEqual([1]);
    db.close();
    rmSync(dir, { recursive: true });
  });

  test("call returns the consumer's answer and propagates its error", async () => {
    const { bus, db, dir } = setup();
    bus.consume<number, number>("double", (n) => {
      if (n < 0) throw new Error("negative");
      return n * 2;
    });
    expect(await bus.call<number, number>("double", 21)).toBe(42);
    await expect(bus.call("double", -1)).rejects.toThrow("negative");
    await expect(bus.call("nobody", 1)).rejects.toThrow();
    db.close();
    rmSync(dir, { recursive: true });
  });

  test("publish fans out to matching subscribers", async () => {
    const { bus, db, dir } = setup();
    const seen: string[] = [];
    bus.subscribe("compute.instance.*", (e) => void seen.push(`a:${e.event_type}`));
    bus.subscribe("*", (e) => void seen.push(`b:${e.event_type}`));
    bus.publish("compute.instance.create.end", { id: 1 });
    bus.publish("identity.user.created", {});
    await bus.drain();
    expect(seen.sort()).toEqual(
      ["a:compute.instance.create.end", "b:compute.instance.create.end", "b:identity.user.created"].sort(),
    );
    db.close();
    rmSync(dir, { recursive: true });
  });

  test("durable tasks survive a crash and are resumed once", async () => {
    const { bus, db, dir } = setup();
    // No consumer yet: the task is persisted and waits (as after a crash).
    bus.castDurable("build", { id: "vm1" });
    expect(bus.pendingTasks()).toBe(1);
    db.close();

    const db2 = new Db(join(dir, "t.db"));
    const bus2 = new Bus(db2, silentLogger);
    const done: string[] = [];
    bus2.consume<{ id: string }, void>("build", (m) => void done.push(m.id));
    expect(bus2.resume()).toBe(1);
    await bus2.drain();
    expect(done).toEqual(["vm1"]);
    expect(bus2.pendingTasks()).toBe(0);
    db2.close();
    rmSync(dir, { recursive: true });
  });

  test("a failed durable task is removed, not retried forever", async () => {
    const { bus, db, dir } = setup();
    bus.consume("fail", () => {
      throw new Error("boom");
    });
    bus.castDurable("fail", {});
    await bus.drain();
    expect(bus.pendingTasks()).toBe(0);
    db.close();
    rmSync(dir, { recursive: true });
  });
});
