/**
 * `bun run bench [--quick]`: runs every benchmark file in this folder in turn, each in its own
 * process (so one's memory does not count against another's), and prints their tables.
 * `--quick` uses the small sizes (1k Services), for CI and a first look.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";

const quick = process.argv.includes("--quick");
const benches: Record<string, string[]> = {
  "list-decode.bench.ts": quick ? ["--quick"] : [],
  "nft-shape.bench.ts": quick ? ["1000", "10"] : [],
};
const files = readdirSync(import.meta.dir).filter((f) => f.endsWith(".bench.ts")).sort();
let failed = 0;
for (const file of files) {
  const args = benches[file] ?? (quick ? ["--quick"] : []);
  console.log(`\n== ${file} ${args.join(" ")}`);
  const p = Bun.spawn([process.execPath, join(import.meta.dir, file), ...args], { stdout: "inherit", stderr: "inherit" });
  if ((await p.exited) !== 0) {
    failed++;
    console.log(`!! ${file} failed`);
  }
}
process.exit(failed > 0 ? 1 : 0);
