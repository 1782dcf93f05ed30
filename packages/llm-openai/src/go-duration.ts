const unitMilliseconds: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const durationPattern = /^(?:(\d+(?:\.\d+)?|\.\d+)(ns|us|µs|ms|s|m|h))+$/;
const durationPartPattern = /(\d+(?:\.\d+)?|\.\d+)(ns|us|µs|ms|s|m|h)/g;

/**
 * Parses a Go duration (`12ms`, `1.5s`, `6m0s`, `1h2m3.5s`, `0`) into milliseconds, the form of
 * OpenAI's `x-ratelimit-reset-*` headers, its "try again in …" hints and Collector-style config.
 * Returns undefined for anything else.
 */
export function parseGoDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  if (!durationPattern.test(trimmed)) return undefined;
  let total = 0;
  for (const match of trimmed.matchAll(durationPartPattern)) {
    total += Number(match[1]) * (unitMilliseconds[match[2] as string] ?? Number.NaN);
  }
  return Number.isFinite(total) ? total : undefined;
}
