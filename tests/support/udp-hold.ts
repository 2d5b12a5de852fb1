/**
 * A UDP client that keeps ONE connected socket, as a resolver's client library often does:
 * `client IP PORT` sends a datagram every 100 ms from the same source port and prints
 * `reply NAME` for each answer (`error CODE` for each failure) until it is stopped. Run with Bun
 * inside a lab namespace; it shows what a stale conntrack entry does to such a client.
 */
import { createSocket } from "node:dgram";

const [mode, ip, port] = process.argv.slice(2);
if (mode !== "client" || !ip || !port) {
  console.error("usage: udp-hold client IP PORT");
  process.exit(2);
}
const sock = createSocket(ip.includes(":") ? "udp6" : "udp4");
sock.on("message", (msg) => console.log(`reply ${msg.toString().trim().split(/\s+/)[0]}`));
sock.on("error", (e: NodeJS.ErrnoException) => console.log(`error ${e.code ?? e.message}`));
sock.connect(Number(port), ip, () => {
  console.log("connected");
  setInterval(() => sock.send("ping\n"), 100);
});
