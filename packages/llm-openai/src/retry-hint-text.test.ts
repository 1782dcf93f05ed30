import { describe, expect, it } from 'vitest';
import { parseRetryHintText } from './retry-hint-text.js';

describe('parseRetryHintText', () => {
  it.each([
    ['Please try again in 1.2s. Visit https://platform.openai.com/account/rate-limits', 1200],
    ['Limit 200000, Used 195869, Requested 4412. Please try again in 84ms.', 84],
    ['Please try again in 20ms', 20],
    ['Please try again in 6m0s.', 360_000],
    ['Please try again in 1h2m3.5s.', 3_723_500],
    ['Please try again in .5s', 500],
    ['Please try again in 59 seconds.', 59_000],
    ['Please try again in 1 second.', 1000],
    ['Please try again in 1 minute.', 60_000],
    ['try again in 2 minutes', 120_000],
    ['Try again in 1 minute and 30 seconds.', 90_000],
    ['try again in 1 min, 5 secs', 65_000],
    ['Please try again in 250 milliseconds', 250],
    ['Please try again in 2 hours', 7_200_000],
    ['Please try again in 20 s', 20_000],
    ['... AIServices S0 pricing tier. Please retry after 37 seconds.', 37_000],
    ['Please retry after 5s', 5000],
    ['Retry in 3 sec', 3000],
  ])('%s', (message, milliseconds) => {
    expect(parseRetryHintText(message)).toBe(milliseconds);
  });

  it.each([
    'Please try again later.',
    'Please try again in a few seconds.',
    'Rate limit reached. Visit https://platform.openai.com/account/rate-limits to learn more.',
    'try again in 5 months',
    'We retried after 3 failures',
  ])('no number of time: %s', (message) => {
    expect(parseRetryHintText(message)).toBeUndefined();
  });

  it('stays linear on long runs of digits and spaces', () => {
    expect(parseRetryHintText(`try again in ${'1 '.repeat(50_000)}x`)).toBeUndefined();
    expect(typeof (parseRetryHintText(`try again in ${'1s '.repeat(50_000)}`) ?? 0)).toBe('number');
  });
});
