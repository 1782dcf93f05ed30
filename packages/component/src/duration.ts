import { z } from 'zod';

const unitMilliseconds: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const durationPattern = /^(?:(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h))+$/;
const durationPartPattern = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;

/**
 * Parses a Go-style duration as the collector writes them ("5s", "1m30s", "250ms", "0")
 * into milliseconds. Returns undefined for anything else, so callers can report the path.
 */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  if (!durationPattern.test(trimmed)) return undefined;
  let total = 0;
  for (const match of trimmed.matchAll(durationPartPattern)) {
    total += Number(match[1]) * (unitMilliseconds[match[2] as string] ?? Number.NaN);
  }
  return Number.isFinite(total) ? total : undefined;
}

/** A config field holding a duration: a Go-style string, or a number of milliseconds. */
export const durationSchema = z.union([z.number().nonnegative(), z.string()]).transform((value, context) => {
  if (typeof value === 'number') return value;
  const parsed = parseDuration(value);
  if (parsed === undefined) {
    context.addIssue({ code: 'custom', message: `invalid duration "${value}" (use forms like 500ms, 5s, 1m30s)` });
    return z.NEVER;
  }
  return parsed;
});
