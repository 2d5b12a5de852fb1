/**
 * A long-lived TCP conversation for tests that must show an established connection survives
 * (a proxy restart, a mode switch). `server PORT` answers every line with `pong`; `client IP PORT`
 * connects once, sends a line every 100 ms and prints `pongs N` after each answer; it exits 1 the
 * moment the connection fails or closes. Run with Bun inside lab namespaces.
 */
import { connect, createServer } from "node:net";

const [mode, a, b] = process.argv.slice(2);
if (mode === "server") {
  createServer((sock) => {
    sock.on("data", (d) => {
      for (const _ of d.toString().split("\n").slice(1)) sock.write("pong\n");
    });
    sock.on("error", () => {});
  }).listen(Number(a), "0.0.0.0", () => console.log("ready"));
} else if (mode === "client") {
  let pongs = 0;
  const sock = connect({ host: a!, port: Number(b) }, () => {
    console.log("connected");
    setInterval(() => sock.write("ping\n"), 100);
  });
  sock.on("data", (d) => {
    pongs += d.toString().split("\n").length - 1;
    console.log(`pongs ${pongs}`);
  });
  const fail = (why: string) => {
    console.log(`failed: ${why}`);
    process.exit(1);
  };
  sock.on("error", (e) => fail(e.message));
  sock.on("close", () => fail("closed"));
} else {
  console.error("usage: tcp-hold server PORT | client IP PORT");
  process.exit(2);
}
