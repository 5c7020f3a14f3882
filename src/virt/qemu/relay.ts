/**
 * The guest's metadata connection relay: QEMU's user networking runs this for
 * each guest TCP connection to the metadata address (guestfwd ... cmd:), with
 * the connection on stdin/stdout; it pipes the bytes to the guest's metadata
 * server on a unix socket (argv[2]).
 *
 * Every write to stdout is queued and awaited before the process exits: an
 * exit right after the server closes would otherwise drop an answer still
 * sitting in the pipe (the guest then sees an empty reply).
 */
const path = process.argv[2];
if (!path) process.exit(2);
let out: Promise<unknown> = Promise.resolve();
const leave = (code: number) => {
  out.then(
    () => process.exit(code),
    () => process.exit(1),
  );
};
const sock = await Bun.connect({
  unix: path,
  socket: {
    data(_s, d) {
      const chunk = new Uint8Array(d);
      out = out.then(() => Bun.write(Bun.stdout, chunk));
    },
    close() {
      leave(0);
    },
    error() {
      leave(1);
    },
  },
});
for await (const chunk of Bun.stdin.stream()) sock.write(chunk);
// The guest finished sending (its nc half-closes after the request). No
// half-close towards the server: Bun's HTTP server drops a connection whose
// client has shut down before the answer is written, and the guest then gets
// nothing. The server closes after its HTTP/1.0 answer; a keep-alive one ends
// when the guest hangs up or after 30 s.
setTimeout(() => leave(0), 30_000).unref();
export {};
