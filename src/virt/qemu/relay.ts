/**
 * The guest's metadata connection relay: QEMU's user networking runs this for
 * each guest TCP connection to the metadata address (guestfwd ... cmd:), with
 * the connection on stdin/stdout; it pipes the bytes to the guest's metadata
 * server on a unix socket (argv[2]).
 */
const path = process.argv[2];
if (!path) process.exit(2);
const sock = await Bun.connect({
  unix: path,
  socket: {
    data(_s, d) {
      process.stdout.write(d);
    },
    close() {
      process.exit(0);
    },
    error() {
      process.exit(1);
    },
  },
});
for await (const chunk of Bun.stdin.stream()) sock.write(chunk);
// the guest finished sending: half-close, and leave when the server closes
sock.shutdown();
setTimeout(() => process.exit(0), 30_000).unref();
export {};
