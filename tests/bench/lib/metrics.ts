/**
 * Reading the proxy's Prometheus text: a histogram's cumulative buckets for one label set,
 * differences between two scrapes, and quantiles the way Prometheus' histogram_quantile
 * interpolates them (linear within the bucket).
 */
export type Buckets = { le: number; count: number }[];

/** Cumulative buckets of `name` whose labels include `match` (e.g. `ip_family="IPv4"`). */
export function histogram(text: string, name: string, match: string): Buckets {
  const out: Buckets = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}_bucket{`) || !line.includes(match)) continue;
    const le = /le="([^"]+)"/.exec(line)?.[1];
    const v = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (le !== undefined) out.push({ le: le === "+Inf" ? Infinity : Number(le), count: v });
  }
  return out.sort((a, b) => a.le - b.le);
}

export function diff(later: Buckets, earlier: Buckets): Buckets {
  return later.map((b) => ({ le: b.le, count: b.count - (earlier.find((e) => e.le === b.le)?.count ?? 0) }));
}

/** The q-quantile (0..1) in seconds; NaN without observations. */
export function quantile(b: Buckets, q: number): number {
  const total = b.at(-1)?.count ?? 0;
  if (total === 0) return NaN;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const { le, count } of b) {
    if (count >= rank) {
      if (le === Infinity) return prevLe;
      return prevLe + ((le - prevLe) * (rank - prevCount)) / Math.max(count - prevCount, 1e-9);
    }
    prevLe = le;
    prevCount = count;
  }
  return prevLe;
}

export const total = (b: Buckets) => b.at(-1)?.count ?? 0;

/** utime + stime of a process in seconds (clock ticks at 100 Hz). */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await Bun.file(`/proc/${pid}/stat`).text();
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
