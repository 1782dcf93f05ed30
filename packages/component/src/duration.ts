import { z } from 'zod';

const millisecondsPerUnit: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const component = /(\d*\.?\d*)([a-zµμ]+)/y;

/**
 * Parses a Go-style duration (`time.ParseDuration`): "300ms", "1.5s", "1m30s", "2h45m", "-5s",
 * or "0". Returns milliseconds (fractional below 1 ms). Throws an Error that names the input.
 */
export function parseDuration(text: string): number {
  const input = text.trim();
  let rest = input;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest.startsWith('-')) sign = -1;
    rest = rest.slice(1);
  }
  // Go accepts a bare zero only; any other number needs a unit, so "30" is never guessed at.
  if (rest === '0') return 0;
  if (rest === '') throw new Error(`invalid duration "${text}"`);
  let total = 0;
  let position = 0;
  while (position < rest.length) {
    component.lastIndex = position;
    const match = component.exec(rest);
    const digits = match?.[1] ?? '';
    const unit = match?.[2] ?? '';
    if (match === null || digits === '' || digits === '.') {
      throw new Error(`invalid duration "${text}": expected a number followed by a unit such as "5s"`);
    }
    const scale = millisecondsPerUnit[unit];
    if (scale === undefined) {
      throw new Error(`invalid duration "${text}": unknown unit "${unit}" (use ns, us, ms, s, m or h)`);
    }
    total += Number(digits) * scale;
    position = component.lastIndex;
  }
  return sign * total;
}

/** Formats milliseconds the way Go prints a duration, for log messages ("1m30s", "250ms"). */
export function formatDuration(milliseconds: number): string {
  if (milliseconds === 0) return '0s';
  if (Math.abs(milliseconds) < 1000) return `${Number(milliseconds.toFixed(3))}ms`;
  const sign = milliseconds < 0 ? '-' : '';
  let rest = Math.abs(milliseconds) / 1000;
  const hours = Math.floor(rest / 3600);
  rest -= hours * 3600;
  const minutes = Math.floor(rest / 60);
  rest -= minutes * 60;
  const seconds = Number(rest.toFixed(3));
  return `${sign}${hours > 0 ? `${hours}h` : ''}${hours > 0 || minutes > 0 ? `${minutes}m` : ''}${seconds}s`;
}

/**
 * A config duration: a Go-style string, or a number of milliseconds (so that parsed config can be
 * parsed again). The output is milliseconds.
 */
export const durationSchema = z.union([z.string(), z.number()]).transform((value, context) => {
  let milliseconds: number;
  if (typeof value === 'number') {
    milliseconds = value;
  } else {
    try {
      milliseconds = parseDuration(value);
    } catch (error) {
      context.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  }
  if (!Number.isFinite(milliseconds) || milliseconds < 0) {
    context.addIssue({ code: 'custom', message: `duration must be zero or positive, got ${String(value)}` });
    return z.NEVER;
  }
  return milliseconds;
});
