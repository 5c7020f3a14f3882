/** A listening cloud for the dashboard tests (the dashboard reaches services over HTTP, as Horizon does). */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCloud, removeDataDir, type Cloud } from "../../src/cloud.ts";
import { loadConfig, type Config } from "../../src/core/config.ts";
import { silentLogger } from "../../src/core/log.ts";

/** Try a few port offsets in the dashboard's range until every port is free (other helpers' clouds share the machine). */
export async function listeningCloud(offsets: number[], overrides: Partial<Config> = {}): Promise<{ cloud: Cloud; close(): Promise<void> }> {
  let last: unknown;
  for (const portOffset of offsets) {
    const dataDir = mkdtempSync(join(tmpdir(), "tenrec-dash-"));
    try {
      const cfg = { ...loadConfig({ dataDir, passwordHashCost: 4, portOffset }, {}), accessLog: false, ...overrides };
      const cloud = await startCloud(cfg, silentLogger);
      return {
        cloud,
        async close() {
          await cloud.stop();
          removeDataDir(dataDir);
        },
      };
    } catch (e) {
      last = e;
      removeDataDir(dataDir);
    }
  }
  throw last;
}
