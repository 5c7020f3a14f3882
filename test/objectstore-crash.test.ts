import { describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Clock } from "../src/core/clock.ts";
import { Db } from "../src/core/db.ts";
import { silentLogger } from "../src/core/log.ts";
import { syncAll } from "../src/migrations.ts";
import { FsObjectStore } from "../src/objectstore/store.ts";

const CHILD = join(import.meta.dir, "fixtures", "slow-put.ts");

async function killMidPut(data: string, mode: string) {
  const child = Bun.spawn(["bun", CHILD, data, mode], { stdout: "pipe", stderr: "inherit" });
  const reader = child.stdout.getReader();
  let out = "";
  while (!out.includes("writing")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`child ended early: ${out}`);
    out += new TextDecoder().decode(value);
  }
  child.kill("SIGKILL");
  await child.exited;
  return out;
}

describe("kill -9 in the middle of a PUT", () => {
  test("after restart the object is absent, the completed one intact, and no partial file remains", async () => {
    const data = mkdtempSync(join(tmpdir(), "tenrec-crash-"));
    try {
      const out = await killMidPut(data, "complete");
      expect(out).toContain("done");
      const tmpBefore = readdirSync(join(data, "objects", "tmp")).length;
      expect(tmpBefore).toBe(1); // the interrupted write was on disk

      const db = new Db(join(data, "tenrec.db"));
      syncAll(db);
      const store = new FsObjectStore(db, join(data, "objects"), new Clock(), silentLogger, 2 ** 40);
      expect(store.sweep()).toBe(1);
      expect(readdirSync(join(data, "objects", "tmp"))).toEqual([]);
      expect(await store.headObject("AUTH_p", "c", "partial")).toBeUndefined();
      const whole = (await store.headObject("AUTH_p", "c", "whole"))!;
      expect(whole.bytes).toBe(3 * 1024 * 1024);
      const bytes = new Uint8Array(await (await store.openObject("AUTH_p", "c", "whole")).body.arrayBuffer());
      expect(new Bun.CryptoHasher("md5").update(bytes).digest("hex")).toBe(whole.etag);
      const listing = await store.listObjects("AUTH_p", "c", { limit: 10 });
      expect(listing.map((e) => ("name" in e ? e.name : e.subdir))).toEqual(["whole"]);
      db.close();
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });
});
