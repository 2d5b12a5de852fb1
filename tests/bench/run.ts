/**
 * `bun run bench [--quick]`: prints the machine's facts, then runs every benchmark file in this
 * folder in turn, each in its own process (so one's memory does not count against another's),
 * and ends with ONE table of every figure next to its comparison measured in the same run
 * (figure, ours, comparison, ratio, goal, met), followed by the notes (phase splits, caveats).
 * `--quick` uses 1k x 10 and one run, for CI-sized proof that the benchmarks still run; the full
 * run (1k x 10, 10k x 10, 30k x 4, 5 runs each) takes the better part of an hour and stays out of CI.
 * `--only=b1,b2` runs the files whose names start with those prefixes.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { formatTable, parseOutput, type BenchRow } from "./lib/report.ts";

const quick = process.argv.includes("--quick");
const only = process.argv.find((a) => a.startsWith("--only="))?.slice(7).split(",");
const passThrough = process.argv.slice(2).filter((a) => a !== "--quick" && !a.startsWith("--only="));
const benches: Record<string, string[]> = {
  "list-decode.bench.ts": quick ? ["--quick"] : [],
  "nft-shape.bench.ts": quick ? ["1000", "10"] : [],
};

async function text(argv: string[]): Promise<string> {
  try {
    const p = Bun.spawn(argv, { stdout: "pipe", stderr: "pipe", env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` } });
    const [o, e, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    if (code !== 0) return "n/a";
    return (o.trim() || e.trim()).split("\n")[0] ?? "";
  } catch {
    return "n/a";
  }
}

const facts = [
  `kernel ${await text(["uname", "-r"])}`,
  await text(["nft", "--version"]),
  await text(["iptables", "--version"]),
  `bun ${Bun.version}`,
  `${navigator.hardwareConcurrency} CPUs, load average ${(await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" ")}`,
  `tree ${await text(["git", "-C", join(import.meta.dir, "../.."), "describe", "--always", "--dirty"])}`,
];
console.log(`# kube-proxy-bun benchmarks${quick ? " (--quick: 1k x 10, one run)" : ""}\n${facts.map((f) => `- ${f}`).join("\n")}`);

const files = readdirSync(import.meta.dir).filter((f) => f.endsWith(".bench.ts")).filter((f) => !only || only.some((o) => f.startsWith(o))).sort();
const rows: BenchRow[] = [];
const notes: string[] = [];
let failed = 0;
const t0 = performance.now();
for (const file of files) {
  const args = [...(benches[file] ?? (quick ? ["--quick"] : [])), ...(benches[file] ? [] : passThrough)];
  console.log(`\n== ${file} ${args.join(" ")}`);
  const started = performance.now();
  const p = Bun.spawn([process.execPath, join(import.meta.dir, file), ...args], { stdout: "pipe", stderr: "inherit", env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` } });
  let out = "";
  const dec = new TextDecoder();
  for await (const chunk of p.stdout) {
    const s = dec.decode(chunk, { stream: true });
    out += s;
    // Live progress for the untagged output (the older benchmarks print their own tables).
    const plain = parseOutput(s).other;
    if (plain.length) console.log(plain.join("\n"));
  }
  const code = await p.exited;
  const parsed = parseOutput(out);
  rows.push(...parsed.rows);
  notes.push(...parsed.notes);
  console.log(`   ${parsed.rows.length} figure(s), ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (code !== 0) {
    failed++;
    console.log(`!! ${file} failed (exit ${code})`);
    rows.push({ figure: `${file} FAILED (exit ${code})`, ours: "-", comparison: "-", ratio: "-", goal: "runs", met: false });
  }
}
console.log(`\n## Results (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
console.log(formatTable(rows));
const goals = rows.filter((r) => r.met !== null);
console.log(`\n${goals.filter((r) => r.met).length} of ${goals.length} goals met.`);
if (notes.length) console.log(`\n## Where the time and memory go\n\n${notes.map((n) => `- ${n}`).join("\n")}`);
process.exit(failed > 0 ? 1 : 0);
