/**
 * Reads semtel's `/metrics` (Prometheus text exposition) in tests: samples by name and labels,
 * and histogram quantiles from the cumulative buckets.
 */

export interface PrometheusSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const samplePattern = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const labelPattern = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parsePrometheusText(text: string): PrometheusSample[] {
  const samples: PrometheusSample[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const match = samplePattern.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const label of (match[2] ?? '').matchAll(labelPattern)) {
      labels[label[1] as string] = (label[2] as string).replace(/\\(.)/g, (_all, character: string) =>
        character === 'n' ? '\n' : character,
      );
    }
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** GETs the metrics page (bounded) and parses it. */
export async function scrapeMetrics(url: string): Promise<PrometheusSample[]> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}: ${text.slice(0, 200)}`);
  return parsePrometheusText(text);
}

/** The samples of `name` whose labels include `labels`. */
export function samplesOf(
  samples: PrometheusSample[],
  name: string,
  labels: Record<string, string> = {},
): PrometheusSample[] {
  return samples.filter(
    (sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
}

/** The sum of the matching samples; undefined when there is none. */
export function metricValue(
  samples: PrometheusSample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const matching = samplesOf(samples, name, labels);
  if (matching.length === 0) return undefined;
  return matching.reduce((sum, sample) => sum + sample.value, 0);
}

/**
 * A quantile of a histogram from its cumulative `_bucket` samples, interpolated linearly inside
 * the bucket as Prometheus' `histogram_quantile` does; undefined without observations.
 */
export function histogramQuantile(
  samples: PrometheusSample[],
  name: string,
  quantile: number,
  labels: Record<string, string> = {},
): number | undefined {
  const byBound = new Map<number, number>();
  for (const sample of samplesOf(samples, `${name}_bucket`, labels)) {
    const bound = sample.labels.le === '+Inf' ? Infinity : Number(sample.labels.le);
    byBound.set(bound, (byBound.get(bound) ?? 0) + sample.value);
  }
  const buckets = [...byBound].sort(([left], [right]) => left - right);
  const total = buckets.at(-1)?.[1] ?? 0;
  if (total === 0) return undefined;
  const rank = quantile * total;
  let previousBound = 0;
  let previousCount = 0;
  for (const [bound, count] of buckets) {
    if (count >= rank) {
      // Above the largest finite bound Prometheus answers that bound; so do we.
      if (bound === Infinity) return previousBound;
      const inBucket = count - previousCount;
      return inBucket === 0 ? bound : previousBound + ((bound - previousBound) * (rank - previousCount)) / inBucket;
    }
    previousBound = bound;
    previousCount = count;
  }
  return previousBound;
}
