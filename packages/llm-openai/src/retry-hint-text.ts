const unitMilliseconds: ReadonlyMap<string, number> = new Map([
  ['ns', 1e-6],
  ['us', 1e-3],
  ['µs', 1e-3],
  ['ms', 1],
  ['msec', 1],
  ['msecs', 1],
  ['millis', 1],
  ['millisecond', 1],
  ['milliseconds', 1],
  ['s', 1000],
  ['sec', 1000],
  ['secs', 1000],
  ['second', 1000],
  ['seconds', 1000],
  ['m', 60_000],
  ['min', 60_000],
  ['mins', 60_000],
  ['minute', 60_000],
  ['minutes', 60_000],
  ['h', 3_600_000],
  ['hr', 3_600_000],
  ['hrs', 3_600_000],
  ['hour', 3_600_000],
  ['hours', 3_600_000],
]);

// Longest alternatives first, so `ms` is not read as `m` and `minutes` not as `m` + garbage.
const unit = '(?:milliseconds?|millis|msecs?|ms|ns|us|µs|seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h)';
const number = '(?:\\d+(?:\\.\\d+)?|\\.\\d+)';
// A unit must end the word: "5 months" is not "5 m" + "onths".
const part = `${number}\\s*${unit}(?![a-zµ])`;
// Parts follow each other directly (`6m0s`) or after spaces, commas or "and" ("1 minute and 30 seconds").
const hintPattern = new RegExp(
  `\\b(?:try again in|retry after|retry in)\\s+(${part}(?:[\\s,]*(?:and\\s+)?${part})*)`,
  'i',
);
const partPattern = new RegExp(`(${number})\\s*(${unit})(?![a-zµ])`, 'gi');

/**
 * The wait an error message asks for, in milliseconds: OpenAI's "Please try again in 1.2s" / "in 84ms" /
 * "in 6m0s", Azure's "Please retry after 37 seconds", and the spelled-out forms other gateways write
 * ("try again in 59 seconds", "in 1 minute", "in 1 minute and 30 seconds"). Undefined without a number.
 */
export function parseRetryHintText(message: string): number | undefined {
  const hint = hintPattern.exec(message);
  if (!hint) return undefined;
  let total = 0;
  for (const match of (hint[1] as string).matchAll(partPattern)) {
    total += Number(match[1]) * (unitMilliseconds.get((match[2] as string).toLowerCase()) ?? Number.NaN);
  }
  return Number.isFinite(total) ? total : undefined;
}
