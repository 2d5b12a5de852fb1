/**
 * How a benchmark file reports to `run.ts`: each figure is one row (figure, ours, comparison,
 * ratio, goal, met), printed as a tagged JSON line so the runner can gather every file's rows
 * into one table; notes (phase splits, caveats) travel the same way. Also the small statistics
 * the rows are made of (median and max of runs, percentiles).
 */

/** One line of the summary table. `met` is null when the figure has no goal of its own. */
export interface BenchRow {
  figure: string;
  ours: string;
  comparison: string;
  ratio: string;
  goal: string;
  met: boolean | null;
}

const ROW_TAG = "@@bench-row ";
const NOTE_TAG = "@@bench-note ";

/** Prints a row for the runner (and readable enough on its own). */
export function emitRow(row: BenchRow): void {
  console.log(ROW_TAG + JSON.stringify(row));
}

/** Prints a note for the runner: a phase split, a caveat, a figure without comparison. */
export function emitNote(text: string): void {
  console.log(NOTE_TAG + text);
}

/** Splits a benchmark's output into its rows, notes and the rest. */
export function parseOutput(text: string): { rows: BenchRow[]; notes: string[]; other: string[] } {
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  const other: string[] = [];
  for (const line of text.split("\n")) {
    if (line.startsWith(ROW_TAG)) rows.push(JSON.parse(line.slice(ROW_TAG.length)) as BenchRow);
    else if (line.startsWith(NOTE_TAG)) notes.push(line.slice(NOTE_TAG.length));
    else if (line.trim()) other.push(line);
  }
  return { rows, notes, other };
}

/** A markdown table of `rows`. */
export function formatTable(rows: BenchRow[]): string {
  const head = ["figure", "ours", "comparison", "ratio", "goal", "met"];
  const cells = rows.map((r) => [r.figure, r.ours, r.comparison, r.ratio, r.goal, r.met === null ? "-" : r.met ? "yes" : "NO"]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => `| ${c.map((x, i) => x.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(head), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...cells.map(line)].join("\n");
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The p-th percentile (0..100), nearest rank. */
export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** "median / max (n runs)" of milliseconds, in ms or s. */
export function medMax(ms: number[]): string {
  const n = ms.length;
  if (n === 1) return `${fmtMs(ms[0]!)} (1 run)`;
  return `${fmtMs(median(ms))} med, ${fmtMs(Math.max(...ms))} max (${n} runs)`;
}

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return "n/a";
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 10) return `${ms.toFixed(0)} ms`;
  return `${ms.toFixed(1)} ms`;
}

export function fmtMB(kb: number): string {
  return Number.isFinite(kb) ? `${(kb / 1024).toFixed(0)} MiB` : "n/a";
}

export function ratio(a: number, b: number): string {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return "n/a";
  const r = a / b;
  return `${r >= 10 ? r.toFixed(0) : r.toFixed(2)}x`;
}

/** Arguments every benchmark understands: `--quick` (1k x 10, one run) and `--runs=N`. */
export function benchArgs(argv = process.argv.slice(2)): { quick: boolean; runs: number; sizes: { n: number; m: number }[] } {
  const quick = argv.includes("--quick");
  const runsArg = argv.find((a) => a.startsWith("--runs="));
  const sizesArg = argv.find((a) => a.startsWith("--sizes="));
  const runs = runsArg ? Number(runsArg.slice(7)) : quick ? 1 : 5;
  const sizes = sizesArg
    ? sizesArg.slice(8).split(",").map((s) => { const [n, m] = s.split("x").map(Number); return { n: n!, m: m! }; })
    : quick ? [{ n: 1000, m: 10 }] : [{ n: 1000, m: 10 }, { n: 10_000, m: 10 }, { n: 30_000, m: 4 }];
  return { quick, runs, sizes };
}

export const sizeLabel = (s: { n: number; m: number }) => `${s.n >= 1000 ? `${s.n / 1000}k` : s.n} x ${s.m}`;
