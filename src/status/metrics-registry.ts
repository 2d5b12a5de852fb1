/**
 * A minimal Prometheus registry: counters, gauges and histograms with labels, rendered in the
 * text exposition format (0.0.4). Small enough to own, so metric names match upstream exactly.
 */

type Labels = Record<string, string>;

interface Family {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram";
  render(): string[];
}

function labelText(labels: Labels, extra?: [string, string]): string {
  const pairs = Object.entries(labels);
  if (extra) pairs.push(extra);
  if (pairs.length === 0) return "";
  return `{${pairs.map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"')}"`).join(",")}}`;
}

const keyOf = (labels: Labels) => JSON.stringify(Object.entries(labels).sort());

function num(n: number): string {
  if (n === Infinity) return "+Inf";
  return Number.isInteger(n) ? String(n) : String(n);
}

/** A counter or gauge: one value per label set. */
export class Scalar {
  private readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(readonly name: string) {}
  set(value: number, labels: Labels = {}): void {
    this.values.set(keyOf(labels), { labels, value });
  }
  inc(by = 1, labels: Labels = {}): void {
    const cur = this.values.get(keyOf(labels))?.value ?? 0;
    this.set(cur + by, labels);
  }
  get(labels: Labels = {}): number | undefined {
    return this.values.get(keyOf(labels))?.value;
  }
  render(): string[] {
    return [...this.values.values()].map(({ labels, value }) => `${this.name}${labelText(labels)} ${num(value)}`);
  }
}

/** A histogram with fixed upper bounds (seconds). */
export class Histogram {
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly buckets: number[],
  ) {}
  observe(value: number, labels: Labels = {}): void {
    const k = keyOf(labels);
    let s = this.series.get(k);
    if (!s) this.series.set(k, (s = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 }));
    this.buckets.forEach((b, i) => {
      if (value <= b) s.counts[i]!++;
    });
    s.sum += value;
    s.count++;
  }
  count(labels: Labels = {}): number {
    return this.series.get(keyOf(labels))?.count ?? 0;
  }
  render(): string[] {
    const out: string[] = [];
    for (const s of this.series.values()) {
      this.buckets.forEach((b, i) => out.push(`${this.name}_bucket${labelText(s.labels, ["le", num(b)])} ${s.counts[i]}`));
      out.push(`${this.name}_bucket${labelText(s.labels, ["le", "+Inf"])} ${s.count}`);
      out.push(`${this.name}_sum${labelText(s.labels)} ${s.sum}`);
      out.push(`${this.name}_count${labelText(s.labels)} ${s.count}`);
    }
    return out;
  }
}

/** `count` buckets starting at `start`, each `factor` times the last (Prometheus' ExponentialBuckets). */
export function exponentialBuckets(start: number, factor: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => start * factor ** i);
}

export class MetricsRegistry {
  private readonly families: Family[] = [];
  private readonly collectors: (() => void)[] = [];

  /** Runs `fn` before every render: for values read at scrape time (process metrics). */
  onCollect(fn: () => void): void {
    this.collectors.push(fn);
  }

  counter(name: string, help: string): Scalar {
    return this.add(new Scalar(name), name, help, "counter");
  }
  gauge(name: string, help: string): Scalar {
    return this.add(new Scalar(name), name, help, "gauge");
  }
  histogram(name: string, help: string, buckets: number[]): Histogram {
    return this.add(new Histogram(name, buckets), name, help, "histogram");
  }

  /** The whole registry in Prometheus text format. */
  render(): string {
    for (const collect of this.collectors) collect();
    const lines: string[] = [];
    for (const f of this.families) {
      lines.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`, ...f.render());
    }
    return lines.join("\n") + "\n";
  }

  private add<T extends Scalar | Histogram>(metric: T, name: string, help: string, type: Family["type"]): T {
    if (this.families.some((f) => f.name === name)) throw new Error(`metric ${name} registered twice`);
    this.families.push({ name, help, type, render: () => metric.render() });
    return metric;
  }
}
