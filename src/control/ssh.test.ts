import { expect, test } from "bun:test";
import { sshForward } from "./ssh.ts";

test("tenrec ssh finds the port-22 forward among a server's metadata", () => {
  expect(sshForward({ role: "web", "tenrec:forward:172.24.4.7": "127.0.0.1:40022->22/tcp" })).toEqual(["127.0.0.1", 40022]);
  expect(sshForward({ "tenrec:forward:172.24.4.7": "127.0.0.1:40080->80/tcp" })).toBeUndefined();
  expect(sshForward({})).toBeUndefined();
});
