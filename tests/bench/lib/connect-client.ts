/**
 * A TCP client run inside a lab namespace (`ip netns exec <client-ns> bun connect-client.ts`):
 *
 *   seq  <ip> <port> <count>            sequential connects; each one's connect time (SYN to
 *                                       SYN-ACK as the client sees it), then an immediate close
 *   rate <ip> <port> <perSecond> <ms>   opens connections at a fixed rate for `ms`; counts the
 *                                       ones that connected and the ones that failed (1 s timeout)
 *
 * Prints one JSON line. Bounded: both modes stop by themselves.
 */
import { createConnection } from "node:net";

function connectOnce(ip: string, port: number, timeoutMs: number): Promise<{ ok: boolean; ms: number; code?: string }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const sock = createConnection({ host: ip, port });
    let done = false;
    const finish = (ok: boolean, code?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const ms = performance.now() - t0;
      sock.destroy();
      resolve({ ok, ms, code });
    };
    const timer = setTimeout(() => finish(false, "ETIMEDOUT"), timeoutMs);
    sock.on("connect", () => finish(true));
    sock.on("error", (e: NodeJS.ErrnoException) => finish(false, e.code ?? "EUNKNOWN"));
  });
}

const [mode, ip, portText, a, b] = process.argv.slice(2);
const port = Number(portText);
if (mode === "seq") {
  const count = Number(a);
  const ms: number[] = [];
  let failed = 0;
  for (let i = 0; i < count; i++) {
    const r = await connectOnce(ip!, port, 1000);
    if (r.ok) ms.push(r.ms);
    else failed++;
  }
  await Bun.write(Bun.stdout, JSON.stringify({ ms, failed }) + "\n");
} else if (mode === "rate") {
  const perSecond = Number(a);
  const durationMs = Number(b);
  const start = performance.now();
  const pending: Promise<{ ok: boolean; ms: number; code?: string; at: number }>[] = [];
  for (let k = 0; ; k++) {
    const due = start + (k * 1000) / perSecond;
    if (due - start >= durationMs) break;
    const wait = due - performance.now();
    if (wait > 1) await Bun.sleep(wait);
    const at = performance.now() - start;
    pending.push(connectOnce(ip!, port, 1000).then((r) => ({ ...r, at })));
  }
  const results = await Promise.all(pending);
  const failures = results.filter((r) => !r.ok).map((r) => ({ at: Math.round(r.at), code: r.code }));
  await Bun.write(Bun.stdout, JSON.stringify({ sent: results.length, ok: results.length - failures.length, failures: failures.slice(0, 50), failedCount: failures.length, spanMs: performance.now() - start }) + "\n");
}
// Bun.write above has written everything when it resolves; process.stdout.write then exit could cut a
// large result off on a pipe (it did once: 20k latencies, "JSON Parse error" in B5).
process.exit(0);
